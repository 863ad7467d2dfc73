"""The contract commands (CONTRACT.md) through Typer's runner, on a fresh embedded database:
exit statuses, one-line errors naming file and line, nothing half-written."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cashapp.cli.app import app
from cashapp.matcher import load_matcher
from cashapp.storage.engine import make_engine

ITEMS = (
    "invoice_number,customer_id,customer_name,issue_date,due_date,currency,amount,open_amount\n"
    "INV-1001,C1,Müller Maschinenbau GmbH,2025-10-01,2025-10-31,EUR,1000.00,\n"
    "INV-1002,C1,Müller Maschinenbau GmbH,2025-10-02,2025-11-01,EUR,500.00,250.00\n"
)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CASHAPP_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return url


def cashapp(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def test_import_invoices_is_idempotent(db: str, tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_text(ITEMS, encoding="utf-8")
    first = cashapp("import-invoices", "items.csv")
    assert first.exit_code == 0, first.output
    assert "2 new" in first.stdout
    second = cashapp("import-invoices", "items.csv")
    assert second.exit_code == 0
    assert "0 new, 0 updated, 2 unchanged" in second.stdout
    assert count(db, "SELECT count(*) FROM open_item") == 2
    assert count(db, "SELECT sum(open_minor) FROM open_item") == 125000


def test_malformed_row_imports_nothing(db: str, tmp_path: Path) -> None:
    bad = ITEMS + "INV-1003,C1,Müller,2025-10-03,2025-11-02,EUR,12.345,\n"
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    assert cashapp("tenant", "list").exit_code == 0  # the database exists, empty
    result = cashapp("import-invoices", "bad.csv")
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [
        "error: bad.csv:4: column amount: 12.345 has more decimals than EUR allows"
    ]
    assert count(db, "SELECT count(*) FROM open_item") == 0


def test_tenants(db: str, tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_text(ITEMS, encoding="utf-8")
    assert cashapp("tenant", "create", "acme").exit_code == 0
    again = cashapp("tenant", "create", "acme")
    assert again.exit_code != 0 and "already exists" in again.stderr
    assert cashapp("--tenant", "acme", "import-invoices", "items.csv").exit_code == 0
    assert cashapp("import-invoices", "items.csv").exit_code == 0  # the default tenant
    unknown = cashapp("--tenant", "nobody", "import-invoices", "items.csv")
    assert unknown.exit_code != 0 and "no tenant named 'nobody'" in unknown.stderr
    assert count(db, "SELECT count(DISTINCT tenant_id) FROM open_item") == 2
    after = cashapp("import-invoices", "items.csv", "--tenant", "acme")  # after the command too
    assert after.exit_code == 0 and "2 unchanged" in after.stdout
    assert cashapp("tenant", "list").stdout.split() == ["acme", "default"]


def test_unreadable_files_store_nothing(db: str, tmp_path: Path) -> None:
    assert cashapp("tenant", "list").exit_code == 0
    (tmp_path / "notes.txt").write_text("hello, this is no bank statement\n")
    (tmp_path / "evil.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>'
    )
    for name in ("notes.txt", "evil.xml", "missing.xml"):
        result = cashapp("ingest", name)
        assert result.exit_code != 0
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and name in line
        inspected = cashapp("inspect", name)
        assert inspected.exit_code != 0 and name in inspected.stderr and inspected.stdout == ""
    assert count(db, "SELECT count(*) FROM statement_file") == 0


def test_run_and_export_on_stored_lines(db: str, tmp_path: Path) -> None:
    from datetime import date
    from decimal import Decimal

    from cashapp.domain.statements import BankLine, Statement, StatementFile
    from cashapp.reconciliation.ingest import store_statement_file
    from cashapp.storage.repositories.tenants import ensure_tenant
    from cashapp.storage.transactions import write_transaction

    (tmp_path / "items.csv").write_text(ITEMS, encoding="utf-8")
    assert cashapp("import-invoices", "items.csv").exit_code == 0
    lines = [
        BankLine(
            bank_ref=ref,
            entry=i,
            amount=Decimal(amount),
            currency="EUR",
            booking_date=date(2025, 11, 5),
            counterparty_name="=MUELLER MASCHINENBAU GMBH",
            remittance_text=text_,
        )
        for i, (ref, amount, text_) in enumerate(
            [("B1", "1000.00", "INV-1001"), ("B2", "-12.50", "fees"), ("B3", "33.00", "??")]
        )
    ]
    engine = make_engine(db)
    with write_transaction(engine) as session:
        tenant = ensure_tenant(session, "default").id or 0
        store_statement_file(
            session,
            tenant,
            StatementFile(
                format="test",
                statements=[Statement(id="ST-1", account="DE00", currency="EUR", lines=lines)],
            ),
            sha256="a" * 64,
            filename="st.xml",
        )
    engine.dispose()
    ran = cashapp("run")
    assert ran.exit_code == 0, ran.output
    assert "lines read  2" in ran.stdout and "applied     1      1000.00 EUR" in ran.stdout
    assert cashapp("run").stdout.count("lines read  1") == 1  # applied lines are done
    assert cashapp("export", "lettrage.csv").exit_code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "lettrage.csv").read_text())))
    assert [
        (
            r["bank_ref"],
            r["amount"],
            r["invoice_number"],
            r["applied_amount"],
            r["kind"],
            r["decision"],
            r["lettrage_code"],
        )
        for r in rows
    ] == [
        ("B1", "1000.00", "INV-1001", "1000.00", "invoice", "auto", "AAA"),
        ("B2", "-12.50", "", "12.50", "unapplied", "unmatched", ""),
        ("B3", "33.00", "", "33.00", "unapplied", "unmatched", ""),
    ]
    assert rows[0]["payer_name"] == "'=MUELLER MASCHINENBAU GMBH"
    assert rows[0]["statement_id"] == "ST-1" and rows[0]["booking_date"] == "2025-11-05"
    assert cashapp("export", "lettrage.jsonl", "--format", "jsonl").exit_code == 0
    first = json.loads((tmp_path / "lettrage.jsonl").read_text().splitlines()[0])
    assert first["invoice_number"] == "INV-1001" and first["model_version"] == load_matcher().version
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cashapp.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
            "PATH": "/usr/bin:/bin",
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("import-invoices", "ingest", "run", "export", "inspect", "tenant"):
        assert command in result.stdout


def test_a_folder_with_a_bad_file_stores_the_others_and_names_it(db: str, tmp_path: Path) -> None:
    """One warm sandbox reads the whole folder; a file that fails is named on its own line."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    camt = Path(__file__).resolve().parents[2] / "fixtures/statements/camt/camt053_v02_features.xml"
    (folder / "a_statement.xml").write_bytes(camt.read_bytes())
    (folder / "b_notes.txt").write_text("hello, this is no bank statement\n")
    (folder / "c_advice.eml").write_bytes(
        b"From: AP <ap@acme.example>\r\nSubject: remittance\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain\r\n\r\nPayment reference: PAY-1\r\nCurrency: EUR\r\n\r\n"
        b"Invoice No.    Amount paid\r\nINV-1001       1,000.00\r\n"
    )
    result = cashapp("ingest", "inbox")
    assert result.exit_code == 2
    (error,) = result.stderr.strip().splitlines()
    assert error.startswith("error: ") and "b_notes.txt" in error
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        str(Path("inbox") / "a_statement.xml"), str(Path("inbox") / "c_advice.eml")]
    assert count(db, "SELECT count(*) FROM statement_file") == 2
