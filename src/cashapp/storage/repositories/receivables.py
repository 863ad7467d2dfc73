"""Customers and open items: bulk upsert from the ERP, lookups for the matcher and the ledger.

Bulk writes go through SQLAlchemy Core ``executemany`` (PERFORMANCE.md: the ORM is for
single rows). Reads of existing rows are chunked ``IN`` queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from cashapp.domain.ledger import Customer, OpenItem
from cashapp.domain.money import from_minor, to_minor
from cashapp.storage.bulk import bulk_insert
from cashapp.storage.errors import flush
from cashapp.storage.tables import CustomerAccountRow, CustomerRow, OpenItemRow, table_of

CHUNK = 500


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    customers_created: int = 0


def upsert_customers(
    session: Session, tenant_id: int, customers: dict[str, str], accounts: set[tuple[str, str]]
) -> tuple[dict[str, int], int]:
    """Customers by ERP key (name updated when it changed) and their known accounts.

    Returns the ids by key and how many customers were created.
    """
    keys = sorted(customers)
    existing: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(keys):
        rows = session.execute(
            select(col(CustomerRow.customer_key), col(CustomerRow.id), col(CustomerRow.name)).where(
                col(CustomerRow.tenant_id) == tenant_id,
                col(CustomerRow.customer_key).in_(chunk),
            )
        )
        existing.update({key: (cid, name) for key, cid, name in rows})
    new = [
        {"tenant_id": tenant_id, "customer_key": k, "name": customers[k]}
        for k in keys
        if k not in existing
    ]
    if new:
        bulk_insert(session, table_of(CustomerRow), new)
    renamed = [
        {"b_id": existing[k][0], "b_name": customers[k]}
        for k in keys
        if k in existing and existing[k][1] != customers[k]
    ]
    if renamed:
        session.execute(
            update(table_of(CustomerRow))
            .where(table_of(CustomerRow).c.id == bindparam("b_id"))
            .values(name=bindparam("b_name")),
            renamed,
        )
    ids: dict[str, int] = {}
    for chunk in _chunks(keys):
        rows = session.execute(
            select(col(CustomerRow.customer_key), col(CustomerRow.id)).where(
                col(CustomerRow.tenant_id) == tenant_id,
                col(CustomerRow.customer_key).in_(chunk),
            )
        )
        ids.update({key: cid for key, cid in rows})
    _add_accounts(session, tenant_id, {(ids[k], account) for k, account in accounts})
    flush(session)
    return ids, len(new)


def _add_accounts(session: Session, tenant_id: int, pairs: set[tuple[int, str]]) -> None:
    if not pairs:
        return
    customer_ids = sorted({cid for cid, _ in pairs})
    known: set[tuple[int, str]] = set()
    for chunk in _chunks(customer_ids):
        rows = session.execute(
            select(col(CustomerAccountRow.customer_id), col(CustomerAccountRow.account)).where(
                col(CustomerAccountRow.tenant_id) == tenant_id,
                col(CustomerAccountRow.customer_id).in_(chunk),
            )
        )
        known.update((cid, account) for cid, account in rows)
    new = [
        {"tenant_id": tenant_id, "customer_id": cid, "account": account}
        for cid, account in sorted(pairs - known)
    ]
    if new:
        bulk_insert(session, table_of(CustomerAccountRow), new)


_DESCRIPTIVE = ("customer_id", "issue_date", "due_date", "payment_reference", "po_number")
_AMOUNTS = ("currency", "amount_minor", "open_minor", "baseline_open_minor")


def upsert_open_items(
    session: Session, tenant_id: int, items: Sequence[OpenItem], customer_ids: dict[str, int]
) -> UpsertCounts:
    """Insert new items, update changed ones, leave identical ones alone.

    An item the ledger already moved (its open amount differs from what was imported) keeps
    its amounts: the ledger is ahead of the ERP; only descriptive fields follow the file.
    """
    wanted = {item.invoice_number: _values(tenant_id, item, customer_ids) for item in items}
    numbers = sorted(wanted)
    existing: dict[str, dict[str, Any]] = {}
    columns = [
        table_of(OpenItemRow).c[name]
        for name in (
            "id",
            "invoice_number",
            "version",
            *_DESCRIPTIVE,
            *_AMOUNTS,
        )
    ]
    # Lock the existing rows (PostgreSQL; SQLite's writer lock covers it) in id order, the
    # ledger's lock order, so an apply or reversal committing meanwhile is read, not lost.
    ids: list[int] = []
    for chunk in _chunks(numbers):
        ids += session.execute(
            select(table_of(OpenItemRow).c.id).where(
                col(OpenItemRow.tenant_id) == tenant_id,
                col(OpenItemRow.invoice_number).in_(chunk),
            )
        ).scalars()
    for id_chunk in _chunks(sorted(ids)):
        rows = session.execute(
            select(*columns)
            .where(table_of(OpenItemRow).c.id.in_(id_chunk))
            .order_by(table_of(OpenItemRow).c.id)
            .with_for_update()
        ).mappings()
        existing.update({row["invoice_number"]: dict(row) for row in rows})
    new = [wanted[n] for n in numbers if n not in existing]
    descriptive_changes: list[dict[str, Any]] = []
    full_changes: list[dict[str, Any]] = []
    unchanged = 0
    for number in numbers:
        if number not in existing:
            continue
        old, values = existing[number], wanted[number]
        fields = list(_DESCRIPTIVE)
        if old["open_minor"] == old["baseline_open_minor"]:
            fields += _AMOUNTS  # untouched by the ledger: the ERP's figures win
        if all(old[f] == values[f] for f in fields):
            unchanged += 1
            continue
        change = {f"b_{f}": values[f] for f in fields}
        change["b_id"] = old["id"]
        (full_changes if len(fields) > len(_DESCRIPTIVE) else descriptive_changes).append(change)
    if new:
        bulk_insert(session, table_of(OpenItemRow), new)
    table = table_of(OpenItemRow)
    # Amounts are written only where the ledger has not moved the item: a descriptive change
    # (a new due date) never writes the open amount back.
    for names, batch in (
        (_DESCRIPTIVE, descriptive_changes),
        ((*_DESCRIPTIVE, *_AMOUNTS), full_changes),
    ):
        if batch:
            session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    {
                        **{name: bindparam(f"b_{name}") for name in names},
                        "version": table.c.version + 1,
                    }
                ),
                batch,
            )
    flush(session)
    return UpsertCounts(
        created=len(new),
        updated=len(descriptive_changes) + len(full_changes),
        unchanged=unchanged,
    )


def _values(tenant_id: int, item: OpenItem, customer_ids: dict[str, int]) -> dict[str, Any]:
    open_minor = to_minor(item.open_amount, item.currency)
    return {
        "tenant_id": tenant_id,
        "customer_id": customer_ids[item.customer_id],
        "invoice_number": item.invoice_number,
        "issue_date": item.issue_date,
        "due_date": item.due_date,
        "currency": item.currency,
        "amount_minor": to_minor(item.amount, item.currency),
        "open_minor": open_minor,
        "baseline_open_minor": open_minor,
        "payment_reference": item.payment_reference,
        "po_number": item.po_number,
        "version": 0,
    }


def list_open_items(session: Session, tenant_id: int) -> list[OpenItem]:
    """The tenant's items with something still open, as the matcher sees them."""
    query = (
        select(OpenItemRow, col(CustomerRow.customer_key), col(CustomerRow.name))
        .join(CustomerRow, col(CustomerRow.id) == col(OpenItemRow.customer_id))
        .where(col(OpenItemRow.tenant_id) == tenant_id, col(OpenItemRow.open_minor) != 0)
        .order_by(col(OpenItemRow.id))
    )
    items = []
    for row, key, name in session.execute(query):
        items.append(
            OpenItem(
                invoice_number=row.invoice_number,
                customer_id=key,
                customer_name=name,
                issue_date=row.issue_date,
                due_date=row.due_date,
                currency=row.currency,
                amount=from_minor(row.amount_minor, row.currency),
                open_amount=from_minor(row.open_minor, row.currency),
                payment_reference=row.payment_reference,
                po_number=row.po_number,
            )
        )
    return items


def list_customers(session: Session, tenant_id: int) -> list[Customer]:
    accounts: dict[int, list[str]] = {}
    for cid, account in session.execute(
        select(col(CustomerAccountRow.customer_id), col(CustomerAccountRow.account))
        .where(col(CustomerAccountRow.tenant_id) == tenant_id)
        .order_by(col(CustomerAccountRow.id))
    ):
        accounts.setdefault(cid, []).append(account)
    rows = session.execute(
        select(CustomerRow)
        .where(col(CustomerRow.tenant_id) == tenant_id)
        .order_by(col(CustomerRow.id))
    ).scalars()
    return [
        Customer(
            customer_id=row.customer_key, name=row.name, ibans=tuple(accounts.get(row.id or 0, ()))
        )
        for row in rows
    ]
