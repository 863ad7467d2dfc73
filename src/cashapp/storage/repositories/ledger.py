"""The ledger's writes: locks in a fixed order, decisions, applications, allocations, invoice
balances (relative UPDATEs), reversals and the outbox. One bank line per transaction.

Lock order (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite already holds the write lock from
``BEGIN IMMEDIATE``): the bank line, then its invoices by ascending id, then the tenant's
lettrage counter. Every path takes them in that order, so two payments touching the same
invoices in a different order cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlmodel import Session, col

from cashapp.storage.errors import execute, flush
from cashapp.storage.records import to_json
from cashapp.storage.tables import (
    AllocationRow,
    ApplicationRow,
    BankLineRow,
    DecisionRow,
    OpenItemRow,
    OutboxRow,
    table_of,
)
from cashapp.storage.transactions import remember_new_application

_OPEN_ITEM: Table = table_of(OpenItemRow)
_APPLICATION: Table = table_of(ApplicationRow)


def lock_bank_line(session: Session, tenant_id: int, bank_line_id: int) -> BankLineRow | None:
    query = (
        select(BankLineRow)
        .where(col(BankLineRow.tenant_id) == tenant_id, col(BankLineRow.id) == bank_line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalar_one_or_none()


def find_live_application(
    session: Session, tenant_id: int, bank_line_id: int
) -> ApplicationRow | None:
    query = (
        select(ApplicationRow)
        .where(
            col(ApplicationRow.tenant_id) == tenant_id,
            col(ApplicationRow.bank_line_id) == bank_line_id,
            col(ApplicationRow.reversed_at).is_(None),
            col(ApplicationRow.reverses_id).is_(None),
        )
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalar_one_or_none()


def find_application(
    session: Session, tenant_id: int, application_id: int
) -> ApplicationRow | None:
    query = (
        select(ApplicationRow)
        .where(col(ApplicationRow.tenant_id) == tenant_id, col(ApplicationRow.id) == application_id)
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class LockedInvoice:
    id: int
    invoice_number: str
    currency: str
    amount_minor: int
    open_minor: int


def lock_open_items_by_number(
    session: Session, tenant_id: int, numbers: Sequence[str]
) -> dict[str, LockedInvoice]:
    """The invoices named, locked in ascending id order (PostgreSQL ``FOR UPDATE``)."""
    if not numbers:
        return {}
    query = (
        select(
            _OPEN_ITEM.c.id,
            _OPEN_ITEM.c.invoice_number,
            _OPEN_ITEM.c.currency,
            _OPEN_ITEM.c.amount_minor,
            _OPEN_ITEM.c.open_minor,
        )
        .where(_OPEN_ITEM.c.tenant_id == tenant_id, _OPEN_ITEM.c.invoice_number.in_(numbers))
        .order_by(_OPEN_ITEM.c.id)
        .with_for_update()
    )
    return {row.invoice_number: LockedInvoice(*row) for row in session.execute(query)}


def lock_open_items_by_id(
    session: Session, tenant_id: int, ids: Sequence[int]
) -> dict[int, LockedInvoice]:
    if not ids:
        return {}
    query = (
        select(
            _OPEN_ITEM.c.id,
            _OPEN_ITEM.c.invoice_number,
            _OPEN_ITEM.c.currency,
            _OPEN_ITEM.c.amount_minor,
            _OPEN_ITEM.c.open_minor,
        )
        .where(_OPEN_ITEM.c.tenant_id == tenant_id, _OPEN_ITEM.c.id.in_(sorted(set(ids))))
        .order_by(_OPEN_ITEM.c.id)
        .with_for_update()
    )
    return {row.id: LockedInvoice(*row) for row in session.execute(query)}


def move_open_amount(session: Session, tenant_id: int, invoice_id: int, delta_minor: int) -> None:
    """``open_minor += delta`` as a relative UPDATE; the CHECK refuses an open below zero (R3)."""
    session.execute(
        update(_OPEN_ITEM)
        .where(_OPEN_ITEM.c.tenant_id == tenant_id, _OPEN_ITEM.c.id == invoice_id)
        .values(open_minor=_OPEN_ITEM.c.open_minor + delta_minor, version=_OPEN_ITEM.c.version + 1)
    )


def add_decision(session: Session, values: dict[str, Any]) -> int:
    """Insert a ``decision`` row (Core: the ORM costs more than the SQL here); its id."""
    table = table_of(DecisionRow)
    return int(execute(session, insert(table).values(values).returning(table.c.id)).scalar_one())


def add_application(session: Session, values: dict[str, Any]) -> int:
    """Insert an ``application`` header; its id, remembered for the pre-commit R2 check."""
    table = table_of(ApplicationRow)
    new_id = int(execute(session, insert(table).values(values).returning(table.c.id)).scalar_one())
    remember_new_application(session, new_id)
    return new_id


def add_allocations(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        execute(session, insert(table_of(AllocationRow)), list(rows))


def list_allocations(session: Session, tenant_id: int, application_id: int) -> list[AllocationRow]:
    query = (
        select(AllocationRow)
        .where(
            col(AllocationRow.tenant_id) == tenant_id,
            col(AllocationRow.application_id) == application_id,
        )
        .order_by(col(AllocationRow.id))
    )
    return list(session.execute(query).scalars())


def mark_reversed(
    session: Session, tenant_id: int, application_id: int, *, reversal_id: int, at: datetime
) -> None:
    session.execute(
        update(_APPLICATION)
        .where(_APPLICATION.c.tenant_id == tenant_id, _APPLICATION.c.id == application_id)
        .values(reversed_at=at, reversed_by=reversal_id)
    )
    flush(session)


def add_outbox_event(
    session: Session, tenant_id: int, *, event_id: str, kind: str, payload: object, at: datetime
) -> None:
    execute(
        session,
        insert(table_of(OutboxRow)).values(
            tenant_id=tenant_id,
            event_id=event_id,
            kind=kind,
            payload=to_json(payload),
            created_at=at,
            attempts=0,
        ),
    )


def new_application(
    *,
    tenant_id: int,
    bank_line_id: int,
    currency: str,
    decision_id: int,
    at: datetime,
    lettrage_code: str | None = None,
    lettrage_date: date | None = None,
    lettrage_partial: bool = False,
    reverses_id: int | None = None,
) -> dict[str, Any]:
    """The values of an ``application`` row."""
    return {
        "tenant_id": tenant_id,
        "bank_line_id": bank_line_id,
        "currency": currency,
        "decision_id": decision_id,
        "reverses_id": reverses_id,
        "lettrage_code": lettrage_code,
        "lettrage_date": lettrage_date,
        "lettrage_partial": lettrage_partial,
        "created_at": at,
    }
