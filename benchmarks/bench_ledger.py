"""Ledger write and read speed on both backends: open-items import (bulk upsert), statement
storage (bulk insert with ON CONFLICT), applying payments (one transaction per bank line as a
reviewer does; chunks of 50 with a savepoint per line; and the run's set-based apply on the
rest of the lines, chunks of ``run.APPLY_CHUNK``), the lettrage export and the SQL auditor.

``python -m benchmarks bench_ledger`` (sizes: ``CASHAPP_BENCH_LEDGER_ITEMS``, default 20000,
and ``CASHAPP_BENCH_LEDGER_APPLIES``, default 500) writes ``benchmarks/out/ledger.json``;
``benchmarks/ledger.md`` holds the figures of the last run on the 2-core machine.
"""

from __future__ import annotations

import io
import json
import os
import platform
import tempfile
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from cashapp.domain.ledger import OpenItem
from cashapp.domain.proposals import AllocationKind, Proposal, ProposedAllocation
from cashapp.domain.statements import BankLine, Statement, StatementFile
from cashapp.reconciliation.apply import ActorType, apply_proposal
from cashapp.reconciliation.audit import audit_ledger
from cashapp.reconciliation.bulk_apply import Actor, Outcome, apply_chunk
from cashapp.reconciliation.export import export_lettrage, write_lettrage_csv
from cashapp.reconciliation.ingest import sha256_of, store_statement_file
from cashapp.reconciliation.open_items import import_open_items
from cashapp.reconciliation.run import APPLY_CHUNK
from cashapp.storage.database import open_database
from cashapp.storage.engine import make_engine
from cashapp.storage.repositories.bank import list_lines_without_live_application
from cashapp.storage.repositories.tenants import create_tenant
from cashapp.storage.transactions import (
    read_session,
    run_in_transaction,
    savepoint,
    write_transaction,
)

HERE = Path(__file__).parent
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _items(n: int) -> list[OpenItem]:
    return [
        OpenItem(
            invoice_number=f"INV-{i:07d}",
            customer_id=f"C{i % 500}",
            customer_name=f"Customer {i % 500}",
            issue_date=date(2025, 10, 1),
            due_date=date(2025, 10, 31),
            currency="EUR",
            amount=Decimal("100.00"),
            open_amount=Decimal("100.00"),
        )
        for i in range(n)
    ]


def _statement(n: int) -> StatementFile:
    lines = [
        BankLine(
            bank_ref=f"BR-{i:07d}",
            entry=i,
            amount=Decimal("100.00"),
            currency="EUR",
            booking_date=date(2025, 11, 5),
            counterparty_name=f"Customer {i % 500}",
            remittance_text=f"INV-{i:07d}",
        )
        for i in range(n)
    ]
    return StatementFile(
        format="bench",
        statements=[
            Statement(id="BENCH", account="DE89370400440532013000", currency="EUR", lines=lines)
        ],
    )


def measure(url: str, items: int, applies: int) -> dict[str, Any]:
    engine = open_database(url)
    figures: dict[str, Any] = {}
    with write_transaction(engine) as session:
        tenant = create_tenant(session, f"bench-{uuid.uuid4().hex[:8]}").id or 0
    open_items = _items(items)
    start = time.perf_counter()
    run_in_transaction(engine, lambda s: import_open_items(s, tenant, open_items))
    figures["import_open_items_rows_per_s"] = items / (time.perf_counter() - start)
    start = time.perf_counter()
    run_in_transaction(engine, lambda s: import_open_items(s, tenant, open_items))
    figures["reimport_unchanged_rows_per_s"] = items / (time.perf_counter() - start)
    parsed = _statement(items)
    start = time.perf_counter()
    run_in_transaction(
        engine,
        lambda s: store_statement_file(
            s, tenant, parsed, sha256=sha256_of(uuid.uuid4().bytes), filename="bench.xml"
        ),
    )
    figures["store_statement_lines_per_s"] = items / (time.perf_counter() - start)
    with read_session(engine) as session:
        line_ids = [row.id for row in list_lines_without_live_application(session, tenant)]

    def proposal(i: int) -> Proposal:
        return Proposal(
            allocations=(
                ProposedAllocation(
                    kind=AllocationKind.INVOICE,
                    invoice_number=f"INV-{i:07d}",
                    amount=Decimal("100.00"),
                ),
            ),
            confidence=1.0,
        )

    start = time.perf_counter()
    for i, line_id in enumerate(line_ids[:applies]):
        run_in_transaction(
            engine,
            lambda s, i=i, lid=line_id: apply_proposal(
                s, tenant, lid or 0, proposal(i), actor_type=ActorType.RULE, actor_id="bench"
            ),
        )
    figures["apply_per_s_one_transaction_each"] = applies / (time.perf_counter() - start)

    def chunk(session: Any, first: int) -> None:
        for i in range(first, min(first + 50, 2 * applies)):
            with savepoint(session):
                apply_proposal(
                    session,
                    tenant,
                    line_ids[i] or 0,
                    proposal(i),
                    actor_type=ActorType.RULE,
                    actor_id="bench",
                )

    start = time.perf_counter()
    for first in range(applies, 2 * applies, 50):
        run_in_transaction(engine, lambda s, f=first: chunk(s, f))
    figures["apply_per_s_chunks_of_50_savepoints"] = applies / (time.perf_counter() - start)
    # The set-based apply of the run (``bulk_apply``) on every line still open.
    rest = list(range(2 * applies, len(line_ids)))
    actor = Actor(actor_type=ActorType.RULE, actor_id="bench")
    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(rest), APPLY_CHUNK):
        chunk_items = [(line_ids[i] or 0, proposal(i)) for i in rest[first : first + APPLY_CHUNK]]
        outcomes = apply_chunk(engine, tenant, chunk_items, actor=actor)
        assert all(o is Outcome.APPLIED for o in outcomes)
    elapsed = time.perf_counter() - start
    figures["apply_per_s_set_based"] = len(rest) / elapsed
    figures["apply_set_based_lines"] = len(rest)
    figures["apply_set_based_cpu_s_per_1000_lines"] = (time.process_time() - cpu) / len(rest) * 1000
    start = time.perf_counter()
    with read_session(engine) as session:
        rows = write_lettrage_csv(export_lettrage(session, tenant), io.StringIO())
    figures["export_rows_per_s"] = rows / (time.perf_counter() - start)
    start = time.perf_counter()
    with read_session(engine) as session:
        assert audit_ledger(session, tenant) == []
    figures["audit_seconds"] = time.perf_counter() - start
    engine.dispose()
    return figures


def main() -> None:
    items = int(os.environ.get("CASHAPP_BENCH_LEDGER_ITEMS", "20000"))
    applies = int(os.environ.get("CASHAPP_BENCH_LEDGER_APPLIES", "500"))
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure(f"sqlite:///{folder}/bench.db", items, applies)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        results["postgresql"] = measure(
            f"{POSTGRES}?options=-csearch_path%3D{schema}", items, applies
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    names = list(results["sqlite"])
    print(f"{'figure':40} {'sqlite':>12} {'postgresql':>12}")
    for name in names:
        print(f"{name:40} {results['sqlite'][name]:12.1f} {results['postgresql'][name]:12.1f}")
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "ledger.json").write_text(
        json.dumps(
            {
                "items": items,
                "applies": applies,
                "python": platform.python_version(),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
