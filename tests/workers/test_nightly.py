"""The nightly run: in one process on SQLite; fanned out to two procrastinate worker
processes on PostgreSQL, one of them killed with SIGKILL mid-run. Afterwards every line has
at most one live application, the auditor finds nothing, every chunk finished, and a second
nightly run creates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.api.scenario import store_lines

from cashapp.core.settings import Settings
from cashapp.domain.ledger import OpenItem
from cashapp.reconciliation.audit import audit_ledger
from cashapp.reconciliation.nightly import run_nightly
from cashapp.reconciliation.open_items import import_open_items
from cashapp.storage.database import open_database
from cashapp.storage.engine import make_engine
from cashapp.storage.repositories.tenants import create_tenant
from cashapp.storage.transactions import read_session, write_transaction
from tests_support import missing_service

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = os.environ.get("CASHAPP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ACCOUNTS = ["FR7630006000011234567890189", "DE89370400440532013000", "GB29NWBK60161331926819"]


def seed(engine: Any, name: str, *, per_account: int) -> int:
    """A tenant whose every line the rules matcher applies (reference and amount exact)."""
    n = per_account * len(ACCOUNTS)
    with write_transaction(engine) as s:
        row = create_tenant(s, name)
        assert row.id is not None
        tid = row.id
        import_open_items(s, tid, [OpenItem(
            invoice_number=f"{name[:2].upper()}-{5000 + i}", customer_id=f"C{i % 9}", customer_name=f"Customer {i % 9} SA",
            issue_date=date(2025, 10, 1), due_date=date(2025, 10, 31), currency="EUR",
            amount=Decimal(100 + i), open_amount=Decimal(100 + i)) for i in range(n)])
    for k, account in enumerate(ACCOUNTS):
        store_lines(engine, tid, [(f"{100 + i}.00", f"Customer {i % 9} SA", f"Invoice {name[:2].upper()}-{5000 + i}")
                                  for i in range(k, n, len(ACCOUNTS))], account=account)
    return tid


def counts(engine: Any) -> tuple[int, int]:
    with engine.connect() as c:
        apps = c.execute(text("SELECT count(*) FROM application")).scalar_one()
        live_dupes = c.execute(text(
            "SELECT count(*) FROM (SELECT bank_line_id FROM application WHERE reversed_at IS NULL AND reverses_id IS NULL"
            " GROUP BY bank_line_id HAVING count(*) > 1) d")).scalar_one()
    return int(apps), int(live_dupes)


def test_nightly_in_one_process_on_sqlite(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'n.db'}")
    a, b = seed(engine, "alpha", per_account=6), seed(engine, "bravo", per_account=4)
    settings = Settings(database_url=str(engine.url), inbox=tmp_path / "inbox")
    summaries = run_nightly(engine, settings)
    assert [(s.tenant, s.lines, s.applied, s.queued, s.errors) for s in summaries] == [
        ("alpha", 18, 18, 0, []), ("bravo", 12, 12, 0, [])]
    assert summaries[0].applied_amounts == {"EUR": sum((Decimal(100 + i) for i in range(18)), Decimal(0))}
    first, _ = counts(engine)
    again = run_nightly(engine, settings)
    assert [s.applied for s in again] == [0, 0] and counts(engine) == (first, 0)
    with read_session(engine) as s:
        assert audit_ledger(s, a) == [] and audit_ledger(s, b) == []


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"svc_nightly_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_SERVER)
    try:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception:
        missing_service("PostgreSQL on 127.0.0.1:5432 is not reachable")
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "cashapp.cli.nightly", "worker", "--concurrency", "1",
                             "--heartbeat", "0.5"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_one_killed_mid_run(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cashapp.reconciliation.jobs import ensure_schema, run_nightly_on_workers

    monkeypatch.setenv("CASHAPP_DATABASE_URL", pg_url)
    monkeypatch.setenv("CASHAPP_INBOX", str(tmp_path / "inbox"))
    engine = open_database(pg_url)
    tenants = [seed(engine, "alpha", per_account=12), seed(engine, "bravo", per_account=12)]
    total_lines = 2 * 12 * len(ACCOUNTS)
    (tmp_path / "inbox" / "alpha").mkdir(parents=True)  # a file arrived: its chunk job is
    (tmp_path / "inbox" / "alpha" / "camt.xml").write_bytes(  # deferred with its lines
        (ROOT / "fixtures" / "statements" / "camt" / "camt053_v02_features.xml").read_bytes())
    ensure_schema(engine)
    env = {**os.environ, "CASHAPP_DATABASE_URL": pg_url, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
           "CASHAPP_NIGHTLY_LINE_DELAY": "0.15"}
    workers = [_worker(env), _worker(env)]
    result: dict[str, Any] = {}
    def coordinate() -> None:
        try:
            result["fan"] = run_nightly_on_workers(engine, wait_seconds=150, stalled_after=2.5, deliver=False)
        except BaseException as exc:
            import traceback

            result["error"] = "".join(traceback.format_exception(exc))

    coordinator = threading.Thread(target=coordinate)
    try:
        coordinator.start()
        deadline = time.monotonic() + 60
        while counts(engine)[0] < 6:  # both workers are mid-chunk by now
            assert time.monotonic() < deadline, workers[0].stderr.read() if workers[0].poll() is not None else "no progress"
            time.sleep(0.1)
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(10)
        killed_at = counts(engine)[0]
        assert killed_at < total_lines  # the kill really was mid-run
        coordinator.join(180)
        assert not coordinator.is_alive()
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                try:
                    w.wait(15)
                except subprocess.TimeoutExpired:
                    w.kill()
    assert "error" not in result, result.get("error")
    fan = result["fan"]
    assert fan.failed == [] and fan.stalled_retried >= 1
    with engine.connect() as c:
        statuses = dict(c.execute(text("SELECT status::text, count(*) FROM procrastinate_jobs"
                                       " WHERE task_name = 'cashapp.nightly_chunk' GROUP BY status")).all())
    assert "doing" not in statuses and "todo" not in statuses
    applications, dupes = counts(engine)
    with engine.connect() as c:
        open_lines = c.execute(text(
            "SELECT count(*) FROM bank_line b WHERE b.status = 'booked' AND b.amount_minor > 0 AND NOT EXISTS"
            " (SELECT 1 FROM application a WHERE a.bank_line_id = b.id AND a.reversed_at IS NULL"
            " AND a.reverses_id IS NULL)")).scalar_one()
        chunk_jobs = c.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'cashapp.nightly_chunk'"
                                    " AND args->>'run_id' = :r"), {"r": fan.run_id}).scalar_one()
    assert dupes == 0 and applications >= total_lines  # the seeded lines, applied once each
    assert fan.summaries[0].files_new == 1 and chunk_jobs == 2 * len(ACCOUNTS) + 1  # one per account, no duplicate
    assert sum(s.applied for s in fan.summaries) == applications
    assert sum(s.queued for s in fan.summaries) == open_lines  # the camt lines nobody matched wait in review
    with read_session(engine) as s:
        for tid in tenants:
            assert audit_ledger(s, tid) == []
    # a second nightly (here in one process) creates nothing
    again = run_nightly(engine, Settings(database_url=pg_url, inbox=tmp_path / "inbox"), deliver=False)
    assert [s.applied for s in again] == [0, 0] and counts(engine) == (applications, 0)
    engine.dispose()


def test_nightly_ingests_the_tenants_inbox_once(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'inbox.db'}")
    with write_transaction(engine) as s:
        create_tenant(s, "acme")
    inbox = tmp_path / "inbox" / "acme"
    inbox.mkdir(parents=True)
    camt = ROOT / "fixtures" / "statements" / "camt" / "camt053_v02_features.xml"
    (inbox / "today.xml").write_bytes(camt.read_bytes())
    (inbox / "junk.txt").write_bytes(b"not a bank file")
    settings = Settings(database_url=str(engine.url), inbox=tmp_path / "inbox")
    (first,) = run_nightly(engine, settings)
    assert first.files_new == 1 and len(first.errors) == 1 and "junk.txt" in first.errors[0]
    assert first.lines == 5  # booked incoming payments of the file
    assert first.queued == first.lines - first.applied
    (second,) = run_nightly(engine, settings)
    assert second.files_new == 0 and second.applied == 0 and second.lines == 5
    engine.dispose()
