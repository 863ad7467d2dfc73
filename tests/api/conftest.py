"""Fixtures for the API tests: a migrated database (SQLite file, or a private PostgreSQL
schema), two tenants with keys, and a TestClient on the app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from cashapp.api.app import create_app
from cashapp.core.clock import utc_now
from cashapp.storage.apikeys import Scope, create_api_key
from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import upgrade_to_head
from cashapp.storage.tables import TenantRow
from cashapp.storage.transactions import write_transaction
from tests_support import missing_service

PG_URL = os.environ.get("CASHAPP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def _sqlite_api_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.db'}")
    upgrade_to_head(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def _postgres_api_engine() -> Iterator[Any]:
    if not _pg_available():
        missing_service("PostgreSQL on 127.0.0.1:5432 is not reachable")
    schema = f"svc_api_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    upgrade_to_head(eng)
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Any:
    """One migrated database per backend for the session; each test makes its own tenants."""
    name = "_sqlite_api_engine" if request.param == "sqlite" else "_postgres_api_engine"
    return request.getfixturevalue(name)


@dataclass
class Tenant:
    id: int
    name: str
    keys: dict[str, str]  # scope name -> key

    def headers(self, scope: str = "admin", idem: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.keys[scope]}"}
        if idem:
            headers["Idempotency-Key"] = idem
        return headers


def make_tenant(engine: Any, name: str) -> Tenant:
    with write_transaction(engine) as session:
        row = TenantRow(name=name, created_at=utc_now())
        session.add(row)
        session.flush()
        assert row.id is not None
        keys = {s.value: create_api_key(session, tenant_id=row.id, scopes=[s]).key for s in Scope}
        return Tenant(id=row.id, name=name, keys=keys)


@pytest.fixture
def tenants(engine: Any) -> tuple[Tenant, Tenant]:
    suffix = uuid.uuid4().hex[:8]
    return make_tenant(engine, f"acme-a-{suffix}"), make_tenant(engine, f"bravo-b-{suffix}")


@pytest.fixture
def client(engine: Any) -> Iterator[TestClient]:
    app = create_app(engine=engine, migrate=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
