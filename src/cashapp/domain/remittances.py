"""Remittance advices: what the payer says a payment settles, whatever the channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cashapp.domain.reasons import ReasonCode


@dataclass(frozen=True, slots=True, kw_only=True)
class RemittanceLine:
    """One document the payment pays: as written, with what was taken off and why."""

    reference: str
    gross: Decimal | None = None
    discount: Decimal | None = None
    deduction: Decimal | None = None
    reason_code: ReasonCode | None = None
    reason_text: str | None = None
    paid: Decimal | None = None
    # The document kind as sent (X12 RMR01 ``IV``/``CM``..., ISO 20022 ``CINV``/``CREN``...;
    # ``ADX`` for an X12 adjustment not tied to a document). ``None`` when the format says nothing.
    document_type: str | None = None

    def contribution(self) -> Decimal | None:
        """What this line adds to the payment: ``paid``, else gross - discount - deduction."""
        if self.paid is not None:
            return self.paid
        if self.gross is None:
            return None
        return self.gross - (self.discount or Decimal(0)) - (self.deduction or Decimal(0))


@dataclass(frozen=True, slots=True, kw_only=True)
class Remittance:
    """One canonical remittance advice.

    ``trusted`` is False when the message had defects or its sender is unverified: such a
    remittance may suggest a match, never authorise an automatic one.
    """

    format: str
    payer: str | None = None
    payer_email_domain: str | None = None
    payer_account: str | None = None
    payment_id: str | None = None
    date: date | None = None
    currency: str | None = None
    total: Decimal | None = None
    lines: Sequence[RemittanceLine] = ()
    trusted: bool = True
    defects: tuple[str, ...] = ()
    source: str | None = None  # where in the file it was found (attachment name, page)


@dataclass(frozen=True, slots=True, kw_only=True)
class RemittanceFile:
    """What one remittance file held."""

    format: str
    remittances: Sequence[Remittance]
