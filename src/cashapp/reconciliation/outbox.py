"""The outbox relay: after commit, deliver the ledger's events to each tenant's webhooks.

The ledger writes an ``outbox`` row in the same transaction as the money it reports. The
relay, in three short steps that never hold a transaction across the network:

1. fan out: one ``webhook_delivery`` per new event and live endpoint (write transaction);
2. claim what is due and first in its bank line's order, under a lease (write transaction);
3. POST each claimed event (``webhooks.attempt_delivery``), then record the outcome: done,
   retry later with backoff and jitter, or dead after the last attempt (write transaction).

A relay that dies between 2 and 3 leaves its claims to expire with the lease; the event is
sent again (at least once; the receiver drops duplicates by ``Event-Id``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cashapp.core.clock import utc_now
from cashapp.reconciliation.webhooks import (
    RetryPolicy,
    WebhookEvent,
    attempt_delivery,
    make_client,
)
from cashapp.storage import webhooks as store
from cashapp.storage.transactions import write_transaction

# ``engine`` is a SQLAlchemy Engine; typed loosely here because SQLAlchemy stays in storage.
Engine = Any


@dataclass(slots=True)
class RelayReport:
    """What one relay pass did."""

    fanned_out: int = 0
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def relay_once(
    engine: Engine,
    *,
    policy: RetryPolicy | None = None,
    tenant_id: int | None = None,
    limit: int = 100,
    lease_seconds: float = 60.0,
    allow_loopback: bool | None = None,
    rng: random.Random | None = None,
) -> RelayReport:
    """One pass: fan out, claim up to ``limit`` due deliveries, attempt each once."""
    retry = policy or RetryPolicy.from_env()
    report = RelayReport()
    with write_transaction(engine) as session:
        report.fanned_out = store.fan_out(session, tenant_id=tenant_id)
        claimed = store.claim_due(session, limit=limit, lease_seconds=lease_seconds)
    if not claimed:
        return report
    with make_client() as client:
        for due in claimed:
            event = WebhookEvent(
                event_id=due.event_id, event_type=due.event_type, body=due.payload.encode("utf-8")
            )
            outcome = attempt_delivery(
                due.url, due.secret, event, client=client, allow_loopback=allow_loopback
            )
            attempt_number = due.attempts + 1
            next_at = None
            if not outcome.delivered and attempt_number < retry.max_attempts:
                next_at = utc_now() + timedelta(seconds=retry.delay(attempt_number, rng=rng))
            with write_transaction(engine) as session:
                store.record_attempt(
                    session,
                    delivery_id=due.delivery_id,
                    delivered=outcome.delivered,
                    status=outcome.status,
                    error=outcome.error,
                    next_attempt_at=next_at,
                )
            report.attempted += 1
            if outcome.delivered:
                report.delivered += 1
            elif next_at is None:
                report.dead += 1
                report.errors.append(f"{due.event_id}: {outcome.error}")
            else:
                report.failed += 1
    return report


def relay_until_idle(
    engine: Engine,
    *,
    policy: RetryPolicy | None = None,
    tenant_id: int | None = None,
    max_seconds: float = 30.0,
    allow_loopback: bool | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RelayReport:
    """Relay until nothing is pending (or ``max_seconds`` pass), waiting out short backoffs."""
    total = RelayReport()
    retry = policy or RetryPolicy.from_env()
    deadline = time.monotonic() + max_seconds
    idle_since: float | None = None
    while True:
        report = relay_once(engine, policy=retry, tenant_id=tenant_id, allow_loopback=allow_loopback)
        for name in ("fanned_out", "attempted", "delivered", "failed", "dead"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.errors.extend(report.errors)
        with write_transaction(engine) as session:
            pending = store.count_pending(session, tenant_id=tenant_id)
        now = time.monotonic()
        if pending == 0 or now >= deadline:
            return total
        if report.attempted:
            idle_since = None
            continue
        # Nothing was due: what is pending waits for a backoff or behind a dead event. Wait
        # at most one backoff cap for it, then leave it to the next run.
        idle_since = idle_since or now
        if now - idle_since > retry.cap_seconds * 1.5:
            return total
        sleep(min(0.05, retry.cap_seconds))
