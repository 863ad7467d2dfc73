"""Deduction reasons in free text, with a confidence: the words are the shared lexicon of
``domain.reason_words``; this module scores them (the best-scoring code wins; its
confidence drops when another code scores close to it).
"""

from __future__ import annotations

from cashapp.domain.reason_words import ReasonHit, find_reason_hits, fold
from cashapp.domain.reasons import ReasonCode

__all__ = ["ReasonHit", "find_reason_hits", "fold", "score_reason"]


def score_reason(hits: list[ReasonHit]) -> tuple[ReasonCode, float] | None:
    """The most weighty code and a confidence in 0..1; None without any reason word."""
    if not hits:
        return None
    scores: dict[ReasonCode, float] = {}
    for hit in hits:
        scores[hit.code] = scores.get(hit.code, 0.0) + hit.weight
    specific = {c: s for c, s in scores.items() if c is not ReasonCode.OTHER}
    if not specific:
        return ReasonCode.OTHER, 0.6
    ranked = sorted(specific.items(), key=lambda kv: -kv[1])
    best_code, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    margin = (best - runner_up) / best
    confidence = min(0.97, 0.55 + 0.25 * min(best, 1.6) / 1.6 + 0.2 * margin)
    return best_code, round(confidence, 3)
