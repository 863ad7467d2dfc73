"""API keys: shown once, stored hashed, scoped, revocable; the tenant comes from the key."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.api.conftest import Tenant


def test_unauthenticated_and_bad_keys_get_401(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    good = a.keys["admin"]
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {good[:-1]}"},
                    {"Authorization": f"Bearer {good}x"}, {"Authorization": f"Basic {good}"},
                    {"Authorization": "Bearer cak_000000000000_" + "A" * 43}):
        response = client.get("/v1/tenant", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"] == "unauthenticated"


def test_the_tenant_comes_from_the_key(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    assert client.get("/v1/tenant", headers=a.headers("read")).json()["name"] == a.name
    assert client.get("/v1/tenant", headers=b.headers("read")).json()["name"] == b.name


def test_scopes_are_enforced(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    assert client.get("/v1/api-keys", headers=a.headers("read")).status_code == 403
    assert client.get("/v1/api-keys", headers=a.headers("admin")).status_code == 200
    assert client.get("/v1/tenant", headers=a.headers("admin")).status_code == 200  # admin implies read


def test_key_is_shown_once_stored_hashed_and_revocable(
    client: TestClient, tenants: tuple[Tenant, Tenant], engine: Any
) -> None:
    a, b = tenants
    created = client.post("/v1/api-keys", json={"scopes": ["read"], "name": "erp"},
                          headers=a.headers("admin", idem="k-1"))
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    key_id = created.json()["key_id"]
    assert client.get("/v1/tenant", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    listed = client.get("/v1/api-keys", headers=a.headers()).json()["items"]
    assert key_id in [k["key_id"] for k in listed] and all("key" not in k for k in listed)
    with engine.connect() as conn:
        dump = " ".join(str(r) for r in conn.execute(text("SELECT * FROM api_key WHERE tenant_id = :t"), {"t": a.id}))
    assert key not in dump and key.split("_", 2)[2] not in dump
    # another tenant cannot revoke it: 404, not 403
    assert client.post(f"/v1/api-keys/{key_id}/revoke", headers=b.headers(idem="r-1")).status_code == 404
    revoked = client.post(f"/v1/api-keys/{key_id}/revoke", headers=a.headers(idem="r-1"))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/v1/tenant", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_rotation_two_live_keys(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    new = client.post("/v1/api-keys", json={"scopes": ["read", "write"]}, headers=a.headers(idem="rot")).json()
    old = a.keys["read"]
    for key in (old, new["key"]):
        assert client.get("/v1/tenant", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_unknown_fields_are_refused(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    response = client.post("/v1/api-keys", json={"scopes": ["read"], "tenant_id": b.id},
                           headers=a.headers(idem="mass"))
    assert response.status_code == 422 and response.json()["error"] == "validation_error"


def test_errors_are_generic(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    response = client.post("/v1/api-keys", content=b"{not json", headers={**a.headers(idem="bad"),
                           "Content-Type": "application/json"})
    assert response.status_code == 422
    assert "Traceback" not in response.text and "{not json" not in response.text


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "cashapp" and "/v1/tenant" in spec["paths"]


APPROVED_ROUTES = {
    "GET /v1/alias-rules", "POST /v1/alias-rules/refresh",
    "POST /v1/alias-rules/{rule_id}/accept", "POST /v1/alias-rules/{rule_id}/reject",
    "GET /v1/api-keys", "POST /v1/api-keys", "POST /v1/api-keys/{key_id}/revoke",
    "GET /v1/applications/{application_id}", "POST /v1/applications/{application_id}/reverse",
    "GET /v1/bank-accounts", "GET /v1/bank-lines", "GET /v1/bank-lines/{bank_line_id}",
    "POST /v1/bank-lines/{bank_line_id}/apply", "POST /v1/bank-lines/{bank_line_id}/confirm",
    "POST /v1/bank-lines/{bank_line_id}/reject", "GET /v1/deductions", "GET /v1/lettrage",
    "GET /v1/open-items", "POST /v1/open-items", "POST /v1/remittances", "POST /v1/statements",
    "GET /v1/tenant", "GET /v1/webhook-deliveries", "GET /v1/webhook-endpoints", "POST /v1/webhook-endpoints",
}


def test_the_published_routes_are_the_approved_list(client: TestClient) -> None:
    """OWASP API9 (improper inventory): a new route is a deliberate change of this list."""
    spec = client.get("/openapi.json").json()
    published = {f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item}
    assert published == APPROVED_ROUTES
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation.get("security"), f"{method} {path} declares no security"
            if method in ("post", "put", "patch", "delete"):
                names = {p["name"] for p in operation.get("parameters", [])}
                assert "Idempotency-Key" in names, f"{method} {path} takes no Idempotency-Key"
