"""Domain records in, ranked proposals with evidence out: candidates, features, the learned
scorer, allocation search and the decision. Pure: no database.

Entry points call ``load_matcher()`` and then ``matcher.match(lines, ledger, policy)``.
"""

from cashapp.matcher.loading import load_matcher

__all__ = ["load_matcher"]
