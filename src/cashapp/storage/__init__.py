"""The only place SQL lives: the engine and sessions, the tables (``*Row``), repositories and
the Alembic migrations. The database itself guards the money invariants.

The use cases take a ``Session`` (re-exported here so they need not import SQLModel).
"""

from sqlmodel import Session

__all__ = ["Session"]
