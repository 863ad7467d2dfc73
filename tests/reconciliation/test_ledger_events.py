"""Outbox events written with the money: application.created, deduction.created and
application.reversed name their bank line, share the ledger's transaction, and a rolled-back
apply leaves none behind."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from tests.conftest import LedgerBuilder, proposal

from cashapp.reconciliation.apply import ActorType, apply_proposal, reverse_application
from cashapp.storage.transactions import write_transaction


def _events(ledger: LedgerBuilder) -> list[tuple[str, str, dict[str, object]]]:
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT event_id, kind, payload FROM outbox WHERE tenant_id = :t ORDER BY id"),
            {"t": ledger.tenant},
        ).all()
    return [(row[0], row[1], json.loads(row[2])) for row in rows]


def test_apply_with_a_deduction_writes_created_and_deduction_events(ledger: LedgerBuilder) -> None:
    ledger.invoice("INV-1", "100.00")
    ledger.invoice("INV-2", "50.00")
    (line,) = ledger.lines(("140.00", "INV-1 INV-2 minus 10 damaged"))
    app_id = ledger.apply(
        line,
        proposal(("invoice", "INV-1", "100.00"), ("invoice", "INV-2", "40.00"),
                 ("deduction", "INV-2", "10.00", "damaged")),
        user=True,
    )
    t = ledger.tenant
    events = _events(ledger)
    assert [e[0] for e in events] == [f"application.created:{t}:{app_id}", f"deduction.created:{t}:{app_id}:2"]
    created, deduction = events[0][2], events[1][2]
    assert created["bank_line_id"] == line and created["application_id"] == app_id
    assert deduction == {
        "application_id": app_id,
        "bank_line_id": line,
        "invoice_number": "INV-2",
        "amount": "10.00",
        "amount_minor": 1000,
        "currency": "EUR",
        "reason_code": "damaged",
    }
    with write_transaction(ledger.engine) as session:
        reverse_application(session, t, app_id, actor_type=ActorType.USER, actor_id="alice", reason="wrong")
    reversed_ = _events(ledger)[-1]
    assert reversed_[1] == "application.reversed" and reversed_[2]["bank_line_id"] == line


def test_a_rolled_back_apply_leaves_no_events(ledger: LedgerBuilder) -> None:
    ledger.invoice("INV-1", "100.00")
    (line,) = ledger.lines(("90.00", "INV-1"))
    with pytest.raises(RuntimeError), write_transaction(ledger.engine) as session:
        apply_proposal(
            session, ledger.tenant, line,
            proposal(("invoice", "INV-1", "90.00"), ("deduction", "INV-1", "10.00", "pricing")),
            actor_type=ActorType.USER, actor_id="alice",
        )
        written = session.execute(text("SELECT id FROM outbox WHERE tenant_id = :t"), {"t": ledger.tenant}).all()
        assert len(written) == 2  # written in the session, not yet committed
        raise RuntimeError("the edge fails before commit")
    assert _events(ledger) == []
    assert ledger.open_minor("INV-1") == 10000
