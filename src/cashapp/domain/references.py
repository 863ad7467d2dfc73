"""Reference candidates: what the text extractor found, for the matcher to weigh."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from cashapp.domain.reasons import ReasonCode


class ReferenceKind(StrEnum):
    INVOICE = "invoice"  # the seller's own document number
    STRUCTURED = "structured"  # RF, OGM/VCS, QRR, Finnish, KID: check digits validated
    PO = "po"  # the customer's purchase order number
    CUSTOMER = "customer"  # a customer number


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceCandidate:
    """A reference found in text, normalised, with where it was found and how sure we are.

    The extractor never decides a match: it proposes candidates with a confidence.
    """

    kind: ReferenceKind
    text: str  # as written
    normalized: str  # canonical form, to look up
    confidence: float
    source: str  # "remittance_text", "structured", "end_to_end_id", "advice", ...
    scheme: str | None = None  # "rf", "ogm", "qrr", "fi", "kid" for structured references
    start: int | None = None
    end: int | None = None
    amount: Decimal | None = None  # an amount written next to it, if any
    reason: ReasonCode | None = None  # a deduction reason written next to it, if any
    # how the text differs from the normalized form, for the matcher to weigh: "separators",
    # "prefix_missing", "zeros_dropped", "confusion:O>0", "transposition", "split",
    # "invalid_check_digits", "labelled", "model"...; empty when written exactly so
    evidence: tuple[str, ...] = ()
