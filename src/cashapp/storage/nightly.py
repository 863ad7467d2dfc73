"""Queries of the nightly run: its chunks (tenant, bank account), what a run did per tenant,
the job table of procrastinate (PostgreSQL mode), and a raw driver connection so that jobs
are enqueued in the same transaction as the data that calls for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, text
from sqlmodel import Session, col

from cashapp.storage.review import LIVE
from cashapp.storage.tables import ApplicationRow, BankLineRow, TenantRow


def open_lines_filter(tenant_id: int) -> Any:
    return and_(col(BankLineRow.tenant_id) == tenant_id, col(BankLineRow.status) == "booked",
                col(BankLineRow.amount_minor) > 0)


def _live_join() -> Any:
    return and_(col(ApplicationRow.bank_line_id) == BankLineRow.id,
                col(ApplicationRow.tenant_id) == BankLineRow.tenant_id, LIVE)


def accounts_with_open_lines(session: Session, tenant_id: int) -> list[int]:
    """The tenant's bank accounts that have booked credits without a live application."""
    query = (select(col(BankLineRow.bank_account_id)).distinct()
             .outerjoin(ApplicationRow, _live_join())
             .where(open_lines_filter(tenant_id), col(ApplicationRow.id).is_(None))
             .order_by(col(BankLineRow.bank_account_id)))
    return [int(x) for x in session.execute(query).scalars()]


def open_line_ids(session: Session, tenant_id: int, bank_account_id: int) -> set[int]:
    query = (select(col(BankLineRow.id)).outerjoin(ApplicationRow, _live_join())
             .where(open_lines_filter(tenant_id), col(BankLineRow.bank_account_id) == bank_account_id,
                    col(ApplicationRow.id).is_(None)))
    return {int(x) for x in session.execute(query).scalars()}


def list_tenant_ids(session: Session) -> list[tuple[int, str]]:
    return [(int(i), str(n)) for i, n in session.execute(
        select(col(TenantRow.id), col(TenantRow.name)).order_by(col(TenantRow.id))).all()]


@dataclass(frozen=True, slots=True)
class TenantFigures:
    lines: int  # booked incoming lines
    open_lines: int  # still without a live application (the review queue)
    applied_since: int  # applications made since the run started
    applied_minor_since: dict[str, int]  # their cash, per currency


def tenant_figures(session: Session, tenant_id: int, *, since: datetime) -> TenantFigures:
    lines = session.execute(select(func.count()).select_from(BankLineRow).where(open_lines_filter(tenant_id))).scalar_one()
    open_lines = session.execute(
        select(func.count()).select_from(BankLineRow).outerjoin(ApplicationRow, _live_join())
        .where(open_lines_filter(tenant_id), col(ApplicationRow.id).is_(None))).scalar_one()
    rows = session.execute(
        select(col(BankLineRow.currency), func.count(), func.sum(col(BankLineRow.amount_minor)))
        .join(ApplicationRow, _live_join())
        .where(open_lines_filter(tenant_id), col(ApplicationRow.created_at) >= since)
        .group_by(col(BankLineRow.currency))).all()
    return TenantFigures(lines=int(lines), open_lines=int(open_lines),
                         applied_since=sum(int(n) for _, n, _ in rows),
                         applied_minor_since={c: int(s or 0) for c, _, s in rows})


def driver_connection(session: Session) -> Any:
    """The DB-API connection under the session's transaction (procrastinate defers on it)."""
    return session.connection().connection.driver_connection


def driver_savepoint(connection: Any) -> Any:
    """A SAVEPOINT on the driver connection itself (psycopg ``transaction()`` nested in the
    open transaction): statements run on the raw connection are invisible to SQLAlchemy's
    ``begin_nested``."""
    return connection.transaction()


def job_counts(session: Session, run_id: str) -> dict[str, int]:
    """procrastinate jobs of one nightly run, by status (todo, doing, succeeded, failed...)."""
    rows = session.execute(text(
        "SELECT status::text, count(*) FROM procrastinate_jobs WHERE args->>'run_id' = :r GROUP BY status"
    ), {"r": run_id}).all()
    return {str(s): int(n) for s, n in rows}


def failed_jobs(session: Session, run_id: str) -> list[tuple[int, int]]:
    """(tenant_id, bank_account_id) of the run's chunks that failed for good."""
    rows = session.execute(text(
        "SELECT (args->>'tenant_id')::bigint, (args->>'bank_account_id')::bigint FROM procrastinate_jobs"
        " WHERE args->>'run_id' = :r AND status = 'failed' AND task_name = 'cashapp.nightly_chunk'"
    ), {"r": run_id}).all()
    return [(int(t), int(a)) for t, a in rows]


def has_job_table(session: Session) -> bool:
    return session.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar_one() is True


def lock_for_schema(session: Session) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(7262836102)"))


def execute_script(session: Session, script: str) -> None:
    """Run a multi-statement SQL script (procrastinate's schema) in the transaction."""
    driver_connection(session).execute(script)
