"""Events of what the API commits reach the ERP's webhook without waiting for the nightly:
``cashapp serve`` runs the outbox relay in the background."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import make_tenant
from tests.api.scenario import invoice_proposal, open_item, store_lines, suggest
from tests.workers.receiver import Receiver, running_receiver

from cashapp.api.app import create_app
from cashapp.storage.database import open_database


def test_a_confirmation_is_delivered_by_the_background_relay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHAPP_RELAY_INTERVAL", "0.2")
    monkeypatch.setenv("CASHAPP_WEBHOOK_ALLOW_LOOPBACK", "1")
    engine = open_database(f"sqlite:///{tmp_path / 'relay.db'}")
    tenant = make_tenant(engine, "acme")
    with running_receiver(Receiver(secret="")) as rx, TestClient(create_app(engine=engine, migrate=False)) as client:
        hook = client.post("/v1/webhook-endpoints", json={"url": rx.url}, headers=tenant.headers(idem="w"))
        rx.secret = hook.json()["secret"]
        client.post("/v1/open-items", json={"items": [open_item("INV-1", "10.00")]}, headers=tenant.headers(idem="o"))
        (line,) = store_lines(engine, tenant.id, [("10.00", "Customer One", "INV-1")])
        suggest(engine, tenant.id, line, invoice_proposal("C1", ("INV-1", "10.00")))
        done = client.post(f"/v1/bank-lines/{line}/confirm", json={"version": 0}, headers=tenant.headers("review", idem="c"))
        assert done.status_code == 200
        deadline = time.monotonic() + 15
        while not rx.accepted and time.monotonic() < deadline:
            time.sleep(0.1)
    assert list(rx.accepted) == [f"application.created:{tenant.id}:{done.json()['application_id']}"]
    engine.dispose()
