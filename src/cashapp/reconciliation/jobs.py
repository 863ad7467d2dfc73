"""The nightly run fanned out over procrastinate workers (PostgreSQL only).

procrastinate keeps its queue in the same PostgreSQL database as the ledger: the chunk
jobs are deferred on the connection of the transaction that decides them, fetched with
``FOR UPDATE SKIP LOCKED``, serialised per bank account (``lock``), and a job whose worker
stopped sending heartbeats (killed) is put back in the queue by ``retry_stalled``. Jobs
run at least once; a chunk is idempotent (see ``nightly.run_chunk``), so that is enough.

Workers: ``cashapp worker`` (or ``procrastinate --app=cashapp.reconciliation.jobs.app worker``),
one command per process, on as many machines as the database accepts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import procrastinate

from cashapp.core.clock import utc_now
from cashapp.core.settings import load_settings
from cashapp.reconciliation.nightly import (
    TenantSummary,
    ingest_inbox,
    run_chunk,
    summarize,
)
from cashapp.reconciliation.outbox import relay_until_idle
from cashapp.reconciliation.run import policy_from
from cashapp.storage import Engine, Session
from cashapp.storage import nightly as store
from cashapp.storage.database import open_database
from cashapp.storage.transactions import read_session, write_transaction

QUEUE = "nightly"
CHUNK_TASK = "cashapp.nightly_chunk"


def conninfo(url: str) -> str:
    """A libpq URI from the SQLAlchemy URL (``postgresql+psycopg://`` -> ``postgresql://``)."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        raise ValueError("the nightly workers need PostgreSQL (CASHAPP_DATABASE_URL)")
    return f"postgresql://{rest}"


class _LazyConnector(procrastinate.PsycopgConnector):
    """Reads ``CASHAPP_DATABASE_URL`` when opened, not at import (workers and tests set it)."""

    def __init__(self) -> None:
        super().__init__()

    async def open_async(self, pool: Any = None, **kwargs: Any) -> None:
        self._pool_args = {**self._pool_args, "conninfo": conninfo(load_settings().database_url)}
        await super().open_async(pool, **kwargs)

    def get_sync_connector(self) -> Any:
        self._pool_args = {**self._pool_args, "conninfo": conninfo(load_settings().database_url)}
        return super().get_sync_connector()


app = procrastinate.App(connector=_LazyConnector())


@cache
def _engine() -> Engine:
    return open_database(load_settings().database_url)


@app.task(name=CHUNK_TASK, queue=QUEUE, retry=procrastinate.RetryStrategy(max_attempts=5, wait=2))
def nightly_chunk(run_id: str, tenant_id: int, bank_account_id: int) -> dict[str, int]:
    """One tenant's bank account: match, apply what is certain, queue the rest."""
    result = run_chunk(_engine(), tenant_id, bank_account_id, policy=policy_from(load_settings()))
    return {"applied": result.applied, "suggested": result.suggested, "unmatched": result.unmatched}


@app.periodic(cron="* * * * *", periodic_id="retry-stalled")
@app.task(name="cashapp.retry_stalled", queue=QUEUE, queueing_lock="retry_stalled", pass_context=False)
async def retry_stalled_periodic(timestamp: int) -> None:
    await retry_stalled(seconds_since_heartbeat=30)


async def retry_stalled(*, seconds_since_heartbeat: float) -> int:
    """Put back in the queue the jobs of workers that stopped sending heartbeats."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat))
    for job in stalled:
        await app.job_manager.retry_job(job)
    return len(stalled)


async def _retry_stalled_once(seconds_since_heartbeat: float) -> int:
    async with app.open_async():
        return await retry_stalled(seconds_since_heartbeat=seconds_since_heartbeat)


def ensure_schema(engine: Engine) -> None:
    """Create procrastinate's tables in the database's schema once."""
    with read_session(engine) as session:
        exists = store.has_job_table(session)
    if not exists:
        with write_transaction(engine) as session:
            store.lock_for_schema(session)
            if not store.has_job_table(session):
                store.execute_script(session, app.schema_manager.get_schema())


@dataclass(slots=True)
class FanOut:
    run_id: str
    chunks: int
    summaries: list[TenantSummary] = field(default_factory=list)
    failed: list[tuple[int, int]] = field(default_factory=list)
    stalled_retried: int = 0


def defer_chunks(session: Session, run_id: str, tenant: int) -> int:
    """Defer, in the caller's transaction, a chunk job for each of the tenant's accounts
    with open lines (once per run: a chunk already waiting is not queued twice)."""
    connection = store.driver_connection(session)
    deferred = 0
    for acct in store.accounts_with_open_lines(session, tenant):
        try:
            with store.driver_savepoint(connection):  # a refused duplicate must not abort the transaction
                nightly_chunk.configure(lock=f"chunk:{tenant}:{acct}", queueing_lock=f"{run_id}:{tenant}:{acct}",
                                        connection=connection).defer(
                    run_id=run_id, tenant_id=tenant, bank_account_id=acct)
            deferred += 1
        except procrastinate.exceptions.AlreadyEnqueued:
            continue
    return deferred


def enqueue_nightly(engine: Engine, run_id: str | None = None) -> tuple[str, int]:
    """Defer the chunks not yet deferred for the run (tenants whose lines came earlier)."""
    run_id = run_id or uuid.uuid4().hex
    with write_transaction(engine) as session:
        for tid, _ in store.list_tenant_ids(session):
            defer_chunks(session, run_id, tid)
        total = sum(store.job_counts(session, run_id).values())
    return run_id, total


def run_nightly_on_workers(
    engine: Engine, *, wait_seconds: float = 3600, stalled_after: float = 30,
    on_progress: Callable[[str, int, int], None] | None = None, deliver: bool = True,
) -> FanOut:
    """Ingest, enqueue the chunks, wait for the workers (retrying stalled jobs), deliver."""
    settings = load_settings()
    started = utc_now()
    ensure_schema(engine)
    with read_session(engine) as session:
        tenants = store.list_tenant_ids(session)
    run_id = uuid.uuid4().hex
    # A file's chunk jobs are deferred in the transaction that stores its lines.
    files = {tid: ingest_inbox(engine, tid, settings.inbox / name, settings=settings,
                               after_store=lambda session, tenant: defer_chunks(session, run_id, tenant))
             for tid, name in tenants}
    run_id, chunks = enqueue_nightly(engine, run_id)
    out = FanOut(run_id=run_id, chunks=chunks)
    deadline = time.monotonic() + wait_seconds
    while chunks:
        with read_session(engine) as session:
            counts = store.job_counts(session, run_id)
        finished = sum(n for s, n in counts.items() if s not in ("todo", "doing"))
        if on_progress:
            on_progress("chunks", finished, chunks)
        if finished >= chunks or time.monotonic() > deadline:
            break
        out.stalled_retried += asyncio.run(_retry_stalled_once(stalled_after))
        time.sleep(0.5)
    with read_session(engine) as session:
        out.failed = store.failed_jobs(session, run_id)
    for tid, name in tenants:
        delivered = relay_until_idle(engine, tenant_id=tid, max_seconds=10).delivered if deliver else 0
        summary = summarize(engine, tid, name, since=started)
        summary.files_new, summary.delivered = files[tid][0], delivered
        summary.errors = files[tid][1] + [f"account {a}: chunk failed" for t, a in out.failed if t == tid]
        out.summaries.append(summary)
    return out


def run_worker(*, concurrency: int = 2, heartbeat: float = 2.0, stalled_timeout: float = 10.0) -> None:
    """Run a worker on the nightly queue until stopped (SIGTERM/SIGINT)."""
    ensure_schema(_engine())
    app.run_worker(queues=[QUEUE], concurrency=concurrency, update_heartbeat_interval=heartbeat,
                   stalled_worker_timeout=stalled_timeout, install_signal_handlers=True)
