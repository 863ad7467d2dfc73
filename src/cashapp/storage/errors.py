"""Turning the database's refusals into cashapp's errors, by constraint name.

PostgreSQL names the constraint in its diagnostics; SQLite names CHECK constraints and
triggers in the message but names UNIQUE constraints by their columns, which are mapped
back to the constraint through the table metadata.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from cashapp.core.errors import (
    AlreadyAppliedError,
    AlreadyReversedError,
    CashappError,
    ConflictError,
    InvariantViolation,
)
from cashapp.storage.tables import metadata

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")


@cache
def _unique_by_columns() -> dict[str, str]:
    names: dict[str, str] = {}
    for table in metadata.tables.values():
        for item in [*table.constraints, *table.indexes]:
            if isinstance(item, UniqueConstraint | Index) and item.name:
                if isinstance(item, Index) and not item.unique:
                    continue
                columns = ", ".join(f"{table.name}.{c.name}" for c in item.columns)
                names.setdefault(columns, str(item.name))
    return names


def constraint_name(exc: DBAPIError) -> str | None:
    """The name of the constraint the database says was violated, if it says."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    message = str(exc.orig)
    if match := _SQLITE_UNIQUE.search(message):
        return _unique_by_columns().get(match.group(1).strip())
    if match := _SQLITE_CHECK.search(message):
        return match.group(1)
    return None


_MEANINGS: dict[str, type[ConflictError] | str] = {
    "uq_application_live": AlreadyAppliedError,
    "uq_application_reverses": AlreadyReversedError,
    "ck_open_item_open_within_amount": "R3: an invoice's open amount may not go below zero",
    "ck_allocation_amount_positive": "allocation amounts are positive",
    "fk_allocation_invoice": "an allocation's invoice must be in the bank line's currency",
    "fk_application_bank_line": "an application must be in its bank line's currency",
}


def translate(exc: DBAPIError) -> CashappError | None:
    """The cashapp error for a refusal by the database, or None for other failures."""
    name = constraint_name(exc)
    meaning = _MEANINGS.get(name or "")
    if meaning is AlreadyAppliedError:
        return AlreadyAppliedError()
    if meaning is AlreadyReversedError:
        return AlreadyReversedError()
    if isinstance(meaning, str):
        return InvariantViolation(meaning)
    message = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    if message.startswith(("R2:", "R8:", "R9:")):
        return InvariantViolation(message)
    if isinstance(exc, IntegrityError):
        return ConflictError(f"the database refused the change: {message}", code="integrity")
    return None


def flush(session: Session) -> None:
    """``session.flush()``, with the database's refusals raised as cashapp errors."""
    try:
        session.flush()
    except DBAPIError as exc:
        error = translate(exc)
        if error is None:
            raise
        raise error from exc


def execute(session: Session, statement: Any, params: Any = None) -> Any:
    """``session.execute`` for Core writes, with the database's refusals as cashapp errors."""
    try:
        return session.execute(statement, params)
    except DBAPIError as exc:
        error = translate(exc)
        if error is None:
            raise
        raise error from exc
