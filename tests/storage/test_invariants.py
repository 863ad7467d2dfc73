"""The store contract: each money invariant is held by the DATABASE, even when application
code is bypassed with raw SQL. Runs on SQLite and PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from cashapp.core.errors import AlreadyAppliedError, AlreadyReversedError, InvariantViolation
from cashapp.reconciliation.apply import ActorType, reverse_application
from cashapp.storage.repositories import ledger as ledger_repo
from cashapp.storage.transactions import write_transaction

SHA = "0" * 64


def refused(engine: Engine, sql: str, params: dict[str, Any]) -> str:
    """Run ``sql`` in its own write transaction and return the database's refusal."""
    with pytest.raises(DBAPIError) as caught, write_transaction(engine) as session:
        session.execute(text(sql), params)
    return str(caught.value.orig)


def scalar(engine: Engine, sql: str, params: dict[str, Any]) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def applied_line(ledger: Any, make_proposal: Callable[..., Any]) -> tuple[int, int]:
    ledger.invoice("INV-1", "1000.00")
    (line,) = ledger.lines(("1000.00", "INV-1"))
    application = ledger.apply(line, make_proposal(("invoice", "INV-1", "1000.00")))
    return line, application


def raw_decision(engine: Engine, tenant: int, line: int) -> int:
    with write_transaction(engine) as session:
        row = session.execute(
            text(
                "INSERT INTO decision (tenant_id, bank_line_id, kind, actor_type, actor_id,"
                " model_version, evidence, evidence_sha256, created_at)"
                " VALUES (:t, :l, 'auto', 'rule', 'raw', 'raw-1', '[]', :sha, CURRENT_TIMESTAMP)"
                " RETURNING id"
            ),
            {"t": tenant, "l": line, "sha": SHA},
        ).scalar_one()
    return int(row)


def test_r1_one_live_application_per_line(engine, tenant, ledger, make_proposal) -> None:
    line, _ = applied_line(ledger, make_proposal)
    decision = raw_decision(engine, tenant, line)
    message = refused(
        engine,
        "INSERT INTO application (tenant_id, bank_line_id, currency, decision_id, lettrage_code,"
        " lettrage_partial, created_at)"
        " VALUES (:t, :l, 'EUR', :d, 'ZZZ', false, CURRENT_TIMESTAMP)",
        {"t": tenant, "l": line, "d": decision},
    )
    assert "unique" in message.lower()
    with pytest.raises(AlreadyAppliedError):
        ledger.apply(line, make_proposal(("on_account", None, "1000.00")))


def test_r3_open_amount_never_below_zero(engine, tenant, ledger) -> None:
    ledger.invoice("INV-1", "100.00")
    message = refused(
        engine,
        "UPDATE open_item SET open_minor = open_minor - 10001 WHERE tenant_id = :t",
        {"t": tenant},
    )
    assert "ck_open_item_open_within_amount" in message
    refused(engine, "UPDATE open_item SET open_minor = 10001 WHERE tenant_id = :t", {"t": tenant})
    assert ledger.open_minor("INV-1") == 10000


def test_r3_apply_refuses_more_than_open(ledger, make_proposal) -> None:
    ledger.invoice("INV-1", "100.00")
    (line,) = ledger.lines(("150.00", "INV-1"))
    with pytest.raises(InvariantViolation, match="R3"):
        ledger.apply(line, make_proposal(("invoice", "INV-1", "150.00")))
    assert ledger.open_minor("INV-1") == 10000


def test_r4_same_statement_file_once(engine, tenant) -> None:
    sql = (
        "INSERT INTO statement_file (tenant_id, sha256, format, filename, size_bytes, received_at)"
        " VALUES (:t, :sha, 'camt', :f, 0, CURRENT_TIMESTAMP)"
    )
    with write_transaction(engine) as session:
        session.execute(text(sql), {"t": tenant, "sha": SHA, "f": "a.xml"})
    assert "unique" in refused(engine, sql, {"t": tenant, "sha": SHA, "f": "b.xml"}).lower()


def test_r5_same_bank_transaction_once(engine, tenant, ledger) -> None:
    (line,) = ledger.lines(("10.00", "x"))
    message = refused(
        engine,
        "INSERT INTO bank_line (tenant_id, bank_account_id, statement_id, bank_ref, entry,"
        " amount_minor, currency, status, reversal, remittance_text, structured_references,"
        " referred_documents, extra)"
        " SELECT tenant_id, bank_account_id, statement_id, bank_ref, entry + 1, amount_minor,"
        " currency, status, reversal, '', '[]', '[]', '{}' FROM bank_line WHERE id = :l",
        {"l": line},
    )
    assert "unique" in message.lower()


def test_r8_every_application_has_a_decision(engine, tenant, ledger) -> None:
    (line,) = ledger.lines(("10.00", "x"))
    sql = (
        "INSERT INTO application (tenant_id, bank_line_id, currency, decision_id, lettrage_code,"
        " lettrage_partial, created_at) VALUES (:t, :l, 'EUR', :d, 'QQQ', false, CURRENT_TIMESTAMP)"
    )
    assert "null" in refused(engine, sql, {"t": tenant, "l": line, "d": None}).lower()
    assert "foreign key" in refused(engine, sql, {"t": tenant, "l": line, "d": 987654}).lower()


def test_r8_decisions_are_append_only(engine, tenant, ledger, make_proposal) -> None:
    applied_line(ledger, make_proposal)
    assert "R8" in refused(engine, "DELETE FROM decision WHERE tenant_id = :t", {"t": tenant}) or (
        "R9" in refused(engine, "DELETE FROM decision WHERE tenant_id = :t", {"t": tenant})
    )
    message = refused(engine, "UPDATE decision SET score = 0 WHERE tenant_id = :t", {"t": tenant})
    assert "append-only" in message


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE allocation SET amount_minor = 1 WHERE tenant_id = :t",
        "DELETE FROM allocation WHERE tenant_id = :t",
        "DELETE FROM application WHERE tenant_id = :t",
        "UPDATE application SET lettrage_code = 'ZZZ' WHERE tenant_id = :t",
        "UPDATE application SET reversed_at = CURRENT_TIMESTAMP, reversed_by = id"
        " WHERE tenant_id = :t",
    ],
    ids=[
        "update-allocation",
        "delete-allocation",
        "delete-application",
        "edit-application",
        "mark-reversed-without-reversal",
    ],
)
def test_r9_ledger_rows_are_append_only(engine, tenant, ledger, make_proposal, sql) -> None:
    applied_line(ledger, make_proposal)
    assert "R9" in refused(engine, sql, {"t": tenant})


def test_r9_reversal_restores_open_amounts_and_is_refused_twice(
    engine, tenant, ledger, make_proposal
) -> None:
    ledger.invoice("INV-A", "300.00")
    ledger.invoice("INV-B", "700.00")
    (line,) = ledger.lines(("950.00", "INV-A INV-B"))
    application = ledger.apply(
        line,
        make_proposal(
            ("invoice", "INV-A", "300.00"),
            ("invoice", "INV-B", "650.00"),
            ("deduction", "INV-B", "50.00", "promotion"),
        ),
    )
    assert (ledger.open_minor("INV-A"), ledger.open_minor("INV-B")) == (0, 0)
    with write_transaction(engine) as session:
        reversal = reverse_application(
            session, tenant, application, actor_type=ActorType.USER, actor_id="bob", reason="oops"
        )
    assert (ledger.open_minor("INV-A"), ledger.open_minor("INV-B")) == (30000, 70000)
    # The original rows are kept, marked reversed by the reversal.
    assert (
        scalar(
            engine, "SELECT count(*) FROM allocation WHERE application_id = :a", {"a": application}
        )
        == 3
    )
    assert (
        scalar(engine, "SELECT reversed_by FROM application WHERE id = :a", {"a": application})
        == reversal
    )
    with pytest.raises(AlreadyReversedError), write_transaction(engine) as session:
        reverse_application(session, tenant, application, actor_type=ActorType.USER, actor_id="bob")
    # Bypassing the use case: a second reversal row is refused by the database too.
    decision = raw_decision(engine, tenant, line)
    message = refused(
        engine,
        "INSERT INTO application (tenant_id, bank_line_id, currency, decision_id, reverses_id,"
        " lettrage_partial, created_at)"
        " VALUES (:t, :l, 'EUR', :d, :a, false, CURRENT_TIMESTAMP)",
        {"t": tenant, "l": line, "d": decision, "a": application},
    )
    assert "unique" in message.lower()
    # After the reversal, the line can be applied again.
    again = ledger.apply(line, make_proposal(("on_account", None, "950.00")))
    assert again != application


def test_r2_cash_must_equal_the_bank_line(engine, tenant, ledger, make_proposal) -> None:
    ledger.invoice("INV-1", "100.00")
    (line,) = ledger.lines(("100.00", "INV-1"))
    with pytest.raises(InvariantViolation, match="R2"):
        ledger.apply(line, make_proposal(("invoice", "INV-1", "60.00")))
    # Through the repositories (no use-case checks): the unit of work refuses at commit.
    with pytest.raises(InvariantViolation, match="R2"), write_transaction(engine) as session:
        decision = ledger_repo.add_decision(
            session,
            {
                "tenant_id": tenant,
                "bank_line_id": line,
                "kind": "auto",
                "actor_type": "rule",
                "actor_id": "x",
                "model_version": "x",
                "evidence": "[]",
                "evidence_sha256": SHA,
                "created_at": _now(),
            },
        )
        app = ledger_repo.add_application(
            session,
            ledger_repo.new_application(
                tenant_id=tenant,
                bank_line_id=line,
                currency="EUR",
                decision_id=decision,
                at=_now(),
                lettrage_code="RRR",
            ),
        )
        ledger_repo.add_allocations(
            session,
            [
                {
                    "tenant_id": tenant,
                    "application_id": app,
                    "currency": "EUR",
                    "kind": "on_account",
                    "invoice_id": None,
                    "amount_minor": 6000,
                    "reason_code": None,
                }
            ],
        )
    assert (
        scalar(engine, "SELECT count(*) FROM application WHERE bank_line_id = :l", {"l": line}) == 0
    )


@pytest.mark.postgres
def test_r2_raw_sql_refused_at_commit_on_postgresql(postgres_engine) -> None:
    """PostgreSQL checks R2 in a deferred constraint trigger (SQLite: the unit of work, above)."""
    from tests.conftest import LedgerBuilder

    from cashapp.storage.repositories.tenants import create_tenant

    engine = postgres_engine
    with write_transaction(engine) as session:
        tenant = create_tenant(session, f"r2-{id(session)}").id or 0
    (line,) = LedgerBuilder(engine=engine, tenant=tenant).lines(("100.00", "x"))
    decision = raw_decision(engine, tenant, line)
    with pytest.raises(InvariantViolation, match="R2"), write_transaction(engine) as session:
        session.execute(
            text(
                "WITH app AS (INSERT INTO application (tenant_id, bank_line_id, currency,"
                " decision_id, lettrage_code, lettrage_partial, created_at)"
                " VALUES (:t, :l, 'EUR', :d, 'PPP', false, CURRENT_TIMESTAMP) RETURNING id)"
                " INSERT INTO allocation (tenant_id, application_id, currency, kind, amount_minor)"
                " SELECT :t, id, 'EUR', 'on_account', 999 FROM app"
            ),
            {"t": tenant, "l": line, "d": decision},
        )
    assert (
        scalar(engine, "SELECT count(*) FROM application WHERE bank_line_id = :l", {"l": line}) == 0
    )


@pytest.mark.parametrize(
    ("kind", "invoice", "amount", "reason"),
    [
        ("invoice", None, 100, None),  # an invoice allocation needs its invoice
        ("on_account", "INV", 100, None),  # on account has none
        ("deduction", "INV", 100, None),  # a deduction needs a reason
        ("invoice", "INV", 0, None),  # amounts are positive
        ("write_off", "INV", 100, "because"),  # reasons are canonical codes
        ("refund", "INV", 100, None),  # unknown kind
    ],
)
def test_allocation_rows_are_well_formed(
    engine, tenant, ledger, make_proposal, kind, invoice, amount, reason
) -> None:
    ledger.invoice("INV", "10.00")
    (line,) = ledger.lines(("10.00", "x"))
    application = ledger.apply(line, make_proposal(("on_account", None, "10.00")))
    invoice_id = scalar(engine, "SELECT id FROM open_item WHERE tenant_id = :t", {"t": tenant})
    refused(
        engine,
        "INSERT INTO allocation (tenant_id, application_id, currency, kind, invoice_id,"
        " amount_minor, reason_code) VALUES (:t, :a, 'EUR', :k, :i, :m, :r)",
        {
            "t": tenant,
            "a": application,
            "k": kind,
            "i": invoice_id if invoice else None,
            "m": amount,
            "r": reason,
        },
    )


def test_allocations_cannot_cross_currency_or_tenant(engine, tenant, ledger, make_proposal):
    from cashapp.storage.repositories.tenants import create_tenant

    ledger.invoice("USD-1", "100.00", currency="USD")
    (line,) = ledger.lines(("100.00", "USD-1"))
    with pytest.raises(InvariantViolation, match="USD"):
        ledger.apply(line, make_proposal(("invoice", "USD-1", "100.00")))
    application = ledger.apply(line, make_proposal(("on_account", None, "100.00")))
    usd = scalar(engine, "SELECT id FROM open_item WHERE tenant_id = :t", {"t": tenant})
    sql = (
        "INSERT INTO allocation (tenant_id, application_id, currency, kind, invoice_id,"
        " amount_minor, reason_code) VALUES (:t, :a, 'EUR', 'deduction', :i, 1, 'other')"
    )
    assert "foreign key" in refused(engine, sql, {"t": tenant, "a": application, "i": usd}).lower()
    with write_transaction(engine) as session:
        other = create_tenant(session, f"other-{tenant}-{id(engine)}").id
    assert "foreign key" in refused(engine, sql, {"t": other, "a": application, "i": usd}).lower()


def test_money_columns_are_integers(engine) -> None:
    from sqlalchemy import inspect

    inspector = inspect(engine)
    money = [
        (table, column["name"], str(column["type"]).upper())
        for table in inspector.get_table_names()
        for column in inspector.get_columns(table)
        if column["name"].endswith("_minor")
    ]
    assert len(money) >= 8
    for table, name, kind in money:
        assert kind in ("BIGINT", "INTEGER"), (table, name, kind)


def test_migrations_match_the_tables(engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from cashapp.storage.migrate import load_all_tables

    metadata = load_all_tables()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def _now() -> Any:
    from cashapp.core.clock import utc_now

    return utc_now()
