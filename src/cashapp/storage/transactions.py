"""The unit of work: the edge (a CLI command, an API request, a job) owns the transaction.

Services and repositories only ``flush``; ``write_transaction`` commits at the end of the
block after checking R2 (every application created in it allocates exactly its bank line's
cash: SQLite has no deferred triggers, so this is where SQLite enforces it; PostgreSQL also
has a deferred constraint trigger). ``run_in_transaction`` re-runs the whole block on
serialization failures and deadlocks (PG 40001/40P01/55P03, SQLite busy) with bounded,
jittered attempts, so the block must have no side effects outside the database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine, bindparam, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from cashapp.core.errors import InvariantViolation
from cashapp.storage.engine import SQLITE_BEGIN_OPTION
from cashapp.storage.errors import flush, translate

T = TypeVar("T")

NEW_APPLICATIONS = "cashapp.new_applications"
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
DEFAULT_ATTEMPTS = 6


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """A session in one write transaction (SQLite: ``BEGIN IMMEDIATE``), committed on success."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        flush(session)
        check_new_applications_balanced(session)
        try:
            session.commit()
        except IntegrityError as exc:  # a deferred constraint trigger (PostgreSQL R2)
            error = translate(exc)
            if error is None:
                raise
            raise error from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading only (SQLite: a deferred ``BEGIN`` that takes no write lock)."""
    reader = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
    session = Session(reader, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A nested transaction: what fails inside is rolled back alone (cashapp errors too)."""
    nested = session.begin_nested()
    try:
        yield
        flush(session)
    except BaseException:
        nested.rollback()
        raise
    nested.commit()


def run_in_transaction(
    engine: Engine, work: Callable[[Session], T], *, attempts: int = DEFAULT_ATTEMPTS
) -> T:
    """``work(session)`` in a write transaction, retried on transient concurrency failures."""
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction(engine) as session:
                return work(session)
        except DBAPIError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            # Jittered exponential backoff: 10 ms, 20 ms, 40 ms ... times a random factor.
            time.sleep(0.01 * (2 ** (attempt - 1)) * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


def is_transient(exc: DBAPIError) -> bool:
    """A failure that a re-run of the same transaction may not meet again."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


def remember_new_application(session: Session, application_id: int) -> None:
    """Note an application created in this transaction, for the pre-commit R2 check."""
    session.info.setdefault(NEW_APPLICATIONS, set()).add(application_id)


_BALANCE = text(
    """
    SELECT a.id, a.reverses_id, b.amount_minor,
           COALESCE(SUM(CASE WHEN al.kind IN ('invoice', 'on_account')
                             THEN al.amount_minor ELSE 0 END), 0) AS cash,
           COUNT(al.id) AS lines
      FROM application AS a
      JOIN bank_line AS b ON b.id = a.bank_line_id
      LEFT JOIN allocation AS al ON al.application_id = a.id
     WHERE a.id IN :ids
     GROUP BY a.id, a.reverses_id, b.amount_minor
    """
).bindparams(bindparam("ids", expanding=True))


def check_new_applications_balanced(session: Session) -> None:
    """R2: raise ``InvariantViolation`` unless each new application allocates its line's cash."""
    ids = session.info.pop(NEW_APPLICATIONS, set())
    if not ids:
        return
    for app_id, reverses_id, line_amount, cash, lines in session.execute(
        _BALANCE, {"ids": sorted(ids)}
    ):
        if reverses_id is not None and lines:
            raise InvariantViolation(f"R2: reversal {app_id} carries allocations")
        if reverses_id is None and cash != line_amount:
            raise InvariantViolation(
                f"R2: application {app_id} allocates {cash} of a bank line of {line_amount}"
            )
