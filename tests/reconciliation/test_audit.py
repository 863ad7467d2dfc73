"""The auditor finds what the database alone cannot refuse, and nothing on a sound ledger."""

from __future__ import annotations

from sqlalchemy import text

from cashapp.reconciliation.audit import audit_ledger
from cashapp.storage.transactions import read_session


def test_audit_is_clean_then_finds_tampering(engine, tenant, ledger, make_proposal) -> None:
    ledger.invoice("INV-1", "100.00")
    ledger.invoice("INV-2", "100.00")
    (line, _other) = ledger.lines(("100.00", "INV-1"), ("30.00", "?"))
    ledger.apply(line, make_proposal(("invoice", "INV-1", "100.00")))
    with read_session(engine) as session:
        assert audit_ledger(session, tenant) == []
    # Within the CHECK but not explained by any allocation: R3 drift.
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE open_item SET open_minor = open_minor - 1 "
                "WHERE tenant_id = :t AND invoice_number = 'INV-2'"
            ),
            {"t": tenant},
        )
    with read_session(engine) as session:
        found = {v.invariant for v in audit_ledger(session, tenant)}
    assert found == {"R3"}
