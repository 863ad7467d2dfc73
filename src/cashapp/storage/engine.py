"""The engine: ``CASHAPP_DATABASE_URL`` to a SQLAlchemy engine set up for money.

SQLite (the embedded default) gets, on every connection, WAL, foreign keys, a busy timeout
and ``synchronous=FULL``. The stdlib driver is told never to open transactions by itself
(``isolation_level=None``): SQLAlchemy's ``begin`` hook issues ``BEGIN IMMEDIATE`` so a write
transaction holds the write lock from its first statement and never fails on the lock
upgrade (RELIABILITY 2.3: deferred transactions surfaced "database is locked" under load).
Read-only sessions ask for a plain deferred ``BEGIN`` through an execution option.

PostgreSQL runs at READ COMMITTED; the repositories take row locks in a fixed order.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

DEFAULT_URL = "sqlite:///cashapp.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option naming how a SQLite transaction begins ("IMMEDIATE" or "DEFERRED").
SQLITE_BEGIN_OPTION = "cashapp_sqlite_begin"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``CASHAPP_DATABASE_URL``, else ``./cashapp.db``."""
    return url or os.environ.get("CASHAPP_DATABASE_URL") or DEFAULT_URL


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (see ``database_url``), with the SQLite hooks when it is SQLite."""
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        engine = create_engine(resolved, **kwargs)
        _install_sqlite_hooks(engine)
        return engine
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(resolved, **kwargs)


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not open (deferred) transactions implicitly: we BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        if mode not in ("IMMEDIATE", "DEFERRED"):
            raise ValueError(f"unknown SQLite begin mode {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")
