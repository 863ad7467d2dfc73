"""Reads for the learning loop: what people decided in review, and the items they decided on.

A person's decision is a live application whose decision is ``confirmed`` (actor ``user``),
or a ``reject`` in the review trail on a line that is still not applied.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, select
from sqlmodel import Session, col

from cashapp.domain.ledger import OpenItem
from cashapp.domain.money import from_minor
from cashapp.storage.review import LIVE, ApplicationView, ReviewActionRow, list_applications
from cashapp.storage.tables import (
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
