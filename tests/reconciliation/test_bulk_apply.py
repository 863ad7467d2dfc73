"""The set-based apply writes what the per-line path writes.

The same ledger is built in two fresh databases; the same AUTO results are recorded through
the per-line path (one transaction per line, a refused line sent to review, as the run did
before the set-based apply) into one, and through ``run.record_results`` (set-based chunks)
into the other. Every ledger table must then hold the same rows, ids aside: decisions,
applications, allocations, open amounts and versions, lettrage numbers, outbox events
(``application.created`` and ``deduction.created``) and the review suggestions. The scenario
has every conflict the run meets: lines applied meanwhile, invoices that moved, unknown and
foreign invoices, foreign lines, R2 and currency mismatches, a debit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, Engine, select, text
from tests.conftest import POSTGRES_SERVER, postgres_url, proposal

from cashapp.core.errors import (
    AlreadyAppliedError,
    ConflictError,
    InvariantViolation,
    NotFoundError,
)
from cashapp.domain.ledger import OpenItem
from cashapp.domain.proposals import DecisionKind, MatchResult, Proposal
from cashapp.domain.statements import BankLine, LineStatus, Statement, StatementFile
from cashapp.matcher.api import MatchPolicy
from cashapp.reconciliation import bulk_apply, run
from cashapp.reconciliation.apply import ActorType, apply_proposal
from cashapp.reconciliation.audit import audit_ledger
from cashapp.reconciliation.ingest import sha256_of, store_statement_file
from cashapp.reconciliation.open_items import import_open_items
from cashapp.storage.database import open_database
from cashapp.storage.engine import make_engine
from cashapp.storage.repositories.tenants import create_tenant
from cashapp.storage.tables import metadata
from cashapp.storage.transactions import read_session, run_in_transaction, write_transaction

POLICY = MatchPolicy()


class StubMatcher:
    version = "stub-2"


@pytest.fixture
def twin_engines(backend: str, tmp_path: Any) -> Iterator[tuple[Engine, Engine]]:
    """Two fresh, migrated databases on ``backend``."""
    if backend == "sqlite":
        engines = [open_database(f"sqlite:///{tmp_path / name}.db") for name in ("one", "two")]
        yield engines[0], engines[1]
        for engine in engines:
            engine.dispose()
        return
    schemas = [f"cashapp_twin_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = make_engine(POSTGRES_SERVER)
    with admin.begin() as connection:
        for schema in schemas:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engines = [open_database(postgres_url(schema)) for schema in schemas]
    try:
        yield engines[0], engines[1]
    finally:
        for engine in engines:
            engine.dispose()
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _item(number: str, amount: str, currency: str = "EUR", customer: str = "C1") -> OpenItem:
    return OpenItem(
        invoice_number=number,
        customer_id=customer,
        customer_name=f"Customer {customer}",
        issue_date=date(2025, 10, 1),
        due_date=date(2025, 10, 31),
        currency=currency,
        amount=Decimal(amount),
        open_amount=Decimal(amount),
    )


def _store(engine: Engine, tenant: int, name: str, lines: list[tuple[str, str, str]]) -> dict[str, int]:
    """Lines ``(ref, amount, currency)`` (a ``-`` amount is a debit, ``P`` ref prefix pending)."""
    parsed = StatementFile(
        format="test",
        statements=[
            Statement(
                id=name,
                account="DE89370400440532013000",
                currency="EUR",
                lines=[
                    BankLine(
                        bank_ref=ref,
                        entry=i,
                        amount=Decimal(amount),
                        currency=currency,
                        booking_date=date(2025, 11, 5),
                        status=LineStatus.PENDING if ref.startswith("P") else LineStatus.BOOKED,
                        counterparty_name="Payer Ltd",
                        remittance_text=ref,
                    )
                    for i, (ref, amount, currency) in enumerate(lines)
                ],
            )
        ],
    )
    with write_transaction(engine) as session:
        store_statement_file(
            session, tenant, parsed, sha256=sha256_of(name.encode()), filename=f"{name}.xml"
        )
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT bank_ref, id FROM bank_line WHERE tenant_id = :t"), {"t": tenant}
        ).all()
    return {ref: int(i) for ref, i in rows}


def build(engine: Engine) -> tuple[int, list[MatchResult]]:
    """The scenario in ``engine``; the tenant and the AUTO results the run will record."""
    with write_transaction(engine) as session:
        tenant = create_tenant(session, "acme").id or 0
        other = create_tenant(session, "umbrella").id or 0
        import_open_items(
            session,
            tenant,
            [
                _item("INV-1", "100.00"),
                _item("INV-2", "1000.00"),
                _item("INV-3", "500.00"),
                _item("INV-4", "100.00", customer="C2"),
                _item("INV-5", "50.00", customer="C2"),
                _item("INV-6", "100.00"),
                _item("INV-7", "100.00"),
                _item("INV-8", "100.00"),
                _item("INV-9", "100.00"),
                _item("INV-USD", "250.00", "USD"),
                _item("INV-USD2", "100.00", "USD"),
            ],
        )
        import_open_items(session, other, [_item("INV-OTHER", "100.00")])
    ids = _store(
        engine,
        tenant,
        "S1",
        [
            ("L1", "100.00", "EUR"),
            ("L2", "950.00", "EUR"),
            ("L3", "300.00", "EUR"),
            ("L4", "300.00", "EUR"),
            ("L5", "200.00", "EUR"),
            ("L6", "160.00", "EUR"),
            ("L7", "99.50", "EUR"),
            ("L8", "60.00", "EUR"),
            ("L9", "100.00", "EUR"),
            ("L10", "100.00", "EUR"),
            ("L11", "100.00", "EUR"),
            ("L12", "100.00", "EUR"),
            ("L13", "100.00", "EUR"),
            ("L14", "250.00", "USD"),
            ("L15", "100.00", "EUR"),
            ("L16", "-50.00", "EUR"),
            ("P17", "100.00", "EUR"),
        ],
    )
    foreign = _store(engine, other, "S2", [("LU", "100.00", "EUR")])["LU"]
    # Before the run a reviewer applied two lines: one the run also wants (L10), and part of
    # an invoice the run wants whole (INV-7, through L8).
    for ref, number, amount in (("L8", "INV-7", "60.00"), ("L10", "INV-8", "100.00")):
        with write_transaction(engine) as session:
            apply_proposal(
                session,
                tenant,
                ids[ref],
                proposal(("invoice", number, amount)),
                actor_type=ActorType.USER,
                actor_id="reviewer",
            )
    plan: list[tuple[int, Proposal]] = [
        (ids["L1"], proposal(("invoice", "INV-1", "100.00"))),
        (ids["L2"], proposal(("invoice", "INV-2", "950.00"), ("deduction", "INV-2", "50.00", "promotion"))),
        (ids["L3"], proposal(("invoice", "INV-3", "300.00"))),  # partial: lower-case code
        (ids["L4"], proposal(("invoice", "INV-3", "300.00"))),  # R3: 200 left
        (ids["L5"], proposal(("invoice", "INV-3", "200.00"))),  # closes it, next chunk
        (ids["L6"], proposal(("invoice", "INV-5", "50.00"), ("invoice", "INV-4", "100.00"), ("on_account", None, "10.00"))),
        (ids["L7"], proposal(("invoice", "INV-6", "99.50"), ("write_off", "INV-6", "0.50", "bank_charges"))),
        (ids["L9"], proposal(("invoice", "INV-7", "100.00"))),  # moved underneath: 40 left
        (ids["L10"], proposal(("invoice", "INV-8", "100.00"))),  # applied meanwhile
        (ids["L11"], proposal(("invoice", "INV-404", "100.00"))),  # unknown invoice
        (ids["L12"], proposal(("invoice", "INV-OTHER", "100.00"))),  # another tenant's
        (ids["L13"], proposal(("invoice", "INV-9", "90.00"))),  # R2: 90 of 100
        (ids["L14"], proposal(("invoice", "INV-USD", "250.00"))),
        (ids["L15"], proposal(("invoice", "INV-USD2", "100.00"))),  # currency mismatch
        (ids["L16"], proposal(("invoice", "INV-9", "50.00"))),  # a debit
        (ids["P17"], proposal(("invoice", "INV-9", "100.00"))),  # pending
        (foreign, proposal(("invoice", "INV-OTHER", "100.00"))),  # another tenant's line
    ]
    results = [
        MatchResult(line_key=str(line_id), decision=DecisionKind.AUTO, proposals=(p,))
        for line_id, p in plan
    ]
    return tenant, results


def record_line_by_line(engine: Engine, tenant: int, results: list[MatchResult]) -> list[str]:
    """The per-line path: each AUTO result in its own transaction; refused ones to review."""
    outcomes = []
    matcher: Any = StubMatcher()

    def record(result: MatchResult) -> DecisionKind:
        return run_in_transaction(
            engine,
            lambda s: run.record_result(s, tenant, result, matcher=matcher, policy=POLICY),
        )

    for result in results:
        try:
            record(result)
            outcomes.append("applied")
        except AlreadyAppliedError:
            outcomes.append("skipped")
        except NotFoundError as exc:
            if str(exc).startswith("no bank line"):
                outcomes.append("missing")
                continue
            record(run.as_suggestion(result))
            outcomes.append("refused")
        except (InvariantViolation, ConflictError):
            record(run.as_suggestion(result))
            outcomes.append("refused")
    return outcomes


EXPECTED = ["applied", "applied", "applied", "refused", "applied", "applied", "applied",
            "refused", "skipped", "refused", "refused", "refused", "applied", "refused",
            "refused", "refused", "missing"]  # fmt: skip


def record_in_bulk(engine: Engine, tenant: int, results: list[MatchResult]) -> run.RunSummary:
    lines = {r.line_key: BankLine(bank_ref="", entry=0, amount=Decimal(1), currency="EUR") for r in results}
    return run.record_results(
        engine, tenant, results, lines=lines, matcher=StubMatcher(), policy=POLICY  # type: ignore[arg-type]
    )


ID_OWNERS = {
    "tenant_id": "tenant",
    "bank_line_id": "bank_line",
    "invoice_id": "open_item",
    "customer_id": "customer",
    "decision_id": "decision",
    "application_id": "application",
    "reverses_id": "application",
    "reversed_by": "application",
}
COMPARED = ["tenant", "open_item", "decision", "application", "allocation", "outbox", "suggestion"]


def ledger_content(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every compared table, ids replaced by what they stand for (names, numbers, refs, or
    the row's rank in its table), timestamps left out."""
    with engine.connect() as connection:

        def rows(name: str) -> list[dict[str, Any]]:
            table = metadata.tables[name]
            return [dict(r._mapping) for r in connection.execute(select(table).order_by(table.c.id))]

        names = {
            "tenant": {r["id"]: r["name"] for r in rows("tenant")},
            "bank_line": {r["id"]: r["bank_ref"] for r in rows("bank_line")},
            "open_item": {r["id"]: r["invoice_number"] for r in rows("open_item")},
            "customer": {r["id"]: r["customer_key"] for r in rows("customer")},
            "decision": {r["id"]: f"decision#{k}" for k, r in enumerate(rows("decision"))},
            "application": {r["id"]: f"application#{k}" for k, r in enumerate(rows("application"))},
        }
        content = {}
        for name in COMPARED:
            table = metadata.tables[name]
            skip = {c.name for c in table.columns if isinstance(c.type, DateTime | Date)}
            skip.add("id")
            normalized = []
            for row in rows(name):
                out = {}
                for key, value in row.items():
                    if key in skip:
                        continue
                    if key in ID_OWNERS and value is not None:
                        value = names[ID_OWNERS[key]][value]
                    elif key in ("payload", "evidence", "proposals"):
                        value = _ids_in_json(json.loads(value), names)
                    elif key == "event_id":
                        kind, tenant, app, *rest = value.split(":")
                        value = ":".join([kind, names["tenant"][int(tenant)],
                                          names["application"][int(app)], *rest])
                    out[key] = value
                normalized.append(out)
            content[name] = normalized
    return content


def _ids_in_json(value: Any, names: dict[str, dict[int, str]]) -> Any:
    if isinstance(value, dict):
        return {
            k: names[ID_OWNERS[k]][v] if k in ID_OWNERS and isinstance(v, int) else _ids_in_json(v, names)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_ids_in_json(v, names) for v in value]
    return value


def test_set_based_apply_writes_what_the_per_line_path_writes(
    twin_engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "APPLY_CHUNK", 4)  # several chunks; INV-3 settled across two
    line_engine, bulk_engine = twin_engines
    tenant, results = build(line_engine)
    assert record_line_by_line(line_engine, tenant, results) == EXPECTED
    bulk_tenant, bulk_results = build(bulk_engine)
    summary = record_in_bulk(bulk_engine, bulk_tenant, bulk_results)
    assert (summary.applied, summary.suggested, summary.skipped) == (
        EXPECTED.count("applied"),
        EXPECTED.count("refused"),
        EXPECTED.count("skipped") + EXPECTED.count("missing"),
    )
    expected, actual = ledger_content(line_engine), ledger_content(bulk_engine)
    for name in COMPARED:
        assert actual[name] == expected[name], name
    applications = actual["application"]
    assert [a["lettrage_code"] for a in applications] == [
        "aaa", "AAB", "AAC", "AAD", "aae", "AAF", "AAG", "AAH", "AAI"
    ]  # fmt: skip  (aaa, AAB by the reviewer; the run's seven follow, INV-3 partly then whole)
    kinds = [e["kind"] for e in actual["outbox"]]
    assert kinds.count("deduction.created") == 1 and kinds.count("application.created") == 9
    for engine, tid in ((line_engine, tenant), (bulk_engine, bulk_tenant)):
        with read_session(engine) as session:
            assert audit_ledger(session, tid) == []


def test_a_bulk_statement_refused_by_the_database_falls_back_to_line_by_line(
    twin_engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the R3 pre-check switched off, the chunk's relative UPDATE meets the CHECK on open
    amounts: the chunk is rolled back and applied line by line, with the same result."""
    line_engine, bulk_engine = twin_engines
    tenant, results = build(line_engine)
    record_line_by_line(line_engine, tenant, results)
    bulk_tenant, bulk_results = build(bulk_engine)
    refused_in_bulk: list[int] = []
    bulk = bulk_apply.apply_in_bulk

    def counting(*args: Any, **kwargs: Any) -> list[bulk_apply.Outcome]:
        try:
            return bulk(*args, **kwargs)
        except InvariantViolation:
            refused_in_bulk.append(1)
            raise

    monkeypatch.setattr(bulk_apply, "settle", lambda reductions, open_minor: False)
    monkeypatch.setattr(bulk_apply, "apply_in_bulk", counting)
    record_in_bulk(bulk_engine, bulk_tenant, bulk_results)
    assert refused_in_bulk  # the database, not the pre-check, refused the chunk
    expected, actual = ledger_content(line_engine), ledger_content(bulk_engine)
    for name in COMPARED:
        assert actual[name] == expected[name], name


def test_a_chunk_is_all_or_nothing(twin_engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the first bulk inserts (here: the outbox) leaves nothing of the chunk."""
    engine = twin_engines[0]
    tenant, results = build(engine)
    before = ledger_content(engine)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed between two bulk statements")

    monkeypatch.setattr(bulk_apply.ledger_bulk, "add_outbox_events", broken)
    with pytest.raises(RuntimeError):
        record_in_bulk(engine, tenant, results)
    assert ledger_content(engine) == before


@pytest.mark.parametrize("guard", ["R1", "R3"])
def test_the_database_guards_the_bulk_statements(engine: Engine, tenant: int, ledger: Any, guard: str) -> None:
    """Without any check in Python, the bulk statements still cannot double-apply a line
    (partial unique index) nor take an invoice below zero (CHECK)."""
    from cashapp.core.clock import utc_now
    from cashapp.storage.repositories import ledger as ledger_repo
    from cashapp.storage.repositories import ledger_bulk

    ledger.invoice("INV-G", "100.00")
    (line,) = ledger.lines(("100.00", "INV-G"))
    ledger.apply(line, proposal(("invoice", "INV-G", "100.00")))
    refusal = AlreadyAppliedError if guard == "R1" else InvariantViolation
    with pytest.raises(refusal), write_transaction(engine) as session:
        if guard == "R3":
            invoice = ledger_repo.lock_open_items_by_number(session, tenant, ["INV-G"])["INV-G"]
            ledger_bulk.reduce_open_amounts(session, tenant, {invoice.id: (1, 1)})
        else:
            (decision_id,) = ledger_bulk.reserve_ids(session, "decision", 1)
            (application_id,) = ledger_bulk.reserve_ids(session, "application", 1)
            now = utc_now()
            ledger_bulk.add_decisions(session, [{
                "id": decision_id, "tenant_id": tenant, "bank_line_id": line, "kind": "auto",
                "actor_type": "rule", "actor_id": "t", "model_version": "t", "evidence": "{}",
                "evidence_sha256": "0" * 64, "created_at": now}])  # fmt: skip
            ledger_bulk.add_applications(session, [{
                "id": application_id, **ledger_repo.new_application(
                    tenant_id=tenant, bank_line_id=line, currency="EUR", decision_id=decision_id,
                    at=now, lettrage_code="ZZZ", lettrage_date=now.date())}])  # fmt: skip
    assert ledger.open_minor("INV-G") == 0
