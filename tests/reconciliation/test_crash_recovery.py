"""Crash recovery without failpoints (RELIABILITY I7, I10) and the reverse/re-apply race (C5).

I7: a child process applies hundreds of lines, one transaction per line, and is killed with
SIGKILL at a random moment (seeded). Afterwards the auditor is clean, every line has 0 or 1
live application and nothing is partial (no decision without its application, no application
without allocations, allocations adding up, an outbox row for each application); a re-run
applies the rest and nothing twice. I10 (PostgreSQL): the worker's connection is terminated
with ``pg_terminate_backend`` while it applies; the transaction rolls back and a retry
completes. C5: two processes reverse and re-apply the same line at the same instant.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text
from tests.conftest import LedgerBuilder

from cashapp.core.errors import AlreadyAppliedError
from cashapp.domain.ledger import OpenItem
from cashapp.domain.money import from_minor
from cashapp.domain.proposals import AllocationKind, Proposal, ProposedAllocation
from cashapp.domain.reasons import ReasonCode
from cashapp.reconciliation.apply import ActorType, apply_proposal, reverse_application
from cashapp.reconciliation.audit import audit_ledger
from cashapp.reconciliation.open_items import import_open_items
from cashapp.reconciliation.run import APPLY_CHUNK
from cashapp.storage.engine import SQLITE_BEGIN_OPTION
from cashapp.storage.transactions import read_session, write_transaction

LINES = 600
FORK = multiprocessing.get_context("fork")


def invoice_minor(index: int) -> int:
    return 10000 + index


def plan_line(index: int) -> tuple[int, Proposal]:
    """Line ``index``'s amount and proposal: exact, overpayment, or short with a deduction."""
    number, due = f"INV-{index:05d}", invoice_minor(index)
    invoice = ProposedAllocation(
        kind=AllocationKind.INVOICE, invoice_number=number, amount=from_minor(due, "EUR")
    )
    if index % 3 == 0:
        return due, Proposal(allocations=(invoice,), confidence=1.0)
    if index % 3 == 1:
        extra = ProposedAllocation(kind=AllocationKind.ON_ACCOUNT, amount=from_minor(55, "EUR"))
        return due + 55, Proposal(allocations=(invoice, extra), confidence=1.0)
    paid = due - 120
    short = ProposedAllocation(
        kind=AllocationKind.INVOICE, invoice_number=number, amount=from_minor(paid, "EUR")
    )
    deduction = ProposedAllocation(
        kind=AllocationKind.DEDUCTION,
        invoice_number=number,
        amount=from_minor(120, "EUR"),
        reason_code=ReasonCode.OTHER,
    )
    return paid, Proposal(allocations=(short, deduction), confidence=1.0)


def build_batch(engine: Engine, tenant: int, count: int = LINES) -> list[int]:
    """``count`` invoices and one statement of ``count`` matching lines; the line ids."""
    items = [
        OpenItem(
            invoice_number=f"INV-{i:05d}",
            customer_id="C1",
            customer_name="Customer One",
            issue_date=date(2025, 10, 1),
            due_date=date(2025, 10, 31),
            currency="EUR",
            amount=from_minor(invoice_minor(i), "EUR"),
            open_amount=from_minor(invoice_minor(i), "EUR"),
        )
        for i in range(count)
    ]
    with write_transaction(engine) as session:
        import_open_items(session, tenant, items)
    builder = LedgerBuilder(engine=engine, tenant=tenant)
    specs = [(str(from_minor(plan_line(i)[0], "EUR")), f"INV-{i:05d}") for i in range(count)]
    return builder.lines(*specs)


def apply_all(
    url: str, tenant: int, line_ids: list[int], out: Any = None, pause: float = 0.0
) -> None:
    """The batch: each line in its own transaction; a line already applied is skipped;
    a lost connection (I10) is retried on a fresh one. ``pause`` holds each transaction open
    after its writes (a child to be killed: the kill then often lands mid-transaction, and a
    loaded machine cannot let the batch finish before the watcher sees its commits)."""
    from sqlalchemy.exc import DBAPIError

    from cashapp.storage.engine import make_engine

    engine = make_engine(url)
    lost = 0
    for index, line in enumerate(line_ids):
        for _attempt in range(20):
            try:
                with write_transaction(engine) as session:
                    apply_proposal(
                        session,
                        tenant,
                        line,
                        plan_line(index)[1],
                        actor_type=ActorType.RULE,
                        actor_id="batch",
                    )
                    if pause:
                        time.sleep(pause)
                break
            except AlreadyAppliedError:
                break
            except DBAPIError:
                lost += 1
        else:
            raise AssertionError(f"line {line} never applied")
    engine.dispose()
    if out is not None:
        out.put(lost)


def count_applications(engine: Engine, tenant: int) -> int:
    # a plain read: on SQLite a DEFERRED begin, so the watcher never queues for the write
    # lock the batch takes for every line (IMMEDIATE, the engine's default) and starves
    reader = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
    with reader.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM application WHERE tenant_id = :t"), {"t": tenant}
            ).scalar_one()
        )


def assert_nothing_partial(engine: Engine, tenant: int, line_ids: list[int]) -> int:
    """The crash-recovery checks; returns the number of lines with a live application."""
    params = {"t": tenant}
    with read_session(engine) as session:
        assert audit_ledger(session, tenant) == []
    with engine.connect() as connection:

        def rows(sql: str) -> list[Any]:
            return list(connection.execute(text(sql), params).all())

        live = rows(
            "SELECT bank_line_id, count(*) FROM application WHERE tenant_id = :t"
            " AND reversed_at IS NULL AND reverses_id IS NULL GROUP BY bank_line_id"
        )
        assert all(n == 1 for _, n in live)
        assert {line for line, _ in live} <= set(line_ids)
        assert (
            rows(
                "SELECT d.id FROM decision AS d LEFT JOIN application AS a ON a.decision_id = d.id"
                " WHERE d.tenant_id = :t AND a.id IS NULL"
            )
            == []
        ), "a decision without its application"
        assert (
            rows(
                "SELECT a.id FROM application AS a LEFT JOIN allocation AS al"
                " ON al.application_id = a.id WHERE a.tenant_id = :t AND a.reverses_id IS NULL"
                " AND al.id IS NULL"
            )
            == []
        ), "an application without allocations"
        assert (
            rows(
                "SELECT a.id FROM application AS a JOIN bank_line AS b ON b.id = a.bank_line_id"
                " JOIN allocation AS al ON al.application_id = a.id WHERE a.tenant_id = :t"
                " AND al.kind IN ('invoice', 'on_account')"
                " GROUP BY a.id, b.amount_minor HAVING SUM(al.amount_minor) <> b.amount_minor"
            )
            == []
        ), "allocations not adding up to the line"
        applications = {row[0] for row in rows("SELECT id FROM application WHERE tenant_id = :t")}
        events = rows(
            "SELECT event_id FROM outbox WHERE tenant_id = :t AND kind = 'application.created'"
        )
        assert sorted(e for (e,) in events) == sorted(
            f"application.created:{tenant}:{a}" for a in applications
        ), "an application without its outbox row, or an outbox row without its application"
        decisions = rows("SELECT count(*) FROM decision WHERE tenant_id = :t")[0][0]
        assert decisions == len(applications)
    return len(live)


def assert_complete(engine: Engine, tenant: int, line_ids: list[int]) -> None:
    assert assert_nothing_partial(engine, tenant, line_ids) == len(line_ids)
    assert count_applications(engine, tenant) == len(line_ids)  # nothing applied twice
    with engine.connect() as connection:
        still_open = connection.execute(
            text("SELECT count(*) FROM open_item WHERE tenant_id = :t AND open_minor <> 0"),
            {"t": tenant},
        ).scalar_one()
    assert still_open == 0


def kill_when(engine: Engine, tenant: int, process: Any, target: int, jitter: float) -> int:
    """SIGKILL ``process`` once ``target`` applications are committed (plus ``jitter`` s)."""
    deadline = time.monotonic() + 120
    while count_applications(engine, tenant) < target:
        assert process.is_alive(), "the batch ended before the kill"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    time.sleep(jitter)
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=30)
    assert process.exitcode == -signal.SIGKILL
    return count_applications(engine, tenant)


@pytest.mark.parametrize("seed", [7, pytest.param(2026, marks=pytest.mark.slow)])
def test_sigkill_mid_batch_then_rerun(engine, tenant, database_url, seed) -> None:
    """I7 without failpoints: killed at a random moment, the ledger is whole; a re-run finishes."""
    rng = random.Random(seed)
    line_ids = build_batch(engine, tenant)
    engine.dispose()  # the child must not inherit pooled connections
    child = FORK.Process(target=apply_all, args=(database_url, tenant, line_ids, None, 0.005))
    child.start()
    applied = kill_when(engine, tenant, child, rng.randint(20, LINES // 3), rng.random() / 100)
    assert 0 < applied < len(line_ids)
    assert assert_nothing_partial(engine, tenant, line_ids) == applied
    apply_all(database_url, tenant, line_ids)  # the re-run
    assert_complete(engine, tenant, line_ids)
    apply_all(database_url, tenant, line_ids)  # and once more: nothing changes
    assert_complete(engine, tenant, line_ids)


def lettrage_run(url: str, tenant: int) -> None:
    """The real batch: ``run_lettrage`` with the rules matcher (set-based chunks of
    ``run.APPLY_CHUNK`` lines, each all or nothing)."""
    from cashapp.matcher import load_matcher
    from cashapp.matcher.api import MatchPolicy
    from cashapp.reconciliation.run import run_lettrage
    from cashapp.storage.engine import make_engine

    engine = make_engine(url)
    run_lettrage(engine, tenant, matcher=load_matcher(), policy=MatchPolicy())
    engine.dispose()


def exact_batch(engine: Engine, tenant: int, count: int) -> list[int]:
    """``count`` invoices, each paid exactly by one line quoting its number."""
    items = [
        OpenItem(
            invoice_number=f"INV-{70000 + i}",
            customer_id=f"C{i % 40}",
            customer_name=f"Customer {i % 40} GmbH",
            issue_date=date(2025, 10, 1),
            due_date=date(2025, 10, 31),
            currency="EUR",
            amount=from_minor(invoice_minor(i), "EUR"),
            open_amount=from_minor(invoice_minor(i), "EUR"),
        )
        for i in range(count)
    ]
    with write_transaction(engine) as session:
        import_open_items(session, tenant, items)
    builder = LedgerBuilder(engine=engine, tenant=tenant)
    specs = [
        (str(from_minor(invoice_minor(i), "EUR")), f"Rechnung INV-{70000 + i}")
        for i in range(count)
    ]
    return builder.lines(*specs)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11])
def test_sigkill_mid_lettrage_run_then_rerun(engine, tenant, database_url, backend, seed) -> None:
    """I7 on the real run: killed mid-run, no chunk is half there; the re-run finishes.

    PostgreSQL only for now: on SQLite the watcher did not see the run's chunks commit
    before the run ended (under investigation); SQLite's crash path is covered by
    ``test_sigkill_mid_batch_then_rerun`` and ``tests/storage/test_crash.py``.
    """
    if backend != "postgresql":
        pytest.skip("the real-run kill is exercised on PostgreSQL (see the docstring)")
    rng = random.Random(seed)
    count = 4000  # enough that the run is still going when the kill lands
    line_ids = exact_batch(engine, tenant, count)
    engine.dispose()
    child = FORK.Process(target=lettrage_run, args=(database_url, tenant))
    child.start()
    applied = kill_when(engine, tenant, child, rng.choice([1, APPLY_CHUNK]), 0.0)
    assert 0 < applied < count
    assert applied % APPLY_CHUNK == 0  # whole chunks only
    assert assert_nothing_partial(engine, tenant, line_ids) == applied
    lettrage_run(database_url, tenant)
    assert_complete(engine, tenant, line_ids)
    lettrage_run(database_url, tenant)
    assert_complete(engine, tenant, line_ids)


@pytest.mark.postgres
def test_connection_terminated_mid_apply_rolls_back_and_retry_completes(
    postgres_engine, postgres_schema
) -> None:
    """I10: pg_terminate_backend on the worker's connection while it applies."""
    from tests.conftest import postgres_url

    from cashapp.storage.repositories.tenants import create_tenant

    engine = postgres_engine
    with write_transaction(engine) as session:
        tenant = create_tenant(session, f"i10-{uuid.uuid4().hex[:10]}").id
    assert tenant is not None
    count = 300
    line_ids = build_batch(engine, tenant, count)
    name = f"cashapp-i10-{uuid.uuid4().hex[:8]}"
    url = f"{postgres_url(postgres_schema)}&application_name={name}"
    engine.dispose()
    out = FORK.Queue()
    child = FORK.Process(target=apply_all, args=(url, tenant, line_ids, out))
    child.start()
    terminated = 0
    deadline = time.monotonic() + 60
    with engine.connect() as admin:
        admin.execute(text("SET application_name = 'i10-admin'"))
        while terminated < 5 and child.is_alive() and time.monotonic() < deadline:
            if count_applications(engine, tenant) < 30 * (terminated + 1):
                time.sleep(0.005)
                continue
            # only a connection inside a transaction: an idle one would just be replaced
            killed = admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :name AND state <> 'idle'"
                ),
                {"name": name},
            ).all()
            admin.commit()
            terminated += sum(1 for (ok,) in killed if ok)
    lost = out.get(timeout=120)
    child.join(timeout=30)
    assert child.exitcode == 0
    assert terminated >= 1
    assert lost >= 1, "no apply saw its connection lost"
    assert_complete(engine, tenant, line_ids)


def test_error_inside_the_apply_transaction_rolls_back_and_retry_completes(
    engine, tenant, database_url
) -> None:
    """I10 on both backends: an error raised after the apply wrote everything (flushed, not
    committed) leaves no orphan decision, application, allocation or outbox row."""
    line_ids = build_batch(engine, tenant, 6)
    for index, line in enumerate(line_ids):
        with pytest.raises(RuntimeError), write_transaction(engine) as session:
            apply_proposal(
                session, tenant, line, plan_line(index)[1], actor_type=ActorType.RULE, actor_id="x"
            )
            session.flush()
            raise RuntimeError("the connection went away")
        assert assert_nothing_partial(engine, tenant, line_ids) == 0
    apply_all(database_url, tenant, line_ids)
    assert_complete(engine, tenant, line_ids)


def reverse_and_reapply(
    url: str, tenant: int, plan: list[tuple[int, str]], role: int, barrier: Any, out: Any
) -> None:
    """C5 worker. Role 0 and 1: reverse the live application and re-apply the line to another
    invoice in ONE transaction. Role 2: reverse, then re-apply on account in a second one."""
    from cashapp.core.errors import CashappError
    from cashapp.reconciliation.apply import reverse_application
    from cashapp.storage.engine import make_engine
    from cashapp.storage.repositories.ledger import find_live_application

    engine = make_engine(url)
    outcomes = []
    for line, prefix in plan:
        barrier.wait(timeout=60)
        target = f"{prefix}-{'BC'[role]}" if role < 2 else None
        kind = AllocationKind.INVOICE if target else AllocationKind.ON_ACCOUNT
        proposal = Proposal(
            allocations=(
                ProposedAllocation(
                    kind=kind, invoice_number=target, amount=from_minor(10000, "EUR")
                ),
            ),
            confidence=1.0,
        )
        try:
            with write_transaction(engine) as session:
                live = find_live_application(session, tenant, line)
                if live is None or live.id is None:
                    outcomes.append("nothing live")
                    continue
                reverse_application(
                    session, tenant, live.id, actor_type=ActorType.USER, actor_id=f"w{role}"
                )
                if role < 2:
                    apply_proposal(
                        session,
                        tenant,
                        line,
                        proposal,
                        actor_type=ActorType.USER,
                        actor_id=f"w{role}",
                    )
            if role == 2:
                with write_transaction(engine) as session:
                    apply_proposal(
                        session, tenant, line, proposal, actor_type=ActorType.USER, actor_id="w2"
                    )
            outcomes.append("done")
        except CashappError as exc:
            outcomes.append(type(exc).__name__)
        except Exception as exc:  # reported and failed by the test
            outcomes.append(f"ERROR {type(exc).__name__}: {exc}")
    engine.dispose()
    out.put((role, outcomes))


def test_concurrent_reverse_and_reapply(engine, tenant, ledger, database_url) -> None:
    """C5: at most one live application per line at the end; the auditor clean."""
    rounds = 8
    plan = []
    for r in range(rounds):
        prefix = f"R{r}"
        for suffix in "ABC":
            ledger.invoice(f"{prefix}-{suffix}", "100.00")
        (line,) = ledger.lines(("100.00", f"{prefix}-A"))
        ledger.apply(
            line,
            Proposal(
                allocations=(
                    ProposedAllocation(
                        kind=AllocationKind.INVOICE,
                        invoice_number=f"{prefix}-A",
                        amount=from_minor(10000, "EUR"),
                    ),
                ),
                confidence=1.0,
            ),
        )
        plan.append((line, prefix))
    engine.dispose()
    barrier = FORK.Barrier(3)
    out = FORK.Queue()
    workers = [
        FORK.Process(
            target=reverse_and_reapply, args=(database_url, tenant, plan, role, barrier, out)
        )
        for role in range(3)
    ]
    for worker in workers:
        worker.start()
    results = dict(out.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    errors = [o for outcomes in results.values() for o in outcomes if o.startswith("ERROR")]
    assert errors == []
    with read_session(engine) as session:
        assert audit_ledger(session, tenant) == []
    with engine.connect() as connection:
        live = dict(
            connection.execute(
                text(
                    "SELECT bank_line_id, count(*) FROM application WHERE tenant_id = :t"
                    " AND reversed_at IS NULL AND reverses_id IS NULL GROUP BY bank_line_id"
                ),
                {"t": tenant},
            ).all()
        )
        opens = dict(
            connection.execute(
                text("SELECT invoice_number, open_minor FROM open_item WHERE tenant_id = :t"),
                {"t": tenant},
            ).all()
        )
    # every transaction that takes the line away also gives it back, so exactly one stays live
    assert live == {line: 1 for line, _ in plan}, results
    for _, prefix in plan:
        assert sorted(opens[f"{prefix}-{s}"] for s in "ABC") in ([0, 10000, 10000], [10000] * 3)


RACE_PROPOSAL = Proposal(
    allocations=(
        ProposedAllocation(
            kind=AllocationKind.INVOICE, invoice_number="RACE-1", amount=from_minor(10000, "EUR")
        ),
    ),
    confidence=1.0,
)


@pytest.mark.parametrize("operation", ["apply", "reverse"])
def test_open_item_import_racing_the_ledger_loses_no_update(
    engine, tenant, ledger, backend, request, operation
) -> None:
    """An ERP open-item import (the due date moved) that read an invoice just before an apply
    or a reversal commits must not overwrite the open amount that apply or reversal set."""
    ledger.invoice("RACE-1", "100.00")
    (line,) = ledger.lines(("100.00", "RACE-1"))
    application = ledger.apply(line, RACE_PROPOSAL) if operation == "reverse" else 0
    rescheduled = OpenItem(
        invoice_number="RACE-1",
        customer_id="C1",
        customer_name="Customer C1",
        issue_date=date(2025, 10, 1),
        due_date=date(2025, 11, 30),  # the ERP moved the due date
        currency="EUR",
        amount=from_minor(10000, "EUR"),
        open_amount=from_minor(10000, "EUR"),
    )
    errors: list[BaseException] = []

    def erp_import() -> None:
        try:
            with write_transaction(engine) as session:
                import_open_items(session, tenant, [rescheduled])
        except BaseException as exc:  # reported below
            errors.append(exc)

    importer = threading.Thread(target=erp_import)
    with write_transaction(engine) as session:
        if operation == "apply":
            apply_proposal(
                session, tenant, line, RACE_PROPOSAL, actor_type=ActorType.RULE, actor_id="race"
            )
        else:
            reverse_application(
                session, tenant, application, actor_type=ActorType.USER, actor_id="race"
            )
        session.flush()  # the invoice row is locked and moved, not committed yet
        importer.start()
        time.sleep(1.0)  # the import reads the committed row and waits to write
    importer.join(timeout=30)
    assert errors == []
    with read_session(engine) as session:
        assert audit_ledger(session, tenant) == []
    assert ledger.open_minor("RACE-1") == (0 if operation == "apply" else 10000)
