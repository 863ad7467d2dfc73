"""Alembic environment: runs on the connection ``upgrade_to_head`` hands over, or on
``CASHAPP_DATABASE_URL`` when run from the ``alembic`` command line."""

from __future__ import annotations

from alembic import context

from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import load_all_tables

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=load_all_tables(),
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()
