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
