"""The set-based apply of the lettrage run: a chunk of certain payments in one transaction.

``apply_in_bulk`` writes the same rows as ``apply.apply_proposal`` called line after line
(decisions, applications, allocations, open amounts, lettrage codes, outbox events), with a
constant number of statements per table for the whole chunk instead of a dozen per line:
1. lock the chunk's bank lines, find those already applied (a reviewer was first: skipped);
2. check each proposal as the per-line path does (booked credit, R2, currencies) and lock
   the invoices; settle the lines in order against the open amounts, refusing a line that
   would take more than is open (R3) or names an unknown invoice (it goes to review);
3. take a block of lettrage numbers and of ids; insert every table's rows in bulk; one
   relative UPDATE of the open amounts.
The database still guards every rule (R1 index, R3 CHECK, R2 at commit, R8/R9 triggers).
``apply_chunk`` owns the transaction: if the database refuses a bulk statement all the same,
the chunk is rolled back and applied again line by line (``apply_one_by_one``), each line in
its own savepoint, so one bad line never costs the rest. Either way a chunk is all or nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cashapp.core.clock import utc_now
from cashapp.core.errors import (
    AlreadyAppliedError,
    CashappError,
    ConflictError,
    InvariantViolation,
    NotFoundError,
)
from cashapp.domain.proposals import Proposal
from cashapp.reconciliation import ledger_events
from cashapp.reconciliation.apply import (
    ActorType,
    allocation_values,
    apply_proposal,
    decision_values,
    invoice_reductions,
    minor_amounts,
    settle,
)
from cashapp.reconciliation.lettrage import lettrage_code
from cashapp.storage import Engine, Session
from cashapp.storage.repositories import ledger, ledger_bulk
from cashapp.storage.transactions import run_in_transaction, savepoint

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    APPLIED = "applied"
    SKIPPED = "skipped"  # a live application was there first
    REFUSED = "refused"  # the ledger moved since the match: the line goes to review
    MISSING = "missing"  # not a bank line of this tenant: nothing to write


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who applies: recorded on every decision of the chunk."""

    actor_type: ActorType
    actor_id: str
    model_name: str | None = None
    threshold: float | None = None
    # Customers whose lines had to clear a stricter threshold (``run.tightened_policy``).
    customer_thresholds: Mapping[str, float] = field(default_factory=dict)

    def threshold_for(self, proposal: Proposal) -> float | None:
        """The threshold ``proposal`` cleared: the run's, or its customer's when stricter."""
        stricter = self.customer_thresholds.get(proposal.customer_id or "")
        if stricter is None or self.threshold is None:
            return self.threshold
        return max(self.threshold, stricter)


@dataclass(frozen=True, slots=True)
class _Planned:
    index: int
    line: ledger_bulk.LockedLine
    proposal: Proposal
    amounts: list[int]
    reductions: dict[str, int]
    partial: bool


Item = tuple[int, Proposal]  # (bank line id, the proposal to apply)


def apply_chunk(engine: Engine, tenant: int, items: Sequence[Item], *, actor: Actor) -> list[Outcome]:
    """Apply ``items`` in one transaction, set-based; line by line if the database refuses."""
    if not items:
        return []
    try:
        return run_in_transaction(engine, lambda s: apply_in_bulk(s, tenant, items, actor=actor))
    except CashappError as exc:
        log.warning("bulk apply of %d lines refused (%s); applying them one by one", len(items), exc)
    return run_in_transaction(engine, lambda s: apply_one_by_one(s, tenant, items, actor=actor))


def apply_in_bulk(
    session: Session, tenant: int, items: Sequence[Item], *, actor: Actor
) -> list[Outcome]:
    """The set-based apply of ``items`` in the caller's transaction; each item's outcome."""
    now = utc_now()
    line_ids = [line_id for line_id, _ in items]
    lines = ledger_bulk.lock_bank_lines(session, tenant, line_ids)
    live = ledger_bulk.lines_with_live_application(session, tenant, line_ids)
    outcomes = [Outcome.REFUSED] * len(items)
    checked: list[tuple[int, ledger_bulk.LockedLine, Proposal, list[int]]] = []
    for index, (line_id, proposal) in enumerate(items):
        line = lines.get(line_id)
        if line is None:
            outcomes[index] = Outcome.MISSING
        elif line_id in live:
            outcomes[index] = Outcome.SKIPPED
        else:
            try:
                amounts = minor_amounts(
                    proposal,
                    status=line.status,
                    amount_minor=line.amount_minor,
                    currency=line.currency,
                )
            except (ConflictError, InvariantViolation):
                continue
            checked.append((index, line, proposal, amounts))
    numbers = sorted({n for _, _, proposal, _ in checked for n in proposal.invoice_numbers()})
    invoices = ledger.lock_open_items_by_number(session, tenant, numbers)
    open_now = {number: invoice.open_minor for number, invoice in invoices.items()}
    planned: list[_Planned] = []
    for index, line, proposal, amounts in checked:
        try:
            reductions = invoice_reductions(proposal, amounts, invoices, currency=line.currency)
            partial = settle(reductions, open_now)
        except (NotFoundError, InvariantViolation):
            continue
        for number, reduction in reductions.items():
            open_now[number] -= reduction
        planned.append(_Planned(index, line, proposal, amounts, reductions, partial))
        outcomes[index] = Outcome.APPLIED
    if planned:
        _write(session, tenant, planned, invoice_ids={n: i.id for n, i in invoices.items()},
               actor=actor, now=now)
    return outcomes


def _write(
    session: Session,
    tenant: int,
    planned: Sequence[_Planned],
    *,
    invoice_ids: dict[str, int],
    actor: Actor,
    now: datetime,
) -> None:
    """The rows of the planned applications, one bulk statement per table."""
    count = len(planned)
    first_number = ledger_bulk.take_lettrage_numbers(session, tenant, count)
    decision_ids = ledger_bulk.reserve_ids(session, "decision", count)
    application_ids = ledger_bulk.reserve_ids(session, "application", count)
    decisions, applications, allocations, events = [], [], [], []
    reductions: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for k, plan in enumerate(planned):
        code = lettrage_code(first_number + k, partial=plan.partial)
        bank_line_id, currency = plan.line.id, plan.line.currency
        decisions.append(
            {
                "id": decision_ids[k],
                **decision_values(
                    tenant,
                    bank_line_id,
                    plan.proposal,
                    actor_type=actor.actor_type,
                    actor_id=actor.actor_id,
                    model_name=actor.model_name,
                    threshold=actor.threshold_for(plan.proposal),
                    at=now,
                ),
            }
        )
        applications.append(
            {
                "id": application_ids[k],
                **ledger.new_application(
                    tenant_id=tenant,
                    bank_line_id=bank_line_id,
                    currency=currency,
                    decision_id=decision_ids[k],
                    at=now,
                    lettrage_code=code,
                    lettrage_date=now.date(),
                    lettrage_partial=plan.partial,
                ),
            }
        )
        allocations += allocation_values(
            tenant,
            application_ids[k],
            plan.proposal,
            plan.amounts,
            invoice_ids=invoice_ids,
            currency=currency,
        )
        for number, reduction in plan.reductions.items():
            reductions[invoice_ids[number]][0] += reduction
            reductions[invoice_ids[number]][1] += 1
        events += ledger_events.application_created_events(
            tenant,
            application_id=application_ids[k],
            bank_line_id=bank_line_id,
            bank_ref=plan.line.bank_ref,
            lettrage_code=code,
            partial=plan.partial,
            currency=currency,
            allocations=list(zip(plan.proposal.allocations, plan.amounts, strict=True)),
        )
    ledger_bulk.add_decisions(session, decisions)
    ledger_bulk.add_applications(session, applications)
    ledger_bulk.add_allocations(session, allocations)
    ledger_bulk.reduce_open_amounts(
        session, tenant, {i: (r, moves) for i, (r, moves) in reductions.items()}
    )
    ledger_bulk.add_outbox_events(session, tenant, events, at=now)


def apply_one_by_one(
    session: Session, tenant: int, items: Sequence[Item], *, actor: Actor
) -> list[Outcome]:
    """The per-line path for a chunk, in the caller's transaction: a savepoint per line, so
    a line the ledger refuses is rolled back alone."""
    outcomes = []
    for line_id, proposal in items:
        try:
            with savepoint(session):
                apply_proposal(
                    session,
                    tenant,
                    line_id,
                    proposal,
                    actor_type=actor.actor_type,
                    actor_id=actor.actor_id,
                    model_name=actor.model_name,
                    threshold=actor.threshold_for(proposal),
                )
            outcomes.append(Outcome.APPLIED)
        except AlreadyAppliedError:
            outcomes.append(Outcome.SKIPPED)
        except NotFoundError:
            found = ledger.lock_bank_line(session, tenant, line_id) is not None
            outcomes.append(Outcome.REFUSED if found else Outcome.MISSING)
        except (InvariantViolation, ConflictError):
            outcomes.append(Outcome.REFUSED)
    return outcomes
