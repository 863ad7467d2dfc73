"""The nightly run: for every tenant, ingest what arrived, match, apply, deliver.

The unit of work is a *chunk*: one tenant's bank account. A chunk matches its open lines and
records the outcomes as ``cashapp run`` does (``run.record_results``: certain payments
applied set-based, up to ``run.APPLY_CHUNK`` lines per transaction), so a process killed
mid-chunk leaves every transaction's lines applied whole or not at all, and running the
chunk again only picks up what is still open: a re-run adds nothing.

On SQLite everything runs in this process (``run_nightly``). On PostgreSQL the chunks are
jobs of procrastinate (``reconciliation.jobs``), run by worker processes on any machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from cashapp.core.clock import utc_now
from cashapp.core.errors import CashappError
from cashapp.core.settings import Settings
from cashapp.domain.money import from_minor
from cashapp.domain.remittances import RemittanceFile
from cashapp.extractors.read import read_untrusted
from cashapp.matcher import load_matcher
from cashapp.matcher.api import Matcher, MatchPolicy
from cashapp.reconciliation.ingest import sha256_of, store_remittance_file, store_statement_file
from cashapp.reconciliation.outbox import relay_until_idle
from cashapp.reconciliation.run import policy_from, prepare_run, record_results
from cashapp.storage import Engine, Session
from cashapp.storage import nightly as store
from cashapp.storage.repositories.bank import find_file
from cashapp.storage.transactions import read_session, run_in_transaction

# Crash tests: seconds to sleep per applied line, after each applied transaction, so a
# worker can be killed mid-chunk.
LINE_DELAY_ENV = "CASHAPP_NIGHTLY_LINE_DELAY"


@dataclass(slots=True)
class ChunkResult:
    applied: int = 0
    suggested: int = 0
    unmatched: int = 0
    skipped: int = 0

    def add(self, other: ChunkResult) -> None:
        for name in ("applied", "suggested", "unmatched", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def run_chunk(engine: Engine, tenant: int, bank_account_id: int, *, policy: MatchPolicy,
              matcher: Matcher | None = None) -> ChunkResult:
    """Match and apply the open lines of one bank account of one tenant."""
    delay = float(os.environ.get(LINE_DELAY_ENV, "0") or 0)
    with read_session(engine) as session:
        wanted = {str(i) for i in store.open_line_ids(session, tenant, bank_account_id)}
        if not wanted:
            return ChunkResult()
        work = prepare_run(session, tenant)
    tasks = [t for t in work.tasks if t.key in wanted]
    policy = work.tightened(policy)
    model = matcher or load_matcher()

    def pause(lines: int) -> None:
        time.sleep(delay * lines)

    summary = record_results(engine, tenant, model.match(tasks, work.ledger, policy),
                             lines={t.key: t.line for t in tasks}, matcher=model, policy=policy,
                             after_chunk=pause if delay else None)
    return ChunkResult(applied=summary.applied, suggested=summary.suggested,
                       unmatched=summary.unmatched, skipped=summary.skipped)


AfterStore = Callable[[Session, int], object]  # (session, tenant) inside the storing transaction


def ingest_inbox(engine: Engine, tenant: int, folder: Path, *, settings: Settings,
                 after_store: AfterStore | None = None) -> tuple[int, list[str]]:
    """Store the files waiting in the tenant's inbox folder; (new files, errors). Known
    content is a no-op, so files may stay in the folder. ``after_store`` runs in each new
    file's transaction (the PostgreSQL fan-out defers the file's chunk jobs there)."""
    if not folder.is_dir():
        return 0, []
    new, errors = 0, []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        try:
            data = path.read_bytes()
            sha = sha256_of(data)
            with read_session(engine) as session:
                if find_file(session, tenant, sha) is not None:
                    continue
            parsed = read_untrusted(data, source=str(path), settings=settings)

            def store_file(session: Session, parsed: object = parsed, data: bytes = data, sha: str = sha,
                           path: Path = path) -> bool:
                if isinstance(parsed, RemittanceFile):
                    created = store_remittance_file(session, tenant, parsed, sha256=sha, filename=str(path),
                                                    size_bytes=len(data)).created
                else:
                    created = store_statement_file(session, tenant, parsed, sha256=sha, filename=str(path),  # type: ignore[arg-type]
                                                   size_bytes=len(data)).created
                if created and after_store is not None:
                    after_store(session, tenant)
                return created

            new += int(run_in_transaction(engine, store_file))
        except (CashappError, OSError) as exc:
            errors.append(str(exc))
    return new, errors


@dataclass(slots=True)
class TenantSummary:
    tenant: str
    files_new: int = 0
    lines: int = 0
    applied: int = 0
    applied_amounts: dict[str, Decimal] = field(default_factory=dict)
    queued: int = 0
    delivered: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        amounts = ", ".join(f"{v} {c}" for c, v in sorted(self.applied_amounts.items())) or "-"
        return (f"{self.tenant:<20} files {self.files_new:<4} lines {self.lines:<6} applied {self.applied:<6} "
                f"{amounts:<22} queued {self.queued:<6} delivered {self.delivered:<5} errors {len(self.errors)}")


def summarize(engine: Engine, tenant: int, name: str, *, since: datetime) -> TenantSummary:
    with read_session(engine) as session:
        f = store.tenant_figures(session, tenant, since=since)
    return TenantSummary(tenant=name, lines=f.lines, applied=f.applied_since, queued=f.open_lines,
                         applied_amounts={c: from_minor(m, c) for c, m in f.applied_minor_since.items()})


def format_report(summaries: list[TenantSummary]) -> str:
    return "\n".join(["nightly lettrage", *("  " + s.line() for s in summaries)])


Progress = Callable[[str, int, int], None]  # (label, done, total)


def run_nightly(engine: Engine, settings: Settings, *, deliver: bool = True,
                on_progress: Progress | None = None, matcher: Matcher | None = None) -> list[TenantSummary]:
    """The whole nightly run in this process (SQLite, or PostgreSQL without workers)."""
    started = utc_now()
    policy = policy_from(settings)
    with read_session(engine) as session:
        tenants = store.list_tenant_ids(session)
    files: dict[int, tuple[int, list[str]]] = {}
    for tid, name in tenants:
        files[tid] = ingest_inbox(engine, tid, settings.inbox / name, settings=settings)
    chunks: list[tuple[int, int]] = []
    with read_session(engine) as session:
        for tid, _ in tenants:
            chunks += [(tid, acct) for acct in store.accounts_with_open_lines(session, tid)]
    model = matcher or (load_matcher() if chunks else None)
    errors: dict[int, list[str]] = {tid: list(files[tid][1]) for tid, _ in tenants}
    for done, (tid, acct) in enumerate(chunks, start=1):
        try:
            run_chunk(engine, tid, acct, policy=policy, matcher=model)
        except CashappError as exc:
            errors[tid].append(f"account {acct}: {exc}")
        if on_progress:
            on_progress("chunks", done, len(chunks))
    summaries = []
    for tid, name in tenants:
        delivered = relay_until_idle(engine, tenant_id=tid, max_seconds=10).delivered if deliver else 0
        summary = summarize(engine, tid, name, since=started)
        summary.files_new, summary.delivered = files[tid][0], delivered
        summary.errors = errors[tid]
        summaries.append(summary)
    return summaries
