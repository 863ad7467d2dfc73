"""A keyword fallback for deduction reasons written in remittance text, used when the text
extractor gave none. The words and their weights are the shared lexicon of
``domain.reason_words``; only a specific reason counts here (a bare "deduction" is none).
"""

from __future__ import annotations

from cashapp.domain.reason_words import reason_from_text
from cashapp.domain.reasons import ReasonCode


def reason_in_text(text: str | None) -> ReasonCode | None:
    """The deduction reason written in ``text``, or ``None``."""
    reason = reason_from_text(text)
    return None if reason is ReasonCode.OTHER else reason
