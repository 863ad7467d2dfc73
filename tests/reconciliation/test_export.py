"""The lettrage export, line by line, on a small self-made ledger (RELIABILITY M1-M5)."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import text

from cashapp.domain.proposals import DecisionKind, MatchResult
from cashapp.reconciliation.apply import ActorType, reverse_application
from cashapp.reconciliation.audit import audit_ledger
from cashapp.reconciliation.export import (
    COLUMNS,
    escape_cell,
    export_lettrage,
    write_lettrage_csv,
    write_lettrage_jsonl,
)
from cashapp.reconciliation.review import store_suggestion
from cashapp.storage.transactions import read_session, write_transaction

# (amount, payer-visible fields skipped) -> the row fields after bank_ref/statement_id/date
EXPECTED = [
    # M1 exact payment
    ("1000.00", "EUR", "INV-1", "1000.00", "invoice", "", "auto", "AAA"),
    # M2 short payment: cash applied plus a deduction with its reason
    ("950.00", "EUR", "INV-2", "950.00", "invoice", "", "auto", "AAB"),
    ("950.00", "EUR", "INV-2", "50.00", "deduction", "promotion", "auto", "AAB"),
    # M3 overpayment: the excess on account
    ("1200.00", "EUR", "INV-3", "1000.00", "invoice", "", "auto", "AAC"),
    ("1200.00", "EUR", "", "200.00", "on_account", "", "auto", "AAC"),
    # M4 one payment, many invoices
    ("1000.00", "EUR", "INV-4a", "300.00", "invoice", "", "auto", "AAD"),
    ("1000.00", "EUR", "INV-4b", "300.00", "invoice", "", "auto", "AAD"),
    ("1000.00", "EUR", "INV-4c", "400.00", "invoice", "", "auto", "AAD"),
    # a partial payment confirmed by a person: lower-case (partial) lettrage
    ("200.00", "EUR", "INV-5", "200.00", "invoice", "", "confirmed", "aae"),
    # waiting in review: the best proposal, no lettrage yet
    ("80.00", "EUR", "INV-6", "80.00", "invoice", "", "suggested", ""),
    # nothing proposed; a debit; a reversed application
    ("42.00", "EUR", "", "42.00", "unapplied", "", "unmatched", ""),
    ("-12.50", "EUR", "", "12.50", "unapplied", "", "unmatched", ""),
    ("70.00", "EUR", "", "70.00", "unapplied", "", "unmatched", ""),
    # M5 currencies with 0 and 3 decimals, exact
    ("1000", "JPY", "JPY-1", "1000", "invoice", "", "auto", "AAG"),
    ("1.234", "BHD", "BHD-1", "1.234", "invoice", "", "auto", "AAH"),
]


def build(ledger, make_proposal, engine, tenant) -> None:
    for number, amount in [
        ("INV-1", "1000.00"),
        ("INV-2", "1000.00"),
        ("INV-3", "1000.00"),
        ("INV-4a", "300.00"),
        ("INV-4b", "300.00"),
        ("INV-4c", "400.00"),
        ("INV-5", "500.00"),
        ("INV-6", "80.00"),
        ("INV-7", "70.00"),
    ]:
        ledger.invoice(number, amount)
    ledger.invoice("JPY-1", "1000", currency="JPY")
    ledger.invoice("BHD-1", "1.234", currency="BHD")
    m1, m2, m3, m4, partial, suggested, unmatched, _debit, reversed_ = ledger.lines(
        ("1000.00", "INV-1"),
        ("950.00", "INV-2 less 5% promo"),
        ("1200.00", "INV-3"),
        ("1000.00", "INV-4a INV-4b INV-4c"),
        ("200.00", "INV-5"),
        ("80.00", "INV 6?"),
        ("42.00", "?"),
        ("-12.50", "fees"),
        ("70.00", "INV-7"),
    )
    (jpy,) = ledger.lines(("1000", "JPY-1"), currency="JPY")
    (bhd,) = ledger.lines(("1.234", "BHD-1"), currency="BHD")
    ledger.apply(m1, make_proposal(("invoice", "INV-1", "1000.00")))
    ledger.apply(
        m2,
        make_proposal(("invoice", "INV-2", "950.00"), ("deduction", "INV-2", "50.00", "promotion")),
    )
    ledger.apply(m3, make_proposal(("invoice", "INV-3", "1000.00"), ("on_account", None, "200.00")))
    ledger.apply(
        m4,
        make_proposal(
            ("invoice", "INV-4a", "300.00"),
            ("invoice", "INV-4b", "300.00"),
            ("invoice", "INV-4c", "400.00"),
        ),
    )
    ledger.apply(partial, make_proposal(("invoice", "INV-5", "200.00")), user=True)
    undone = ledger.apply(reversed_, make_proposal(("invoice", "INV-7", "70.00")))
    ledger.apply(jpy, make_proposal(("invoice", "JPY-1", "1000")))
    ledger.apply(bhd, make_proposal(("invoice", "BHD-1", "1.234")))
    with write_transaction(engine) as session:
        reverse_application(session, tenant, undone, actor_type=ActorType.USER, actor_id="bob")
        best = make_proposal(("invoice", "INV-6", "80.00"), confidence=0.7, version="m-2")
        store_suggestion(
            session,
            tenant,
            suggested,
            MatchResult(
                line_key=str(suggested), decision=DecisionKind.SUGGESTED, proposals=(best,)
            ),
        )
        store_suggestion(
            session,
            tenant,
            unmatched,
            MatchResult(line_key=str(unmatched), decision=DecisionKind.UNMATCHED),
        )


def test_export_rows_line_by_line(engine, tenant, ledger, make_proposal) -> None:
    build(ledger, make_proposal, engine, tenant)
    with read_session(engine) as session:
        rows = list(export_lettrage(session, tenant))
        assert audit_ledger(session, tenant) == []
    got = [
        (
            r.amount,
            r.currency,
            r.invoice_number,
            r.applied_amount,
            r.kind,
            r.reason_code,
            r.decision,
            r.lettrage_code,
        )
        for r in rows
    ]
    assert got == EXPECTED
    assert all(
        r.bank_ref.startswith("REF-") and r.statement_id and r.booking_date == "2025-11-05"
        for r in rows
    )
    by_decision = {r.decision: r for r in rows}
    assert by_decision["auto"].model_version == "test-1"
    assert by_decision["auto"].confidence == 0.99
    assert by_decision["confirmed"].model_version == "test-1"
    assert by_decision["suggested"].model_version == "m-2"
    assert by_decision["suggested"].confidence == 0.7
    assert by_decision["unmatched"].confidence is None
    # Cash side: per line, invoice + on_account rows equal the payment.
    assert sum(float(r.applied_amount) for r in rows[3:5]) == 1200.0


def test_export_csv_and_jsonl(engine, tenant, ledger, make_proposal) -> None:
    ledger.invoice("=cmd|'/C calc'!A0", "10.00")
    (line,) = ledger.lines(("10.00", "x"))
    ledger.apply(line, make_proposal(("invoice", "=cmd|'/C calc'!A0", "10.00")))
    ledger.lines(("-12.50", "fee"))
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE bank_line SET counterparty_name = '@SUM(A1)' WHERE tenant_id = :t"),
            {"t": tenant},
        )
    with read_session(engine) as session:
        out = io.StringIO()
        assert write_lettrage_csv(export_lettrage(session, tenant), out) == 2
        jsonl = io.StringIO()
        write_lettrage_jsonl(export_lettrage(session, tenant), jsonl)
    text_csv = out.getvalue()
    assert text_csv.startswith(",".join(COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text_csv)))
    assert rows[0]["invoice_number"] == "'=cmd|'/C calc'!A0"
    assert rows[0]["payer_name"] == "'@SUM(A1)"
    assert rows[0]["amount"] == "10.00" and rows[0]["applied_amount"] == "10.00"
    assert rows[1]["amount"] == "-12.50"  # amounts are numbers, never escaped
    assert rows[1]["confidence"] == ""
    objects = [json.loads(line) for line in jsonl.getvalue().splitlines()]
    assert list(objects[0]) == list(COLUMNS)
    assert objects[0]["invoice_number"] == "=cmd|'/C calc'!A0"  # JSON is not a spreadsheet
    assert objects[1]["kind"] == "unapplied" and objects[1]["confidence"] is None


def test_escape_cell() -> None:
    for dangerous in ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "\0x"]:
        assert escape_cell(dangerous) == "'" + dangerous
    assert escape_cell("INV-1") == "INV-1"
