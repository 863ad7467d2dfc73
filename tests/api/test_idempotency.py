"""Idempotency-Key: replay, mismatch, concurrency; and request size caps."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.api.conftest import Tenant


def _count_keys(engine: Any, tenant_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM api_key WHERE tenant_id = :t"), {"t": tenant_id}).scalar_one())


def test_same_key_same_body_replays(client: TestClient, tenants: tuple[Tenant, Tenant], engine: Any) -> None:
    a, _ = tenants
    before = _count_keys(engine, a.id)
    first = client.post("/v1/api-keys", json={"scopes": ["read"]}, headers=a.headers(idem="same"))
    second = client.post("/v1/api-keys", json={"scopes": ["read"]}, headers=a.headers(idem="same"))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _count_keys(engine, a.id) == before + 1


def test_same_key_other_body_is_422(client: TestClient, tenants: tuple[Tenant, Tenant], engine: Any) -> None:
    a, _ = tenants
    client.post("/v1/api-keys", json={"scopes": ["read"]}, headers=a.headers(idem="k"))
    other = client.post("/v1/api-keys", json={"scopes": ["write"]}, headers=a.headers(idem="k"))
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_mismatch"


def test_keys_are_scoped_to_the_tenant(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    ra = client.post("/v1/api-keys", json={"scopes": ["read"]}, headers=a.headers(idem="shared"))
    rb = client.post("/v1/api-keys", json={"scopes": ["read"]}, headers=b.headers(idem="shared"))
    assert ra.status_code == rb.status_code == 201 and ra.json()["key"] != rb.json()["key"]
    assert "Idempotent-Replayed" not in rb.headers


def test_missing_key_is_refused(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    response = client.post("/v1/api-keys", json={"scopes": ["read"]}, headers=a.headers())
    assert response.status_code == 422 and "Idempotency-Key" in response.text


def test_validation_failures_are_not_stored(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    bad = client.post("/v1/api-keys", json={"scopes": ["nope"]}, headers=a.headers(idem="fixme"))
    assert bad.status_code == 422
    fixed = client.post("/v1/api-keys", json={"scopes": ["nope"]}, headers=a.headers(idem="fixme"))
    assert fixed.status_code == 422 and "Idempotent-Replayed" not in fixed.headers


def test_concurrent_requests_with_one_key_have_one_effect(
    client: TestClient, tenants: tuple[Tenant, Tenant], engine: Any
) -> None:
    a, _ = tenants
    before = _count_keys(engine, a.id)
    barrier = threading.Barrier(8)
    results: list[tuple[int, str, str | None]] = []

    def call() -> None:
        barrier.wait()
        r = client.post("/v1/api-keys", json={"scopes": ["review"]}, headers=a.headers(idem="race"))
        results.append((r.status_code, r.text, r.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count_keys(engine, a.id) == before + 1
    created = {text for status, text, _ in results if status == 201}
    assert len(created) == 1  # every 201 is the same body (one original, the rest replays)
    assert {status for status, _, _ in results} <= {201, 409}
    assert all("idempotency_key_in_use" in text for status, text, _ in results if status == 409)


def test_oversized_bodies_get_413(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    from cashapp.api import app as app_module

    big = b'{"scopes": ["read"], "name": "' + b"x" * (app_module.JSON_CAP + 10) + b'"}'
    response = client.post("/v1/api-keys", content=big,
                           headers={**a.headers(idem="big"), "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "request_too_large"

    def chunks() -> Any:  # no Content-Length: the streamed size is counted
        for _ in range(app_module.JSON_CAP // 65536 + 2):
            yield b"x" * 65536

    streamed = client.post("/v1/api-keys", content=chunks(),
                           headers={**a.headers(idem="big2"), "Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_a_request_in_flight_gets_409_and_a_dead_one_is_taken_over(
    client: TestClient, tenants: tuple[Tenant, Tenant], engine: Any
) -> None:
    from datetime import timedelta

    from cashapp.api.idempotency import fingerprint
    from cashapp.core.clock import utc_now
    from cashapp.storage import idempotency as keys
    from cashapp.storage.transactions import write_transaction

    a, _ = tenants
    body = b'{"scopes": ["read"]}'
    fp = fingerprint("POST", "/v1/api-keys", "", "application/json", body)
    scope = {"tenant_id": a.id, "endpoint": "POST /v1/api-keys", "key": "held"}
    with write_transaction(engine) as s:  # another process holds the key right now
        assert isinstance(keys.begin(s, fingerprint=fp, **scope), keys.Claimed)
    busy = client.post("/v1/api-keys", content=body, headers={**a.headers(idem="held"), "Content-Type": "application/json"})
    assert busy.status_code == 409 and busy.json()["error"] == "idempotency_key_in_use"
    with write_transaction(engine) as s:  # that process died long ago: its claim is stale
        s.execute(text("UPDATE idempotency_key SET locked_at = :t WHERE tenant_id = :a AND key = 'held'"),
                  {"t": utc_now() - timedelta(minutes=10), "a": a.id})
    taken = client.post("/v1/api-keys", content=body, headers={**a.headers(idem="held"), "Content-Type": "application/json"})
    assert taken.status_code == 201 and "Idempotent-Replayed" not in taken.headers


def test_a_key_over_its_rate_gets_429_and_others_do_not(tenants: tuple[Tenant, Tenant], engine: Any,
                                                          monkeypatch: Any) -> None:
    from cashapp.api.app import create_app

    monkeypatch.setenv("CASHAPP_RATE_LIMIT_PER_MINUTE", "30")
    a, b = tenants
    with TestClient(create_app(engine=engine, migrate=False)) as limited:
        statuses = [limited.get("/v1/tenant", headers=a.headers("read")).status_code for _ in range(35)]
        assert statuses[:30] == [200] * 30 and 429 in statuses[30:]
        refused = limited.get("/v1/tenant", headers=a.headers("read"))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert limited.get("/v1/tenant", headers=b.headers("read")).status_code == 200
