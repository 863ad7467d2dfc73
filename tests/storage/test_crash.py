"""Crash safety (RELIABILITY I7/I10): a process killed in the middle of an apply leaves the
line untouched: no decision, no application, no allocation, no outbox row, open amounts as
they were, and the auditor clean. Then the run applies it normally."""

from __future__ import annotations

import multiprocessing
import os
from decimal import Decimal

from sqlalchemy import text

from cashapp.domain.proposals import AllocationKind, Proposal, ProposedAllocation
from cashapp.reconciliation.apply import ActorType, apply_proposal
from cashapp.reconciliation.audit import audit_ledger
from cashapp.storage.transactions import read_session

PROPOSAL = Proposal(
    allocations=(
        ProposedAllocation(
            kind=AllocationKind.INVOICE, invoice_number="INV-1", amount=Decimal("60.00")
        ),
        ProposedAllocation(kind=AllocationKind.ON_ACCOUNT, amount=Decimal("40.00")),
    ),
    confidence=1.0,
)


def die_mid_apply(url: str, tenant: int, line: int) -> None:
    from cashapp.storage.engine import make_engine
    from cashapp.storage.transactions import write_transaction

    engine = make_engine(url)
    with write_transaction(engine) as session:
        apply_proposal(session, tenant, line, PROPOSAL, actor_type=ActorType.RULE, actor_id="x")
        session.flush()  # everything written, nothing committed
        os._exit(137)  # like SIGKILL: no rollback, no cleanup


def test_killed_mid_apply_leaves_nothing(engine, tenant, ledger, database_url) -> None:
    ledger.invoice("INV-1", "100.00")
    (line,) = ledger.lines(("100.00", "INV-1"))
    engine.dispose()
    child = multiprocessing.get_context("fork").Process(
        target=die_mid_apply, args=(database_url, tenant, line)
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 137
    with engine.connect() as connection:
        for table in ("decision", "application", "allocation", "outbox"):
            assert (
                connection.execute(
                    text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": tenant}
                ).scalar()
                == 0
            ), table
    assert ledger.open_minor("INV-1") == 10000
    with read_session(engine) as session:
        assert audit_ledger(session, tenant) == []
    ledger.apply(line, PROPOSAL)  # the write lock was released with the dead process
    assert ledger.open_minor("INV-1") == 4000
