"""Deduction reasons in free text, with a confidence: the words are the shared lexicon of
``domain.reason_words``; this module scores them (the best-scoring code wins; its
confidence drops when another code scores close to it). It also reads the ISO 20022
document-adjustment codes written in capitals (``DAMG``, ``FRGT``...): a bank that passes a
payer's structured remittance on in a text-only format writes the codes as sent.
"""

from __future__ import annotations

import re

from cashapp.domain.reason_words import ReasonHit, fold
from cashapp.domain.reason_words import find_reason_hits as find_word_hits
from cashapp.domain.reasons import ISO20022_ADJUSTMENT, ReasonCode

_ADJUSTMENT_CODE = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(sorted(ISO20022_ADJUSTMENT, key=len, reverse=True))
    + r")(?![A-Za-z0-9])"
)
_CODE_WEIGHT = 1.2


def find_reason_hits(text: str) -> list[ReasonHit]:
    """The lexicon's reason words in ``text``, and the adjustment codes in capitals."""
    hits = find_word_hits(text)
    for match in _ADJUSTMENT_CODE.finditer(text):
        start, end = match.span()
        if not any(h.start < end and start < h.end for h in hits):
            hits.append(ReasonHit(ISO20022_ADJUSTMENT[match.group(1)], start, end, _CODE_WEIGHT))
    return hits

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
