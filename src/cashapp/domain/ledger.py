"""The receivables side: customers and their open items, as the ERP sends them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """A customer of the seller, keyed by the ERP's customer id."""

    customer_id: str
    name: str
    ibans: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenItem:
    """An invoice (or credit note, when ``amount`` is negative) with what is still open on it."""

    invoice_number: str
    customer_id: str
    customer_name: str
    issue_date: date
    due_date: date
    currency: str
    amount: Decimal
    open_amount: Decimal
    customer_iban: str | None = None
    payment_reference: str | None = None
    po_number: str | None = None
