"""Reads for the learning loop: what people decided in review, and the items they decided on.

A person's decision is a live application whose decision is ``confirmed`` (actor ``user``),
or a ``reject`` in the review trail on a line that is still not applied; and a person's
reversal of an automatic application says that decision was wrong
(``count_reversed_automatic``, which tightens that customer's threshold).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from cashapp.domain.ledger import OpenItem
from cashapp.domain.money import from_minor
from cashapp.storage.review import LIVE, ApplicationView, ReviewActionRow, list_applications
from cashapp.storage.tables import (
    AllocationRow,
    ApplicationRow,
    BankLineRow,
    CustomerRow,
    DecisionRow,
    OpenItemRow,
)


def list_confirmed_applications(session: Session, tenant_id: int, *, page: int = 500) -> list[ApplicationView]:
    """Live applications a person decided (confirm, change, split, write off), oldest first."""
    ids = list(session.execute(
        select(col(ApplicationRow.id))
        .join(DecisionRow, and_(col(DecisionRow.id) == ApplicationRow.decision_id,
                                col(DecisionRow.tenant_id) == ApplicationRow.tenant_id))
        .where(col(ApplicationRow.tenant_id) == tenant_id, LIVE,
               col(DecisionRow.kind) == "confirmed", col(DecisionRow.actor_type) == "user")
        .order_by(col(ApplicationRow.id))
    ).scalars().all())
    views: list[ApplicationView] = []
    for chunk in (ids[i:i + page] for i in range(0, len(ids), page)):
        views += list_applications(session, tenant_id, application_ids=chunk, limit=len(chunk))
    return views


def list_rejected_lines(session: Session, tenant_id: int) -> list[BankLineRow]:
    """Lines whose proposals a person rejected and that nobody applied since."""
    live = select(col(ApplicationRow.bank_line_id)).where(
        col(ApplicationRow.tenant_id) == tenant_id, LIVE)
    rejected = select(col(ReviewActionRow.bank_line_id)).where(
        col(ReviewActionRow.tenant_id) == tenant_id, col(ReviewActionRow.action) == "reject")
    return list(session.execute(
        select(BankLineRow).where(col(BankLineRow.tenant_id) == tenant_id,
                                  col(BankLineRow.id).in_(rejected), col(BankLineRow.id).not_in(live))
        .order_by(col(BankLineRow.id))
    ).scalars().all())


def find_line_rows(session: Session, tenant_id: int, ids: Iterable[int]) -> list[BankLineRow]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(session.execute(
        select(BankLineRow).where(col(BankLineRow.tenant_id) == tenant_id, col(BankLineRow.id).in_(wanted))
        .order_by(col(BankLineRow.id))
    ).scalars().all())


def list_items_with_closed(session: Session, tenant_id: int, numbers: Iterable[str]) -> list[OpenItem]:
    """Every item still open, plus the named ones even when closed (open amount as stored)."""
    named = sorted(set(numbers))
    query = (
        select(OpenItemRow, col(CustomerRow.customer_key), col(CustomerRow.name))
        .join(CustomerRow, col(CustomerRow.id) == col(OpenItemRow.customer_id))
        .where(col(OpenItemRow.tenant_id) == tenant_id,
               (col(OpenItemRow.open_minor) != 0) | col(OpenItemRow.invoice_number).in_(named))
        .order_by(col(OpenItemRow.id))
    )
    return [
        OpenItem(
            invoice_number=row.invoice_number, customer_id=key, customer_name=name,
            issue_date=row.issue_date, due_date=row.due_date, currency=row.currency,
            amount=from_minor(row.amount_minor, row.currency),
            open_amount=from_minor(row.open_minor, row.currency),
            payment_reference=row.payment_reference, po_number=row.po_number,
        )
        for row, key, name in session.execute(query)
    ]


def count_reversed_automatic(session: Session, tenant_id: int) -> dict[str, int]:
    """Per customer (the ERP's id), the automatic applications (a model's or a rule's) that a
    person later reversed: each a wrong automatic decision. The customer is the one the
    decision named, else the one of the invoices it paid (each counted once per application)."""
    original, reversal = aliased(ApplicationRow), aliased(ApplicationRow)
    decided, undone = aliased(DecisionRow), aliased(DecisionRow)
    rows = session.execute(
        select(col(original.id), col(decided.evidence))
        .join(decided, and_(col(decided.tenant_id) == original.tenant_id,
                            col(decided.id) == original.decision_id))
        .join(reversal, and_(col(reversal.tenant_id) == original.tenant_id,
                             col(reversal.id) == original.reversed_by))
        .join(undone, and_(col(undone.tenant_id) == reversal.tenant_id,
                           col(undone.id) == reversal.decision_id))
        .where(col(original.tenant_id) == tenant_id, col(original.reversed_at).is_not(None),
               col(decided.kind) == "auto", col(decided.actor_type) != "user",
               col(undone.actor_type) == "user")
    ).all()
    named: dict[int, set[str]] = defaultdict(set)
    for application_id, evidence in rows:
        customer = json.loads(evidence or "{}").get("customer_id") if evidence else None
        if customer:
            named[application_id].add(str(customer))
    unnamed = sorted(a for a, _ in rows if a not in named)
    if unnamed:
        for application_id, key in session.execute(
            select(col(AllocationRow.application_id), col(CustomerRow.customer_key))
            .join(OpenItemRow, and_(col(OpenItemRow.tenant_id) == AllocationRow.tenant_id,
                                    col(OpenItemRow.id) == AllocationRow.invoice_id))
            .join(CustomerRow, and_(col(CustomerRow.tenant_id) == OpenItemRow.tenant_id,
                                    col(CustomerRow.id) == OpenItemRow.customer_id))
            .where(col(AllocationRow.tenant_id) == tenant_id,
                   col(AllocationRow.application_id).in_(unnamed))
        ):
            named[application_id].add(key)
    counts: dict[str, int] = defaultdict(int)
    for customers in named.values():
        for customer in customers:
            counts[customer] += 1
    return dict(counts)
