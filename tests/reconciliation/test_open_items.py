"""import_open_items: idempotent upsert; the ledger's open amounts are not overwritten."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import text

from cashapp.domain.ledger import OpenItem
from cashapp.reconciliation.open_items import import_open_items
from cashapp.storage.repositories.receivables import list_customers, list_open_items
from cashapp.storage.transactions import read_session, write_transaction


def item(number: str, amount: str, **changes: object) -> OpenItem:
    values: dict[str, object] = {
        "invoice_number": number,
        "customer_id": "C1",
        "customer_name": "Acme SA",
        "issue_date": date(2025, 10, 1),
        "due_date": date(2025, 10, 31),
        "currency": "EUR",
        "amount": Decimal(amount),
        "open_amount": Decimal(amount),
        "customer_iban": "BE71096123456769",
    }
    values.update(changes)
    return OpenItem(**values)  # type: ignore[arg-type]


def snapshot(engine, tenant) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT invoice_number, amount_minor, open_minor, due_date, version "
                    "FROM open_item WHERE tenant_id = :t ORDER BY invoice_number"
                ),
                {"t": tenant},
            )
        ]


def test_reimport_changes_nothing_and_updates_what_changed(engine, tenant) -> None:
    items = [item("INV-1", "100.00"), item("INV-2", "250.50", open_amount=Decimal("50.50"))]
    with write_transaction(engine) as session:
        counts = import_open_items(session, tenant, items)
    assert (counts.created, counts.updated, counts.customers_created) == (2, 0, 1)
    before = snapshot(engine, tenant)
    with write_transaction(engine) as session:
        counts = import_open_items(session, tenant, items)
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    assert snapshot(engine, tenant) == before
    with write_transaction(engine) as session:
        counts = import_open_items(
            session, tenant, [item("INV-1", "100.00", due_date=date(2025, 11, 30))]
        )
    assert counts.updated == 1
    assert snapshot(engine, tenant)[0][3] in (date(2025, 11, 30), "2025-11-30")
    assert snapshot(engine, tenant)[0][4] == 1
    with read_session(engine) as session:
        customers = list_customers(session, tenant)
        assert [(c.customer_id, c.ibans) for c in customers] == [("C1", ("BE71096123456769",))]
        open_items = list_open_items(session, tenant)
        assert [(i.invoice_number, i.open_amount) for i in open_items] == [
            ("INV-1", Decimal("100.00")),
            ("INV-2", Decimal("50.50")),
        ]


def test_reimport_keeps_the_ledgers_open_amount(engine, tenant, ledger, make_proposal) -> None:
    ledger.invoice("INV-1", "100.00", customer="C1")
    (line,) = ledger.lines(("40.00", "INV-1"))
    ledger.apply(line, make_proposal(("invoice", "INV-1", "40.00")))
    ledger.invoice("INV-1", "100.00", customer="C1")  # the ERP still says 100 open
    assert ledger.open_minor("INV-1") == 6000
