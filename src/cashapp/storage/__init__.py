"""The only place SQL lives: the engine and sessions, the tables (``*Row``), repositories and
the Alembic migrations. The database itself guards the money invariants.

The use cases take a ``Session`` and the entry points hold an ``Engine`` (both re-exported
here so that code outside ``storage`` never imports SQLAlchemy itself).
"""

from sqlalchemy import Engine
from sqlmodel import Session

__all__ = ["Engine", "Session"]
