"""Bulk inserts, the fast way on each backend (PERFORMANCE.md: Core, never the ORM).

PostgreSQL: ``COPY ... FROM STDIN`` (into a temporary table first when rows may conflict,
then one ``INSERT ... SELECT ... ON CONFLICT``). SQLite: a multi-row ``INSERT ... VALUES``
("insertmanyvalues", asked for through ``RETURNING``). Both run in the session's own
transaction, so a bulk insert is as all-or-nothing as any other write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, column, select, table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

ANALYZE_AFTER = 1000  # rows; PostgreSQL only

# Adds the ON CONFLICT clause to a dialect's insert (postgresql.insert / sqlite.insert).
Conflict = Callable[[Any], Any]


def bulk_insert(
    session: Session,
    target: Table,
    rows: Sequence[dict[str, Any]],
    *,
    on_conflict: Conflict | None = None,
    analyze: bool = True,
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``target``.

    ``analyze``: on PostgreSQL, refresh the table's statistics after a large insert (a bulk
    load); callers that insert chunk after chunk into a large table say False. A refusal by
    PostgreSQL during ``COPY`` is raised as SQLAlchemy's error, as for any other statement.
    """
    if not rows:
        return
    names = list(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        dbapi_error = session.get_bind().dialect.loaded_dbapi.Error
        try:
            _copy(session, target, names, rows, on_conflict, analyze=analyze)
        except dbapi_error as exc:
            raise DBAPIError.instance(
                f"COPY {target.name}", None, exc, dbapi_error
            ) from exc
        return
    statement = sqlite.insert(target)
    if on_conflict is not None:
        statement = on_conflict(statement)
    session.execute(statement.returning(target.c.id), list(rows)).all()


def _copy(
    session: Session,
    target: Table,
    names: list[str],
    rows: Sequence[dict[str, Any]],
    on_conflict: Conflict | None,
    *,
    analyze: bool,
) -> None:
    into = target.name
    if on_conflict is not None:
        into = f"cashapp_incoming_{target.name}"
        # Same column types, none of the constraints (ids come from the real table).
        session.execute(text(f"DROP TABLE IF EXISTS {into}"))
        session.execute(
            text(
                f"CREATE TEMPORARY TABLE {into} ON COMMIT DROP AS "  # noqa: S608 - our names
                f"SELECT {', '.join(names)} FROM {target.name} WITH NO DATA"
            )
        )
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {into} ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[name] for name in names])
    if on_conflict is not None:
        incoming = table(into, *[column(name) for name in names])
        statement = postgresql.insert(target).from_select(
            names, select(*[incoming.c[name] for name in names])
        )
        session.execute(on_conflict(statement))
    if analyze and len(rows) >= ANALYZE_AFTER:
        # Fresh statistics, or the planner guesses badly on the very next lookups (measured:
        # a re-import after a first bulk load ran 30x slower before autovacuum caught up).
        session.execute(text(f"ANALYZE {target.name}"))
