"""Bringing a database's schema to the current revision, from code (the CLI, the API, tests).

The Alembic script location is resolved from the installed package, so this works from a
wheel as well as from a checkout.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, text

from cashapp.storage.tables import metadata

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Held for the migration's transaction so that concurrent processes migrate one at a time.
_PG_MIGRATION_LOCK = 0x63617368_6170  # "cashap"


def load_all_tables() -> MetaData:
    """The metadata of every ``*Row`` table: imports each module of ``cashapp.storage``
    (tables also live beside their repositories, e.g. ``storage.webhooks``)."""
    import cashapp.storage as package

    for module in pkgutil.walk_packages(package.__path__, prefix="cashapp.storage."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    return metadata


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Apply every migration the database lacks, in one transaction (no-op when current)."""
    config = alembic_config()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _PG_MIGRATION_LOCK})
        if MigrationContext.configure(connection).get_current_revision() == head_revision():
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
