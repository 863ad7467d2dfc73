"""The review pages stay fast with 10 000 payments waiting (bounds generous: shared CI cores)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from tests.api.conftest import make_tenant
from tests.api.scenario import invoice_proposal, store_lines

from cashapp.api.app import create_app
from cashapp.storage.database import open_database
from cashapp.storage.records import to_json
from cashapp.storage.tables import SuggestionRow, table_of
from cashapp.storage.transactions import write_transaction


@pytest.mark.slow
def test_queue_pages_with_10000_lines(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    tenant = make_tenant(engine, "busy")
    ids = store_lines(engine, tenant.id, [(f"{10 + i % 5000}.{i % 100:02d}", f"Payer {i % 300}", f"text {i}")
                                          for i in range(10_000)])
    proposals = to_json([invoice_proposal("C1", ("INV-1", "10.00"))])
    with write_transaction(engine) as s:
        s.execute(insert(table_of(SuggestionRow)), [
            {"tenant_id": tenant.id, "bank_line_id": i, "decision": "suggested", "confidence": 0.5,
             "model_version": "x", "proposals": proposals, "created_at": datetime.now(UTC)} for i in ids])
    client = TestClient(create_app(engine=engine, migrate=False))
    client.cookies.set("cashapp_review", tenant.keys["review"], path="/review")
    slowest = 0.0
    for url in ["/review", "/review?sort=age", "/review?q=payer%2012&min=100", "/review?page=150",
                f"/review/lines/{ids[5000]}", "/review/dashboard"]:
        started = time.perf_counter()
        response = client.get(url)
        slowest = max(slowest, time.perf_counter() - started)
        assert response.status_code == 200, url
    first = client.get("/review").text
    assert "(10000 open)" in first and first.count('<tr data-href=') == 50
    assert slowest < 3.0, f"slowest page took {slowest:.2f}s"
    engine.dispose()
