"""Opening the database for an entry point: the engine, migrated to the current schema."""

from __future__ import annotations

from sqlalchemy import Engine

from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import upgrade_to_head


def open_database(url: str | None = None) -> Engine:
    """The engine for ``url`` (default ``CASHAPP_DATABASE_URL``), its schema brought to head."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    return engine
