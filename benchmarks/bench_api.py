"""API latency with a large ledger: p50/p99 of reading a bank line with its proposals and of
confirming a proposal (the apply transaction), on a tenant with ``CASHAPP_BENCH_OPEN_ITEMS``
open items (default 1 000 000, bulk inserted); and requests/s of the lettrage feed.

``python -m benchmarks bench_api`` starts ``cashapp serve`` (uvicorn, one process) on a
free loopback port against a fresh SQLite file, drives it with one keep-alive HTTP client,
prints a table and writes ``benchmarks/out/api.json``. ``CASHAPP_BENCH_DATABASE_URL`` points
it at PostgreSQL instead (a throw-away schema is created and dropped).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import insert, text

from cashapp.domain.proposals import AllocationKind, Evidence, Proposal, ProposedAllocation
from cashapp.domain.statements import BankLine, Statement, StatementFile
from cashapp.reconciliation.ingest import sha256_of, store_statement_file
from cashapp.storage.apikeys import Scope, create_api_key
from cashapp.storage.database import open_database
from cashapp.storage.records import to_json
from cashapp.storage.repositories.bank import list_lines_without_live_application
from cashapp.storage.repositories.tenants import create_tenant
from cashapp.storage.tables import CustomerRow, OpenItemRow, SuggestionRow, table_of
from cashapp.storage.transactions import write_transaction

HERE = Path(__file__).parent
ROOT = HERE.parent
CHUNK = 50_000


def bulk_open_items(engine: object, tenant: int, n: int) -> float:
    """``n`` open items over ``n // 10`` customers, by executemany in chunks; seconds taken."""
    started = time.perf_counter()
    customers = max(1, n // 10)
    with write_transaction(engine) as s:  # type: ignore[arg-type]
        for start in range(0, customers, CHUNK):
            s.execute(insert(table_of(CustomerRow)), [
                {"tenant_id": tenant, "customer_key": f"C{i:07d}", "name": f"Customer {i} SA"}
                for i in range(start, min(customers, start + CHUNK))])
        first_customer = s.execute(text("SELECT min(id) FROM customer WHERE tenant_id = :t"), {"t": tenant}).scalar_one()
    for start in range(0, n, CHUNK):
        with write_transaction(engine) as s:  # type: ignore[arg-type]
            s.execute(insert(table_of(OpenItemRow)), [
                {"tenant_id": tenant, "customer_id": first_customer + i % customers, "invoice_number": f"INV-{i:08d}",
                 "issue_date": date(2025, 10, 1), "due_date": date(2025, 10, 31), "currency": "EUR",
                 "amount_minor": 10_000 + i % 90_000, "open_minor": 10_000 + i % 90_000,
                 "baseline_open_minor": 10_000 + i % 90_000, "payment_reference": None, "po_number": None, "version": 0}
                for i in range(start, min(n, start + CHUNK))])
    return time.perf_counter() - started


def seed_lines(engine: object, tenant: int, n_items: int, count: int) -> list[int]:
    lines, picks = [], []
    for k in range(count):
        i = (k * 7919) % n_items
        picks.append(i)
        lines.append(BankLine(bank_ref=f"B-{k}", entry=k, amount=Decimal(10_000 + i % 90_000) / 100, currency="EUR",
                              booking_date=date(2025, 11, 5), counterparty_name=f"Customer {i % max(1, n_items // 10)} SA",
                              remittance_text=f"INV-{i:08d}"))
    parsed = StatementFile(format="bench", statements=[Statement(id="S1", account="FR7630006000011234567890189",
                                                                   currency="EUR", lines=lines)])
    with write_transaction(engine) as s:  # type: ignore[arg-type]
        store_statement_file(s, tenant, parsed, sha256=sha256_of(uuid.uuid4().bytes), filename="bench.xml")
        ids = {r.bank_ref: r.id for r in list_lines_without_live_application(s, tenant)}
        for k, i in enumerate(picks):
            proposal = Proposal(allocations=(ProposedAllocation(kind=AllocationKind.INVOICE, amount=lines[k].amount,
                                                                invoice_number=f"INV-{i:08d}"),),
                                confidence=0.9, customer_id=f"C{i % max(1, n_items // 10):07d}",
                                evidence=(Evidence(name="reference_found", detail=f"INV-{i:08d}"),), model_version="bench")
            s.add(SuggestionRow(tenant_id=tenant, bank_line_id=ids[f"B-{k}"], decision="suggested", confidence=0.9,
                                model_version="bench", proposals=to_json([proposal]), created_at=datetime.now(UTC)))
    return [int(ids[f"B-{k}"]) for k in range(count)]  # type: ignore[arg-type]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    n_items = int(os.environ.get("CASHAPP_BENCH_OPEN_ITEMS", "1000000"))
    n_lines = int(os.environ.get("CASHAPP_BENCH_LINES", "200"))
    tmp = Path(tempfile.mkdtemp(prefix="cashapp-bench-api-"))
    url = os.environ.get("CASHAPP_BENCH_DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    schema = None
    if url.startswith("postgresql"):
        schema = f"bench_api_{uuid.uuid4().hex[:8]}"
        admin = open_database.__globals__["make_engine"](url)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{url}?options=-csearch_path%3D{schema}"
    engine = open_database(url)
    with write_transaction(engine) as s:
        tenant = create_tenant(s, "bench").id
        assert tenant is not None
        key = create_api_key(s, tenant_id=tenant, scopes=[Scope.ADMIN]).key
    insert_seconds = bulk_open_items(engine, tenant, n_items)
    line_ids = seed_lines(engine, tenant, n_items, n_lines)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CASHAPP_DATABASE_URL": url, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
           "CASHAPP_RATE_LIMIT_PER_MINUTE": "0", "CASHAPP_RELAY_INTERVAL": "0"}
    server = subprocess.Popen([sys.executable, "-m", "cashapp.cli.serve", "--port", str(port)], env=env, cwd=tmp,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            read_ms, apply_ms = [], []
            for line_id in line_ids:
                t0 = time.perf_counter()
                detail = client.get(f"/v1/bank-lines/{line_id}")
                read_ms.append((time.perf_counter() - t0) * 1000)
                assert detail.status_code == 200, detail.text
            for line_id in line_ids[: n_lines // 2]:
                t0 = time.perf_counter()
                r = client.post(f"/v1/bank-lines/{line_id}/confirm", json={"version": 0},
                                headers={"Idempotency-Key": f"bench-{line_id}"})
                apply_ms.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text
            feed_requests, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 5:
                assert client.get("/v1/lettrage", params={"limit": 100}).status_code == 200
                feed_requests += 1
            feed_rps = feed_requests / (time.perf_counter() - t0)
    finally:
        server.terminate()
        server.wait(10)
        engine.dispose()
        if schema:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    result = {
        "backend": url.split(":", 1)[0], "open_items": n_items, "lines": n_lines,
        "bulk_insert_seconds": round(insert_seconds, 1),
        "read_line_with_proposals_ms": {"p50": round(statistics.median(read_ms), 2), "p99": round(percentile(read_ms, 0.99), 2)},
        "confirm_proposal_ms": {"p50": round(statistics.median(apply_ms), 2), "p99": round(percentile(apply_ms, 0.99), 2)},
        "lettrage_feed_rps": round(feed_rps, 1),
        "python": platform.python_version(), "cpus": os.cpu_count(),
    }
    print(f"{'open items':<36}{n_items:>12,}")
    print(f"{'bulk insert (s)':<36}{result['bulk_insert_seconds']:>12}")
    print(f"{'GET bank line + proposals p50/p99 ms':<36}{result['read_line_with_proposals_ms']['p50']:>6} / {result['read_line_with_proposals_ms']['p99']}")
    print(f"{'POST confirm (apply) p50/p99 ms':<36}{result['confirm_proposal_ms']['p50']:>6} / {result['confirm_proposal_ms']['p99']}")
    print(f"{'lettrage feed (limit 100) req/s':<36}{result['lettrage_feed_rps']:>12}")
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "api.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
