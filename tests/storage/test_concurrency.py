"""Concurrency (RELIABILITY 2.1/2.3, scenarios C1, C2, C6, C7): OS processes applying at the
same instant (a barrier per round), on SQLite and PostgreSQL. Exactly one application per
contested line, open amounts never below zero, no deadlock and no "database is locked"
surfaced to the caller."""

from __future__ import annotations

import multiprocessing
from decimal import Decimal
from typing import Any

from sqlalchemy import text

Allocation = tuple[str, str | None, str]
Task = tuple[int, list[Allocation]]


def worker(url: str, tenant: int, plan: list[list[Task]], index: int, barrier: Any, out: Any):
    """Runs in a child process: one task per round, all workers released together."""
    from cashapp.core.errors import AlreadyAppliedError, InvariantViolation
    from cashapp.domain.proposals import AllocationKind, Proposal, ProposedAllocation
    from cashapp.reconciliation.apply import ActorType, apply_proposal
    from cashapp.storage.engine import make_engine
    from cashapp.storage.transactions import run_in_transaction

    engine = make_engine(url)
    outcomes = []
    for tasks in plan:
        line, allocations = tasks[index]
        proposal = Proposal(
            allocations=tuple(
                ProposedAllocation(
                    kind=AllocationKind(kind), invoice_number=number, amount=Decimal(amount)
                )
                for kind, number, amount in allocations
            ),
            confidence=1.0,
        )
        barrier.wait(timeout=60)
        try:
            run_in_transaction(
                engine,
                lambda session, line=line, proposal=proposal: apply_proposal(
                    session,
                    tenant,
                    line,
                    proposal,
                    actor_type=ActorType.RULE,
                    actor_id=f"worker-{index}",
                ),
            )
            outcomes.append("applied")
        except AlreadyAppliedError:
            outcomes.append("already_applied")
        except InvariantViolation as exc:
            outcomes.append(f"refused: {exc}"[:40])
        except Exception as exc:  # anything else is a failure the test reports
            outcomes.append(f"ERROR {type(exc).__name__}: {exc}")
    engine.dispose()
    out.put((index, outcomes))


def run_workers(url: str, tenant: int, plan: list[list[Task]], workers: int) -> list[list[str]]:
    # fork: the children start with cashapp already imported (spawn costs seconds per child
    # on a busy 2-core machine); the caller disposed its engine, so no connection is shared.
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers)
    out = context.Queue()
    processes = [
        context.Process(target=worker, args=(url, tenant, plan, i, barrier, out))
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    results = dict(out.get(timeout=180) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return [results[i] for i in range(workers)]


def test_c1_c7_eight_processes_one_line_one_invoice(engine, tenant, ledger, database_url):
    rounds, workers = 20, 8
    plan: list[list[Task]] = []
    for r in range(rounds):
        ledger.invoice(f"INV-{r}", "100.00")
    lines = ledger.lines(*[("100.00", f"INV-{r}") for r in range(rounds)])
    for r in range(rounds):
        plan.append([(lines[r], [("invoice", f"INV-{r}", "100.00")])] * workers)
    engine.dispose()  # no pooled connection crosses into the children
    outcomes = run_workers(database_url, tenant, plan, workers)
    for r in range(rounds):
        in_round = [outcomes[w][r] for w in range(workers)]
        assert in_round.count("applied") == 1, in_round
        assert in_round.count("already_applied") == workers - 1, in_round
    with engine.connect() as connection:
        assert (
            connection.execute(
                text("SELECT count(*) FROM application WHERE tenant_id = :t"), {"t": tenant}
            ).scalar()
            == rounds
        )
        assert (
            connection.execute(
                text("SELECT sum(open_minor) FROM open_item WHERE tenant_id = :t"), {"t": tenant}
            ).scalar()
            == 0
        )


def test_c2_c6_two_lines_one_invoice_and_crossed_invoices(engine, tenant, ledger, database_url):
    rounds = 5
    plan: list[list[Task]] = []
    for r in range(rounds):
        ledger.invoice(f"ONE-{r}", "100.00")
        ledger.invoice(f"A-{r}", "100.00")
        ledger.invoice(f"B-{r}", "100.00")
        first, second, x, y = ledger.lines(
            ("100.00", "a"), ("100.00", "b"), ("100.00", "x"), ("100.00", "y")
        )
        plan.append(
            [
                (first, [("invoice", f"ONE-{r}", "100.00")]),  # C2: two lines, one invoice
                (second, [("invoice", f"ONE-{r}", "100.00")]),
                (x, [("invoice", f"A-{r}", "50.00"), ("invoice", f"B-{r}", "50.00")]),  # C6
                (y, [("invoice", f"B-{r}", "50.00"), ("invoice", f"A-{r}", "50.00")]),
            ]
        )
    engine.dispose()
    outcomes = run_workers(database_url, tenant, plan, 4)
    for r in range(rounds):
        c2 = [outcomes[0][r], outcomes[1][r]]
        assert c2.count("applied") == 1 and any(o.startswith("refused: R3") for o in c2), c2
        assert outcomes[2][r] == outcomes[3][r] == "applied", (outcomes[2][r], outcomes[3][r])
    with engine.connect() as connection:
        assert (
            connection.execute(
                text("SELECT min(open_minor) FROM open_item WHERE tenant_id = :t"), {"t": tenant}
            ).scalar()
            == 0
        )
