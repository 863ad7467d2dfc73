"""The ERP API end to end on SQLite and PostgreSQL: open items, bank lines with proposals,
confirm / change / write off / reject, stale versions, reversal, deductions, lettrage feed,
and tenant isolation (another tenant's object is a 404, lists never mix)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.api.conftest import Tenant
from tests.api.scenario import invoice_proposal, open_item, store_lines, suggest


def _seed(client: TestClient, engine: Any, a: Tenant, b: Tenant) -> list[int]:
    r = client.post("/v1/open-items", headers=a.headers("write", idem="oi-1"), json={"items": [
        open_item("INV-1", "100.00"), open_item("INV-2", "250.00"), open_item("INV-3", "80.00", customer="C2", name="Two SA")]})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3
    rb = client.post("/v1/open-items", headers=b.headers("write", idem="oi-1"),
                     json={"items": [open_item("INV-1", "999.00", name="SECRET-B-MARKER")]})
    assert rb.status_code == 200 and "Idempotent-Replayed" not in rb.headers
    lines = store_lines(engine, a.id, [("100.00", "Customer One", "INV-1"), ("245.00", "Customer One", "INV-2 less fees"),
                                       ("300.00", "Unknown", "???")])
    store_lines(engine, b.id, [("999.00", "SECRET-B-MARKER", "INV-1")], account="DE89370400440532013000")
    suggest(engine, a.id, lines[0], invoice_proposal("C1", ("INV-1", "100.00"), confidence=0.9))
    suggest(engine, a.id, lines[1], invoice_proposal("C1", ("INV-2", "245.00"), confidence=0.6))
    return lines


def test_review_flow_end_to_end(client: TestClient, engine: Any, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    line1, line2, line3 = _seed(client, engine, a, b)

    suggested = client.get("/v1/bank-lines", params={"state": "suggested"}, headers=a.headers("read")).json()
    assert [x["id"] for x in suggested["items"]] == [line1, line2]
    detail = client.get(f"/v1/bank-lines/{line1}", headers=a.headers("read")).json()
    assert detail["version"] == 0 and detail["proposals"][0]["allocations"][0]["invoice_number"] == "INV-1"
    assert detail["proposals"][0]["evidence"][0]["name"] == "reference_found"

    # another tenant: 404 on A's line, never A's data in B's lists (and the reverse)
    assert client.get(f"/v1/bank-lines/{line1}", headers=b.headers("read")).status_code == 404
    assert client.post(f"/v1/bank-lines/{line1}/confirm", json={"version": 0},
                       headers=b.headers("review", idem="x")).status_code == 404
    assert "SECRET-B-MARKER" not in client.get("/v1/bank-lines", headers=a.headers("read")).text
    assert "SECRET-B-MARKER" not in client.get("/v1/open-items", headers=a.headers("read")).text

    # confirm the top proposal; a replay returns the same; a stale second confirm is a 409
    confirmed = client.post(f"/v1/bank-lines/{line1}/confirm", json={"version": 0}, headers=a.headers("review", idem="c1"))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["lettrage_code"] == "AAA" and confirmed.json()["version"] == 1
    replay = client.post(f"/v1/bank-lines/{line1}/confirm", json={"version": 0}, headers=a.headers("review", idem="c1"))
    assert replay.json() == confirmed.json() and replay.headers["Idempotent-Replayed"] == "true"
    stale = client.post(f"/v1/bank-lines/{line1}/confirm", json={"version": 0}, headers=a.headers("review", idem="c2"))
    assert stale.status_code == 409 and stale.json()["error"] == "stale_version"

    # paid in full, the 5.00 difference written off as bank charges
    wo = client.post(f"/v1/bank-lines/{line2}/apply", headers=a.headers("review", idem="w1"), json={
        "version": 0, "action": "write_off", "customer_id": "C1", "allocations": [
            {"kind": "invoice", "amount": "245.00", "invoice_number": "INV-2"},
            {"kind": "write_off", "amount": "5.00", "invoice_number": "INV-2", "reason_code": "bank_charges"}]})
    assert wo.status_code == 200, wo.text
    assert wo.json()["lettrage_code"] == "AAB"  # fully settled: upper case
    items = {i["invoice_number"]: i for i in client.get("/v1/open-items", params={"include_settled": True},
                                                         headers=a.headers("read")).json()["items"]}
    assert items["INV-2"]["open_amount"] == "0.00" and items["INV-1"]["open_amount"] == "0.00"

    # an allocation that does not add up to the cash is refused, nothing written
    bad = client.post(f"/v1/bank-lines/{line3}/apply", headers=a.headers("review", idem="bad"), json={
        "version": 0, "action": "split", "allocations": [{"kind": "invoice", "amount": "80.00", "invoice_number": "INV-3"}]})
    assert bad.status_code == 409 and bad.json()["error"] == "invariant_violation"

    # reject: stays open, unmatched; version moves
    rejected = client.post(f"/v1/bank-lines/{line3}/reject", json={"version": 0, "reason": "not ours"},
                           headers=a.headers("review", idem="rj"))
    assert rejected.status_code == 200 and rejected.json()["version"] == 1

    # split: 80 on INV-3, the rest on account
    split = client.post(f"/v1/bank-lines/{line3}/apply", headers=a.headers("review", idem="sp"), json={
        "version": 1, "action": "split", "customer_id": "C2", "allocations": [
            {"kind": "invoice", "amount": "80.00", "invoice_number": "INV-3"},
            {"kind": "on_account", "amount": "220.00"}]})
    assert split.status_code == 200, split.text

    deductions = client.get("/v1/deductions", headers=a.headers("read")).json()["items"]
    assert [(d["kind"], d["amount"], d["reason_code"]) for d in deductions] == [("write_off", "5.00", "bank_charges")]

    # reverse (never delete): the invoice is open again, the feed shows the délettrage
    app_id = confirmed.json()["application_id"]
    assert client.post(f"/v1/applications/{app_id}/reverse", json={"reason": "wrong"},
                       headers=b.headers("review", idem="rv")).status_code == 404
    rev = client.post(f"/v1/applications/{app_id}/reverse", json={"reason": "wrong"}, headers=a.headers("review", idem="rv"))
    assert rev.status_code == 200, rev.text
    again = client.post(f"/v1/applications/{app_id}/reverse", json={"reason": "again"}, headers=a.headers("review", idem="rv2"))
    assert again.status_code == 409 and again.json()["error"] == "already_reversed"
    application = client.get(f"/v1/applications/{app_id}", headers=a.headers("read")).json()
    assert application["reversed_by"] == rev.json()["reversal_id"]

    feed = client.get("/v1/lettrage", headers=a.headers("read")).json()
    assert [(e["event"], e["EcritureLet"]) for e in feed["items"]] == [
        ("lettrage", "AAA"), ("lettrage", "AAB"), ("lettrage", "AAC"), ("delettrage", "AAA")]
    assert feed["items"][0]["DateLet"].isdigit() and len(feed["items"][0]["DateLet"]) == 8
    page = client.get("/v1/lettrage", params={"cursor": feed["items"][1]["cursor"], "limit": 1}, headers=a.headers("read")).json()
    assert [e["EcritureLet"] for e in page["items"]] == ["AAC"] and page["next_cursor"] == feed["items"][2]["cursor"]
    assert client.get("/v1/lettrage", headers=b.headers("read")).json()["items"] == []


def test_page_size_is_capped(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    assert client.get("/v1/bank-lines", params={"limit": 1_000_000}, headers=a.headers("read")).status_code == 422


def test_uploads_are_checked(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    r = client.post("/v1/statements", files={"file": ("x.txt", b"hello, not a bank file", "text/plain")},
                    headers=a.headers("write", idem="up"))
    assert r.status_code in (415, 422) and "Traceback" not in r.text
    assert client.post("/v1/statements", files={"file": ("x.txt", b"x", "text/plain")},
                       headers=a.headers("read", idem="up2")).status_code == 403


def test_bad_open_items_are_refused_whole(client: TestClient, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    r = client.post("/v1/open-items", headers=a.headers("write", idem="bad"), json={"items": [
        open_item("OK-1", "10.00"), open_item("BAD-1", "10.00", open_amount="20.00")]})
    assert r.status_code == 422
    assert client.get("/v1/open-items", headers=a.headers("read")).json()["items"] == []
    r = client.post("/v1/open-items", headers=a.headers("write", idem="float"), json={"items": [open_item("F-1", 10.5)]})
    assert r.status_code == 422
