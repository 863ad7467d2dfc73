"""How an entry point gets the matcher: ``load_matcher()`` returns the scored matcher when
the shipped (or given) model artifact loads, else the deterministic rules. Offline: the
artifact is a file in the package, never downloaded."""

from __future__ import annotations

import logging
from pathlib import Path

from cashapp.matcher.api import Matcher
from cashapp.matcher.model import MODEL_DIR, ArtifactError, load_scorer
from cashapp.matcher.rules import RulesMatcher
from cashapp.matcher.scored import ScoredMatcher

log = logging.getLogger(__name__)


def load_matcher(model_dir: Path | None = None, *, rules_only: bool = False) -> Matcher:
    """The matcher the service uses: scored if its model loads, rules otherwise."""
    if rules_only:
        return RulesMatcher()
    try:
        return ScoredMatcher(load_scorer(model_dir or MODEL_DIR))
    except ArtifactError as exc:
        log.warning("matcher model not loaded (%s); using the rules matcher", exc)
        return RulesMatcher()
