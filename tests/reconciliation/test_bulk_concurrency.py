"""The set-based apply against a concurrent reviewer (RELIABILITY C1, C2, C3, C7), on SQLite
and PostgreSQL: two OS processes released together each round. The nightly applies a chunk
of lines in bulk while a reviewer applies, line by line, some of the same lines and another
payment to one of the same invoices. Each contested line is applied once, each contested
invoice settled once; the loser of a line skips it, the loser of an invoice is refused
(and would go to review); nothing else in the chunk is lost; no error surfaces."""

from __future__ import annotations

import multiprocessing
from typing import Any

from sqlalchemy import text

from cashapp.reconciliation.audit import audit_ledger
from cashapp.storage.transactions import read_session

ROUNDS, LINES = 10, 6
CONTESTED_LINES = (0, 2, 4)  # the reviewer applies these very lines too
CONTESTED_INVOICE = 1  # the reviewer pays this invoice with another line

Task = tuple[int, str]  # (bank line id, invoice number): a full payment of 100.00


def nightly(url: str, tenant: int, rounds: list[list[Task]], barrier: Any, out: Any) -> None:
    from decimal import Decimal

    from cashapp.domain.proposals import AllocationKind, Proposal, ProposedAllocation
    from cashapp.reconciliation.apply import ActorType
    from cashapp.reconciliation.bulk_apply import Actor, apply_chunk
    from cashapp.storage.engine import make_engine

    engine = make_engine(url)
    actor = Actor(actor_type=ActorType.RULE, actor_id="nightly", threshold=0.99)
    outcomes = []
    for tasks in rounds:
        items = [
            (line, Proposal(allocations=(ProposedAllocation(
                kind=AllocationKind.INVOICE, invoice_number=number, amount=Decimal("100.00")),),
                confidence=1.0, model_version="rules-1"))
            for line, number in tasks
        ]  # fmt: skip
        barrier.wait(timeout=60)
        try:
            outcomes.append([o.value for o in apply_chunk(engine, tenant, items, actor=actor)])
        except Exception as exc:
            outcomes.append([f"ERROR {type(exc).__name__}: {exc}"])
    engine.dispose()
    out.put(("nightly", outcomes))


def reviewer(url: str, tenant: int, rounds: list[list[Task]], barrier: Any, out: Any) -> None:
    from decimal import Decimal

    from cashapp.core.errors import AlreadyAppliedError, InvariantViolation
    from cashapp.domain.proposals import AllocationKind, Proposal, ProposedAllocation
    from cashapp.reconciliation.apply import ActorType, apply_proposal
    from cashapp.storage.engine import make_engine
    from cashapp.storage.transactions import run_in_transaction

    engine = make_engine(url)
    outcomes = []
    for tasks in rounds:
        barrier.wait(timeout=60)
        done = []
        for line, number in tasks:
            proposal = Proposal(allocations=(ProposedAllocation(
                kind=AllocationKind.INVOICE, invoice_number=number, amount=Decimal("100.00")),),
                confidence=1.0)  # fmt: skip
            try:
                run_in_transaction(
                    engine,
                    lambda s, line=line, proposal=proposal: apply_proposal(
                        s, tenant, line, proposal, actor_type=ActorType.USER, actor_id="alice"
                    ),
                )
                done.append("applied")
            except AlreadyAppliedError:
                done.append("skipped")
            except InvariantViolation:
                done.append("refused")
            except Exception as exc:
                done.append(f"ERROR {type(exc).__name__}: {exc}")
        outcomes.append(done)
    engine.dispose()
    out.put(("reviewer", outcomes))


def test_bulk_apply_against_a_concurrent_reviewer(engine, tenant, ledger, database_url) -> None:
    nightly_rounds: list[list[Task]] = []
    reviewer_rounds: list[list[Task]] = []
    for r in range(ROUNDS):
        numbers = [f"INV-{r}-{i}" for i in range(LINES)]
        for number in numbers:
            ledger.invoice(number, "100.00")
        *lines, other = ledger.lines(*[("100.00", n) for n in numbers], ("100.00", "other"))
        nightly_rounds.append(list(zip(lines, numbers, strict=True)))
        review = [(lines[i], numbers[i]) for i in CONTESTED_LINES]
        review.insert(1, (other, numbers[CONTESTED_INVOICE]))
        reviewer_rounds.append(review)
    engine.dispose()  # no pooled connection crosses into the children
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=nightly, args=(database_url, tenant, nightly_rounds, barrier, out)),
        context.Process(target=reviewer, args=(database_url, tenant, reviewer_rounds, barrier, out)),
    ]
    for process in processes:
        process.start()
    results = dict(out.get(timeout=300) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    for r in range(ROUNDS):
        bulk, review = results["nightly"][r], results["reviewer"][r]
        assert not any(o.startswith("ERROR") for o in bulk + review), (bulk, review)
        contested_review = review[:1] + review[2:]
        for i, seen in zip(CONTESTED_LINES, contested_review, strict=True):
            assert sorted([bulk[i], seen]) == ["applied", "skipped"], (r, i, bulk, review)
        assert sorted([bulk[CONTESTED_INVOICE], review[1]]) == ["applied", "refused"], (r, bulk, review)
        others = [o for i, o in enumerate(bulk) if i not in (*CONTESTED_LINES, CONTESTED_INVOICE)]
        assert others == ["applied"] * len(others), (r, bulk)
    with engine.connect() as connection:
        live = connection.execute(
            text(
                "SELECT count(*), count(DISTINCT bank_line_id) FROM application"
                " WHERE tenant_id = :t AND reversed_at IS NULL AND reverses_id IS NULL"
            ),
            {"t": tenant},
        ).one()
        opens = connection.execute(
            text("SELECT min(open_minor), max(open_minor) FROM open_item WHERE tenant_id = :t"),
            {"t": tenant},
        ).one()
    assert tuple(live) == (ROUNDS * LINES, ROUNDS * LINES)  # each invoice settled exactly once
    assert tuple(opens) == (0, 0)
    with read_session(engine) as session:
        assert audit_ledger(session, tenant) == []
