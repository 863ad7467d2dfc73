"""Property-based conservation (RELIABILITY M6): random sequences of applies and reversals
against a pure-Python reference ledger. After every step the database equals the model and
the SQL auditor finds nothing (R1, R2, R3, R8, R9, R11)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text
from tests.conftest import LedgerBuilder

from cashapp.core.errors import AlreadyAppliedError, AlreadyReversedError, InvariantViolation
from cashapp.domain.money import from_minor
from cashapp.domain.proposals import AllocationKind, Proposal, ProposedAllocation
from cashapp.domain.reasons import ReasonCode
from cashapp.reconciliation.apply import ActorType, apply_proposal, reverse_application
from cashapp.reconciliation.audit import audit_ledger
from cashapp.storage.repositories.tenants import create_tenant
from cashapp.storage.transactions import read_session, write_transaction

INVOICES = [("A", 10000), ("B", 2500), ("C", 700)]
LINES = [10000, 2500, 1200, 300]


def eur(minor: int):
    return from_minor(minor, "EUR")


@pytest.mark.slow
def test_random_applies_and_reversals_conserve_money(engine) -> None:
    class Ledger(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            with write_transaction(engine) as session:
                self.tenant = create_tenant(session, f"prop-{uuid.uuid4().hex[:10]}").id or 0
            builder = LedgerBuilder(engine=engine, tenant=self.tenant)
            for number, minor in INVOICES:
                builder.invoice(number, str(eur(minor)))
            self.lines = builder.lines(*[(str(eur(m)), "x") for m in LINES])
            self.open = dict(INVOICES)
            self.live: dict[int, tuple[int, str, int]] = {}  # line -> (application, invoice, taken)

        @rule(
            line=st.integers(0, len(LINES) - 1),
            invoice=st.sampled_from([n for n, _ in INVOICES]),
            cash=st.integers(1, 10000),
            deduction=st.integers(0, 300),
        )
        def apply(self, line: int, invoice: str, cash: int, deduction: int) -> None:
            amount = LINES[line]
            cash = min(cash, amount)
            allocations = [
                ProposedAllocation(
                    kind=AllocationKind.INVOICE, invoice_number=invoice, amount=eur(cash)
                )
            ]
            if amount > cash:
                allocations.append(
                    ProposedAllocation(kind=AllocationKind.ON_ACCOUNT, amount=eur(amount - cash))
                )
            if deduction:
                allocations.append(
                    ProposedAllocation(
                        kind=AllocationKind.DEDUCTION,
                        invoice_number=invoice,
                        amount=eur(deduction),
                        reason_code=ReasonCode.OTHER,
                    )
                )
            proposal = Proposal(allocations=tuple(allocations), confidence=0.9)
            taken = cash + deduction
            expect_ok = line not in self.live and taken <= self.open[invoice]
            try:
                with write_transaction(engine) as session:
                    applied = apply_proposal(
                        session,
                        self.tenant,
                        self.lines[line],
                        proposal,
                        actor_type=ActorType.MODEL,
                        actor_id="prop",
                    )
            except (AlreadyAppliedError, InvariantViolation):
                assert not expect_ok
                return
            assert expect_ok
            self.open[invoice] -= taken
            self.live[line] = (applied.application_id, invoice, taken)

        @rule(line=st.integers(0, len(LINES) - 1))
        def reverse(self, line: int) -> None:
            if line not in self.live:
                return
            application, invoice, taken = self.live.pop(line)
            with write_transaction(engine) as session:
                reverse_application(
                    session, self.tenant, application, actor_type=ActorType.USER, actor_id="prop"
                )
            self.open[invoice] += taken
            with pytest.raises(AlreadyReversedError), write_transaction(engine) as session:
                reverse_application(
                    session, self.tenant, application, actor_type=ActorType.USER, actor_id="prop"
                )

        @invariant()
        def database_equals_model(self) -> None:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT invoice_number, open_minor FROM open_item WHERE tenant_id = :t"),
                    {"t": self.tenant},
                ).all()
            stored = {row[0]: row[1] for row in rows}
            assert stored == self.open

        @invariant()
        def auditor_is_clean(self) -> None:
            with read_session(engine) as session:
                assert audit_ledger(session, self.tenant) == []

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=12,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
