"""Reads for the customers' payment habits: every live application of incoming money to
invoices, with the bank line's date and the invoices' dates, in one set-based query.

``list_past_payments`` returns one ``PastPayment`` per (application, customer);
``cashapp.domain.history.summarize_history`` turns them into habits for the matcher.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from cashapp.domain.history import PastInvoice, PastPayment
from cashapp.domain.money import from_minor
from cashapp.storage.review import LIVE
from cashapp.storage.tables import (
    AllocationRow,
    ApplicationRow,
    BankLineRow,
    CustomerRow,
    OpenItemRow,
)


def list_past_payments(
    session: Session, tenant_id: int, *, since: date | None = None, until: date | None = None,
    excluding: Collection[int] = (),
) -> list[PastPayment]:
    """Live applications of incoming bank lines (paid on or after ``since``, on or before
    ``until``) to invoices,
    one per application and customer, oldest first. Write-offs (discounts, bank charges,
    tolerated differences) are the seller's policy, not a payer's habit: left out.
    Applications whose id is in ``excluding`` are left out too (training labels)."""
    paid_on = func.coalesce(col(BankLineRow.value_date), col(BankLineRow.booking_date))
    query = (
        select(
            col(ApplicationRow.id), col(CustomerRow.customer_key), paid_on,
            col(OpenItemRow.invoice_number), col(OpenItemRow.issue_date),
            col(OpenItemRow.due_date), col(AllocationRow.kind), col(AllocationRow.amount_minor),
            col(AllocationRow.currency), col(AllocationRow.reason_code),
        )
        .select_from(AllocationRow)
        .join(ApplicationRow, and_(col(ApplicationRow.tenant_id) == AllocationRow.tenant_id,
                                   col(ApplicationRow.id) == AllocationRow.application_id))
        .join(BankLineRow, and_(col(BankLineRow.tenant_id) == ApplicationRow.tenant_id,
                                col(BankLineRow.id) == ApplicationRow.bank_line_id))
        .join(OpenItemRow, and_(col(OpenItemRow.tenant_id) == AllocationRow.tenant_id,
                                col(OpenItemRow.id) == AllocationRow.invoice_id))
        .join(CustomerRow, col(CustomerRow.id) == OpenItemRow.customer_id)
        .where(col(AllocationRow.tenant_id) == tenant_id, LIVE,
               col(AllocationRow.kind).in_(("invoice", "deduction")),
               col(BankLineRow.amount_minor) > 0, paid_on.is_not(None))
        .order_by(col(ApplicationRow.id), col(AllocationRow.id))
    )
    if since is not None:
        query = query.where(paid_on >= since)
    if until is not None:
        query = query.where(paid_on <= until)
    invoices: dict[tuple[int, str], dict[str, PastInvoice]] = defaultdict(dict)
    dates: dict[tuple[int, str], date] = {}
    paid: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    deducted: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    reasons: dict[tuple[int, str], str] = {}
    for (application_id, customer, when, number, issued, due, kind, minor, currency,
         reason) in session.execute(query):
        if application_id in excluding:
            continue
        key = (application_id, customer)
        dates[key] = when
        invoices[key].setdefault(number, PastInvoice(invoice_number=number, issue_date=issued,
                                                     due_date=due))
        if kind == "invoice":
            paid[key] += from_minor(minor, currency)
        else:
            deducted[key] += from_minor(minor, currency)
            reasons.setdefault(key, reason)
    return [
        PastPayment(customer_id=key[1], paid_on=dates[key], invoices=tuple(found.values()),
                    paid=paid[key], deducted=deducted[key], deduction_reason=reasons.get(key))
        for key, found in invoices.items()
    ]
