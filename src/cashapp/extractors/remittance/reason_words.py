"""Deduction reasons from the reason column of a remittance table.

Codes first: an ISO 20022 or X12 code in a code column is mapped by ``domain.reasons``;
words are read with the shared six-language lexicon of ``domain.reason_words``.
"""

from __future__ import annotations

from functools import lru_cache

from cashapp.domain.reason_words import reason_from_text
from cashapp.domain.reasons import ReasonCode, reason_from_iso20022, reason_from_x12


@lru_cache(maxsize=4096)
def reason_from_words(code: str | None, text: str | None) -> ReasonCode | None:
    """The canonical reason for a code and/or free text; ``other`` when given but not known."""
    if code:
        mapped = reason_from_iso20022(code) or reason_from_x12(code)
        if mapped:
            return mapped
    for candidate in (text, code):
        if not candidate:
            continue
        reason = reason_from_text(candidate)
        if reason is not None:
            return reason
    if code or text:
        return ReasonCode.OTHER
    return None
