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
