"""The alias-rule routes on SQLite and PostgreSQL: refresh the proposals from what a reviewer
confirmed through the API, list them by status, accept and reject (409 once decided or at a
stale version), the review scope, and another tenant's rule as a 404."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.api.conftest import Tenant
from tests.api.scenario import open_item, store_lines

ALIAS = "MMB HOLDING"


def _confirmed_alias(client: TestClient, engine: Any, tenant: Tenant) -> None:
    """Two lines from ``ALIAS`` (not C1's name) a reviewer booked on C1's invoices."""
    r = client.post("/v1/open-items", headers=tenant.headers("write", idem="oi"), json={"items": [
        open_item("INV-1", "100.00"), open_item("INV-2", "250.00")]})
    assert r.status_code == 200, r.text
    lines = store_lines(engine, tenant.id, [("100.00", ALIAS, "INV-1"), ("250.00", ALIAS, "INV-2")])
    for n, (line, number, amount) in enumerate(zip(lines, ("INV-1", "INV-2"), ("100.00", "250.00"),
                                                   strict=True)):
        done = client.post(f"/v1/bank-lines/{line}/apply", headers=tenant.headers("review", idem=f"a{n}"),
                           json={"version": 0, "action": "change", "customer_id": "C1", "allocations": [
                               {"kind": "invoice", "amount": amount, "invoice_number": number}]})
        assert done.status_code == 200, done.text


def test_alias_rules_end_to_end(client: TestClient, engine: Any, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    _confirmed_alias(client, engine, a)
    assert client.get("/v1/alias-rules", headers=a.headers("review")).json() == {
        "items": [], "next_cursor": None}
    refreshed = client.post("/v1/alias-rules/refresh", headers=a.headers("review", idem="r1"))
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json() == {"new": 1, "updated": 0, "withdrawn": 0}
    (rule,) = client.get("/v1/alias-rules", params={"status": "proposed"},
                         headers=a.headers("review")).json()["items"]
    assert (rule["kind"], rule["value"], rule["customer_id"], rule["times_seen"]) == ("name", ALIAS, "C1", 2)
    assert rule["text"] == f"payer name {ALIAS} pays for customer C1 (seen 2 times)"
    assert rule["status"] == "proposed" and rule["decided_by"] is None

    # another tenant: nothing listed, a 404 on A's rule, its refresh proposes nothing of A's
    assert client.get("/v1/alias-rules", headers=b.headers("review")).json()["items"] == []
    assert client.post(f"/v1/alias-rules/{rule['id']}/accept", json={"version": rule["version"]},
                       headers=b.headers("review", idem="b1")).status_code == 404
    assert client.post("/v1/alias-rules/refresh", headers=b.headers("review", idem="b2")).json()["new"] == 0

    # a stale version, then accepted; deciding again is a 409
    stale = client.post(f"/v1/alias-rules/{rule['id']}/accept", json={"version": rule["version"] + 1},
                        headers=a.headers("review", idem="s1"))
    assert stale.status_code == 409 and stale.json()["error"] == "stale_version"
    accepted = client.post(f"/v1/alias-rules/{rule['id']}/accept", json={"version": rule["version"]},
                           headers=a.headers("review", idem="ok"))
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "accepted" and body["decided_by"] == f"key:{a.keys['review'][4:16]}"
    assert body["version"] == rule["version"] + 1 and body["decided_at"] is not None
    again = client.post(f"/v1/alias-rules/{rule['id']}/reject", json={"version": body["version"]},
                        headers=a.headers("review", idem="no"))
    assert again.status_code == 409 and again.json()["error"] == "already_decided"
    listed = client.get("/v1/alias-rules", params={"status": "accepted"}, headers=a.headers("review")).json()
    assert [r["id"] for r in listed["items"]] == [rule["id"]]
    assert client.get("/v1/alias-rules", params={"status": "proposed"},
                      headers=a.headers("review")).json()["items"] == []


def test_a_rejected_rule_stays_rejected(client: TestClient, engine: Any, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    _confirmed_alias(client, engine, a)
    client.post("/v1/alias-rules/refresh", headers=a.headers("review", idem="r1"))
    (rule,) = client.get("/v1/alias-rules", headers=a.headers("review")).json()["items"]
    rejected = client.post(f"/v1/alias-rules/{rule['id']}/reject", json={"version": rule["version"]},
                           headers=a.headers("admin", idem="x"))
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    again = client.post("/v1/alias-rules/refresh", headers=a.headers("review", idem="r2"))
    assert again.json() == {"new": 0, "updated": 0, "withdrawn": 0}
    (still,) = client.get("/v1/alias-rules", headers=a.headers("review")).json()["items"]
    assert still["status"] == "rejected"


def test_alias_rules_need_the_review_scope(client: TestClient, engine: Any, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    assert client.get("/v1/alias-rules").status_code == 401
    for scope in ("read", "write"):
        assert client.get("/v1/alias-rules", headers=a.headers(scope)).status_code == 403
        assert client.post("/v1/alias-rules/refresh", headers=a.headers(scope, idem=f"r-{scope}")).status_code == 403
        assert client.post("/v1/alias-rules/1/accept", json={"version": 0},
                           headers=a.headers(scope, idem=f"a-{scope}")).status_code == 403
    assert client.get("/v1/alias-rules", headers=a.headers("admin")).status_code == 200
    assert client.post("/v1/alias-rules/refresh", headers=a.headers("review")).status_code == 422  # no key
    assert client.get("/v1/alias-rules", params={"status": "maybe"}, headers=a.headers("review")).status_code == 422
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/alias-rules", "/v1/alias-rules/refresh", "/v1/alias-rules/{rule_id}/accept",
            "/v1/alias-rules/{rule_id}/reject"} <= set(paths)
