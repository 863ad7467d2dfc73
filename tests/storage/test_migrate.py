"""Opening a database brings its schema to head, and a database already there costs no Alembic.

Each test gets a database of its own on each backend (a SQLite file; a PostgreSQL schema
dropped at the end): a new one, one at an older revision, one at a revision this code does
not know. ``HEAD_REVISION`` is checked against Alembic's own head, so a new migration that
forgets to bump it fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import Engine, inspect, text
from tests.conftest import POSTGRES_SERVER, postgres_url

import cashapp
from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import (
    HEAD_REVISION,
    alembic_config,
    head_revision,
    stored_revisions,
    upgrade_to_head,
)

SRC = Path(cashapp.__file__).resolve().parents[1]  # this checkout's src/

# Opens the database twice as an entry point does and says whether Alembic was imported.
PROBE = """
import json, sys
from cashapp.storage.database import open_database
from cashapp.storage.migrate import stored_revisions
for _ in range(2):
    engine = open_database(sys.argv[1])
print(json.dumps({"alembic": "alembic" in sys.modules,
                  "revisions": list(stored_revisions(engine) or ())}))
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = f"cashapp_migrate_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def fresh(fresh_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_url)
    yield engine
    engine.dispose()


def _upgrade_to(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _open_in_a_new_process(url: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", PROBE, url], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_recorded_head_is_alembics_head() -> None:
    assert head_revision() == HEAD_REVISION


def test_a_new_database_gets_the_whole_schema(fresh: Engine) -> None:
    assert stored_revisions(fresh) is None
    upgrade_to_head(fresh)
    assert stored_revisions(fresh) == (HEAD_REVISION,)
    assert {"tenant", "bank_line", "allocation", "api_key"} <= _tables(fresh)
    upgrade_to_head(fresh)  # again: nothing to do
    assert stored_revisions(fresh) == (HEAD_REVISION,)


def test_a_database_at_an_older_revision_is_migrated(fresh: Engine) -> None:
    _upgrade_to(fresh, "0001")
    assert stored_revisions(fresh) == ("0001",) and "api_key" not in _tables(fresh)
    upgrade_to_head(fresh)
    assert stored_revisions(fresh) == (HEAD_REVISION,) and "api_key" in _tables(fresh)


def test_an_unknown_newer_revision_is_refused(fresh: Engine) -> None:
    upgrade_to_head(fresh)
    with fresh.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(CommandError, match="9999"):
        upgrade_to_head(fresh)
    assert stored_revisions(fresh) == ("9999",)


def test_an_up_to_date_database_opens_without_importing_alembic(fresh: Engine,
                                                                fresh_url: str) -> None:
    upgrade_to_head(fresh)
    assert _open_in_a_new_process(fresh_url) == {"alembic": False,
                                                 "revisions": [HEAD_REVISION]}


def test_an_older_database_opened_by_an_entry_point_is_migrated(fresh: Engine,
                                                               fresh_url: str) -> None:
    _upgrade_to(fresh, "0001")
    assert _open_in_a_new_process(fresh_url) == {"alembic": True, "revisions": [HEAD_REVISION]}
