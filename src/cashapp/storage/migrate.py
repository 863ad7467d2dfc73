"""Bringing a database's schema to the current revision, from code (the CLI, the API, tests).

Every command that opens the database calls ``upgrade_to_head``. Importing Alembic and
loading its script directory costs ~0.25 s of CPU, so the usual case, a database already at
``HEAD_REVISION``, is recognised with one plain query of ``alembic_version`` and Alembic is
not imported at all. Anything else (no version table yet, an older revision, an unknown
newer one, several rows) goes to Alembic exactly as before: it creates or migrates the
schema, and refuses a revision it does not know.

The Alembic script location is resolved from the installed package, so this works from a
wheel as well as from a checkout.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, MetaData, inspect, text

from cashapp.storage.engine import SQLITE_BEGIN_OPTION
from cashapp.storage.tables import metadata

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# The newest revision in migrations/versions: bump it with every new migration
# (tests/storage/test_migrate.py checks it against Alembic's own head).
HEAD_REVISION = "0003"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps

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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The head of the migration scripts, as Alembic computes it (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def stored_revisions(engine: Engine) -> tuple[str, ...] | None:
    """The revisions ``alembic_version`` holds, read with plain SQL (no write lock on
    SQLite); None when the table does not exist yet."""
    reader = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
    with reader.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version"))
        return tuple(str(row[0]) for row in rows)


def upgrade_to_head(engine: Engine) -> None:
    """Apply every migration the database lacks, in one transaction (no-op when current).

    A database at ``HEAD_REVISION`` is left alone without importing Alembic; every other
    case is Alembic's (``_upgrade_with_alembic``)."""
    if stored_revisions(engine) == (HEAD_REVISION,):
        return
    _upgrade_with_alembic(engine)


def _upgrade_with_alembic(engine: Engine) -> None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    config = alembic_config()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _PG_MIGRATION_LOCK})
        if MigrationContext.configure(connection).get_current_revision() == head_revision():
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
