"""The outbox relay against a real loopback receiver: retried through 500s, once per event id,
in order per bank line; a URL refused at save time; deliveries survive a relay crash."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.workers.receiver import Receiver, running_receiver

from cashapp.core.clock import utc_now
from cashapp.reconciliation.outbox import relay_until_idle
from cashapp.reconciliation.webhooks import RetryPolicy
from cashapp.storage import webhooks as store
from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import upgrade_to_head
from cashapp.storage.tables import OutboxRow, TenantRow
from cashapp.storage.transactions import write_transaction

FAST = RetryPolicy(base_seconds=0.02, cap_seconds=0.1, max_attempts=8)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Any]:
    eng = make_engine(f"sqlite:///{tmp_path / 'relay.db'}")
    upgrade_to_head(eng)
    yield eng
    eng.dispose()


def _tenant(engine: Any, name: str = "t") -> int:
    with write_transaction(engine) as s:
        row = TenantRow(name=name, created_at=utc_now())
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def _events(engine: Any, tenant_id: int, specs: list[tuple[str, int]]) -> None:
    with write_transaction(engine) as s:
        for event_id, line in specs:
            payload = json.dumps({"event_id": event_id, "bank_line_id": line})
            s.add(OutboxRow(tenant_id=tenant_id, event_id=event_id, kind="application.created",
                            payload=payload, created_at=utc_now()))


def test_retried_through_500s_delivered_once_in_order(engine: Any) -> None:
    tenant = _tenant(engine)
    with running_receiver(Receiver(secret="", fail_first=3)) as rx:
        with write_transaction(engine) as s:
            endpoint = store.create_endpoint(s, tenant_id=tenant, url=rx.url, secret="whsec_x")
            rx.secret = endpoint.secret
        _events(engine, tenant, [("e1", 1), ("e2", 2), ("e3", 1), ("e4", 1), ("e5", 2)])
        report = relay_until_idle(engine, policy=FAST, allow_loopback=True, max_seconds=20)
        assert report.failed >= 3 and report.dead == 0
        assert set(rx.accepted) == {"e1", "e2", "e3", "e4", "e5"}
        order = [r["headers"]["Event-Id"] for r in rx.requests if r["headers"]]  # type: ignore[index]
        accepted_order = list(dict.fromkeys(e for e, r in zip(order, rx.requests, strict=True) if e in rx.accepted))
        line1 = [e for e in accepted_order if e in ("e1", "e3", "e4")]
        assert line1 == ["e1", "e3", "e4"]  # per bank line, outbox order
        # running the relay again sends nothing new
        again = relay_until_idle(engine, policy=FAST, allow_loopback=True, max_seconds=5)
        assert again.attempted == 0
    with engine.connect() as conn:
        undelivered = conn.execute(text("SELECT count(*) FROM outbox WHERE delivered_at IS NULL")).scalar_one()
    assert undelivered == 0


def test_events_before_the_endpoint_existed_are_not_sent(engine: Any) -> None:
    tenant = _tenant(engine)
    _events(engine, tenant, [("old", 1)])
    with running_receiver(Receiver(secret="s")) as rx:
        with write_transaction(engine) as s:
            rx.secret = store.create_endpoint(s, tenant_id=tenant, url=rx.url, secret="s").secret
        _events(engine, tenant, [("new", 1)])
        relay_until_idle(engine, policy=FAST, allow_loopback=True, max_seconds=10)
    assert list(rx.accepted) == ["new"]


def test_other_tenants_events_go_to_their_own_endpoints(engine: Any) -> None:
    a, b = _tenant(engine, "a"), _tenant(engine, "b")
    with running_receiver(Receiver(secret="sa")) as ra, running_receiver(Receiver(secret="sb")) as rb:
        with write_transaction(engine) as s:
            store.create_endpoint(s, tenant_id=a, url=ra.url, secret="sa")
            store.create_endpoint(s, tenant_id=b, url=rb.url, secret="sb")
        _events(engine, a, [("a1", 1)])
        _events(engine, b, [("b1", 9)])
        relay_until_idle(engine, policy=FAST, allow_loopback=True, max_seconds=10)
    assert list(ra.accepted) == ["a1"] and list(rb.accepted) == ["b1"]


def test_a_crashed_claim_is_sent_again_after_its_lease(engine: Any) -> None:
    tenant = _tenant(engine)
    with running_receiver(Receiver(secret="s")) as rx:
        with write_transaction(engine) as s:
            store.create_endpoint(s, tenant_id=tenant, url=rx.url, secret="s")
        _events(engine, tenant, [("c1", 1)])
        with write_transaction(engine) as s:  # a relay claims, then dies before sending
            store.fan_out(s)
            assert len(store.claim_due(s, lease_seconds=0.2)) == 1
        with write_transaction(engine) as s:
            assert store.claim_due(s) == []  # leased
        time.sleep(0.25)  # the lease runs out
        relay_until_idle(engine, policy=FAST, allow_loopback=True, max_seconds=10)
    assert list(rx.accepted) == ["c1"]


def test_dead_after_the_last_attempt_and_blocks_its_line(engine: Any) -> None:
    tenant = _tenant(engine)
    with running_receiver(Receiver(secret="s", fail_first=1000)) as rx:
        with write_transaction(engine) as s:
            store.create_endpoint(s, tenant_id=tenant, url=rx.url, secret="s")
        _events(engine, tenant, [("d1", 1), ("d2", 1)])
        report = relay_until_idle(engine, policy=RetryPolicy(base_seconds=0.01, cap_seconds=0.02, max_attempts=3),
                                  allow_loopback=True, max_seconds=10)
    assert report.dead == 1
    sent = {r["headers"]["Event-Id"] for r in rx.requests}  # type: ignore[index]
    assert sent == {"d1"}  # d2 waits behind the dead d1: order per line is never broken


def test_ledger_events_are_delivered_after_commit_in_order(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply (with a deduction) then reverse through the ledger's use cases: the three events
    reach the ERP in order, signed, once each; the webhook URL is checked when saved."""
    from fastapi.testclient import TestClient
    from tests.api.conftest import make_tenant
    from tests.api.scenario import open_item, store_lines
    from tests.conftest import LedgerBuilder, proposal

    from cashapp.api.app import create_app
    from cashapp.reconciliation.apply import ActorType, reverse_application

    monkeypatch.setenv("CASHAPP_WEBHOOK_ALLOW_LOOPBACK", "1")
    tenant = make_tenant(engine, "erp-tenant")
    client = TestClient(create_app(engine=engine, migrate=False))
    headers = tenant.headers("admin")
    refused = client.post("/v1/webhook-endpoints", json={"url": "http://169.254.169.254/latest"},
                          headers={**headers, "Idempotency-Key": "w0"})
    assert refused.status_code == 422 and refused.json()["error"] == "webhook_url_refused"
    with running_receiver(Receiver(secret="")) as rx:
        created = client.post("/v1/webhook-endpoints", json={"url": rx.url}, headers={**headers, "Idempotency-Key": "w1"})
        assert created.status_code == 201, created.text
        rx.secret = created.json()["secret"]
        assert client.post("/v1/open-items", json={"items": [open_item("INV-7", "70.00")]},
                           headers={**headers, "Idempotency-Key": "o1"}).status_code == 200
        (line,) = store_lines(engine, tenant.id, [("60.00", "Customer One", "INV-7 less 10 damaged")])
        app_id = LedgerBuilder(engine, tenant.id).apply(
            line, proposal(("invoice", "INV-7", "60.00"), ("deduction", "INV-7", "10.00", "damaged")))
        with write_transaction(engine) as s:
            reverse_application(s, tenant.id, app_id, actor_type=ActorType.USER, actor_id="alice", reason="test")
        relay_until_idle(engine, policy=FAST, max_seconds=10)
    bodies = [json.loads(body) for body in rx.accepted.values()]
    assert list(rx.accepted) == [f"application.created:{tenant.id}:{app_id}", f"deduction.created:{tenant.id}:{app_id}:1",
                                 f"application.reversed:{tenant.id}:{app_id}"]
    assert {b["bank_line_id"] for b in bodies} == {line} and rx.rejected_signatures == 0
    assert bodies[0]["lettrage_code"] == bodies[2]["lettrage_code"] == "AAA"  # the deduction closes INV-7
    assert (bodies[1]["reason_code"], bodies[1]["amount"], bodies[1]["invoice_number"]) == ("damaged", "10.00", "INV-7")
