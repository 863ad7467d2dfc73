"""Set-based ledger writes: a chunk of bank lines applied in a constant number of statements
per table (the nightly run; PERFORMANCE.md: "the ORM is for single rows; bulk paths for bulk").

The same lock order as ``repositories.ledger``: the chunk's bank lines by ascending id, then
their invoices by ascending id, then the tenant's lettrage counter (PostgreSQL ``FOR UPDATE``;
SQLite holds the write lock from ``BEGIN IMMEDIATE``). Ids of decisions and applications are
taken before the insert (PostgreSQL: the table's sequence; SQLite: after the largest id, under
the write lock), so the rows that reference them are built in Python and copied in bulk. The
database keeps every guard: the partial unique index (R1), the CHECK on open amounts behind
one relative UPDATE (R3), the R2 check at commit, the append-only triggers (R8, R9). A refusal
is raised as a cashapp error (``storage.errors``); the caller's transaction is then void.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from cashapp.storage.bulk import bulk_insert
from cashapp.storage.errors import execute, translate
from cashapp.storage.records import to_json
from cashapp.storage.tables import (
    AllocationRow,
    ApplicationRow,
    BankLineRow,
    DecisionRow,
    OutboxRow,
    TenantRow,
    table_of,
)
from cashapp.storage.tables.ledger import LIVE_APPLICATION
from cashapp.storage.transactions import remember_new_application

_BANK_LINE: Table = table_of(BankLineRow)
_APPLICATION: Table = table_of(ApplicationRow)
_DECISION: Table = table_of(DecisionRow)
_ALLOCATION: Table = table_of(AllocationRow)
_OUTBOX: Table = table_of(OutboxRow)
_TENANT: Table = table_of(TenantRow)


@dataclass(frozen=True, slots=True)
class LockedLine:
    id: int
    status: str
    amount_minor: int
    currency: str
    bank_ref: str | None


def lock_bank_lines(session: Session, tenant_id: int, ids: Sequence[int]) -> dict[int, LockedLine]:
    """The tenant's bank lines among ``ids``, locked in ascending id order; others are absent."""
    if not ids:
        return {}
    query = (
        select(
            _BANK_LINE.c.id,
            _BANK_LINE.c.status,
            _BANK_LINE.c.amount_minor,
            _BANK_LINE.c.currency,
            _BANK_LINE.c.bank_ref,
        )
        .where(_BANK_LINE.c.tenant_id == tenant_id, _BANK_LINE.c.id.in_(sorted(set(ids))))
        .order_by(_BANK_LINE.c.id)
        .with_for_update()
    )
    return {row.id: LockedLine(*row) for row in session.execute(query)}


def lines_with_live_application(session: Session, tenant_id: int, ids: Sequence[int]) -> set[int]:
    """Which of the bank lines ``ids`` already have a live application (R1)."""
    if not ids:
        return set()
    query = select(_APPLICATION.c.bank_line_id).where(
        _APPLICATION.c.tenant_id == tenant_id,
        _APPLICATION.c.bank_line_id.in_(sorted(set(ids))),
        text(LIVE_APPLICATION),
    )
    return {int(x) for x in session.execute(query).scalars()}


def take_lettrage_numbers(session: Session, tenant_id: int, count: int) -> int:
    """Take ``count`` consecutive lettrage numbers of the tenant; the first of them."""
    statement = (
        update(_TENANT)
        .where(_TENANT.c.id == tenant_id)
        .values(lettrage_seq=_TENANT.c.lettrage_seq + count)
        .returning(_TENANT.c.lettrage_seq)
    )
    return int(session.execute(statement).scalar_one()) - count + 1


def reserve_ids(
    session: Session, table_name: Literal["decision", "application"], count: int
) -> list[int]:
    """``count`` new ids of the table, ascending, for rows this transaction will insert."""
    if count <= 0:
        return []
    table = {"decision": _DECISION, "application": _APPLICATION}[table_name]
    if session.get_bind().dialect.name == "postgresql":
        query = text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
        )
        return sorted(int(x) for x in session.execute(query, {"table": table.name, "n": count}).scalars())
    # SQLite: an INTEGER PRIMARY KEY takes max(id) + 1, and nobody else writes meanwhile
    # (BEGIN IMMEDIATE); these tables never lose rows, so the ids stay the next ones.
    top = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))


def add_decisions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``decision`` rows whose ids were reserved."""
    _insert(session, _DECISION, rows)


def add_applications(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``application`` headers whose ids were reserved; each is checked at commit (R2)."""
    _insert(session, _APPLICATION, rows)
    for row in rows:
        remember_new_application(session, int(row["id"]))


def add_allocations(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    _insert(session, _ALLOCATION, rows)


def add_outbox_events(
    session: Session, tenant_id: int, events: Sequence[tuple[str, str, object]], *, at: Any
) -> None:
    """Outbox rows for ``(event_id, kind, payload)`` events, in that order."""
    _insert(
        session,
        _OUTBOX,
        [
            {
                "tenant_id": tenant_id,
                "event_id": event_id,
                "kind": kind,
                "payload": to_json(payload),
                "created_at": at,
                "attempts": 0,
            }
            for event_id, kind, payload in events
        ],
    )


_MOVE_PG = text(
    """
    UPDATE open_item AS o
       SET open_minor = o.open_minor - m.reduction, version = o.version + m.moves
      FROM unnest(CAST(:ids AS bigint[]), CAST(:reductions AS bigint[]),
                  CAST(:moves AS integer[])) AS m(id, reduction, moves)
     WHERE o.tenant_id = :tenant AND o.id = m.id
    """
)
# SQLite is embedded (no round trips): the same relative UPDATE, executed for every invoice
# by one ``executemany``. Measured: an ``UPDATE ... FROM`` over ``json_each`` or ``VALUES``
# scanned the tenant's open items for every chunk (14 s per 1 000 lines at 5 000 items).
_MOVE_SQLITE = text(
    """
    UPDATE open_item
       SET open_minor = open_minor - :reduction, version = version + :moves
     WHERE tenant_id = :tenant AND id = :id
    """
)


def reduce_open_amounts(
    session: Session, tenant_id: int, reductions: Mapping[int, tuple[int, int]]
) -> None:
    """One relative UPDATE: ``open_minor -= reduction`` and ``version += moves`` per invoice id
    (``moves``: how many applications touched it, as the per-line path counts versions). The
    CHECK on open amounts refuses the whole statement if any invoice would go below zero (R3)."""
    if not reductions:
        return
    ids = sorted(reductions)
    if session.get_bind().dialect.name == "postgresql":
        params: dict[str, Any] = {
            "tenant": tenant_id,
            "ids": ids,
            "reductions": [reductions[i][0] for i in ids],
            "moves": [reductions[i][1] for i in ids],
        }
        execute(session, _MOVE_PG, params)
        return
    execute(
        session,
        _MOVE_SQLITE,
        [
            {"tenant": tenant_id, "id": i, "reduction": reductions[i][0], "moves": reductions[i][1]}
            for i in ids
        ],
    )


def _insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Rows in bulk (PostgreSQL ``COPY``, SQLite ``executemany``), refusals translated."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        try:
            bulk_insert(session, table, rows, analyze=False)
        except DBAPIError as exc:
            error = translate(exc)
            if error is None:
                raise
            raise error from exc
        return
    execute(session, insert(table), list(rows))
