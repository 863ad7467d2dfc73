"""End to end through the real command line: import-invoices, ingest, run, export on the
bundled demo data, each exported allocation checked against the demo's truth line by line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

import cashapp as cashapp_package
from cashapp.cli.demo import DEMO_DATA, score_export

CONTRACT_COLUMNS = [
    "bank_ref", "statement_id", "booking_date", "amount", "currency", "payer_name",
    "invoice_number", "applied_amount", "kind", "reason_code", "confidence", "decision",
    "lettrage_code", "model_version",
]


def cashapp(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    src = str(Path(cashapp_package.__file__).resolve().parents[1])
    env = {**os.environ, "CASHAPP_DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": src}
    return subprocess.run(
        [sys.executable, "-m", "cashapp.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("pipeline")
    db = folder / "cashapp.db"
    steps = [
        ("import-invoices", str(DEMO_DATA / "open_items.csv")),
        ("ingest", str(DEMO_DATA / "statements"), str(DEMO_DATA / "remittances")),
        ("run",),
        ("export", str(folder / "lettrage.csv"), "--format", "csv"),
        ("export", str(folder / "lettrage.jsonl"), "--format", "jsonl"),
    ]
    outputs = []
    for step in steps:
        done = cashapp(*step, db=db)
        assert done.returncode == 0, f"cashapp {' '.join(step)} failed: {done.stderr}"
        outputs.append(done.stdout)
    with (folder / "lettrage.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    jsonl = [json.loads(line) for line in (folder / "lettrage.jsonl").read_text().splitlines()]
    return {"rows": rows, "jsonl": jsonl, "outputs": outputs, "db": db, "folder": folder}


def test_export_has_the_contract_columns(pipeline: dict[str, object]) -> None:
    rows = pipeline["rows"]
    assert isinstance(rows, list) and rows
    assert list(rows[0].keys()) == CONTRACT_COLUMNS


def test_every_bank_line_is_exported_and_cash_adds_up(pipeline: dict[str, object]) -> None:
    rows: list[dict[str, str]] = pipeline["rows"]  # type: ignore[assignment]
    truth = json.loads((DEMO_DATA / "truth.json").read_text())
    per_line: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        per_line[row["bank_ref"]].append(row)
    credits = {ref for ref, t in truth["lines"].items()}
    assert credits <= set(per_line), "every demo bank line appears in the lettrage"
    for ref, line_rows in per_line.items():
        decisions = {r["decision"] for r in line_rows}
        assert len(decisions) == 1, f"{ref}: one decision per line"
        if decisions == {"auto"}:
            cash = sum(
                Decimal(r["applied_amount"]) for r in line_rows if r["kind"] in ("invoice", "on_account")
            )
            assert cash == Decimal(line_rows[0]["amount"]), f"{ref}: cash rows add up to the line"
            assert all(r["lettrage_code"] for r in line_rows if r["kind"] == "invoice")
            assert all(0 <= float(r["confidence"]) <= 1 for r in line_rows)
        if decisions == {"unmatched"}:
            assert [r["kind"] for r in line_rows] == ["unapplied"]


def test_automatic_allocations_equal_the_truth_line_by_line(pipeline: dict[str, object]) -> None:
    rows: list[dict[str, str]] = pipeline["rows"]  # type: ignore[assignment]
    truth = json.loads((DEMO_DATA / "truth.json").read_text())
    score = score_export(rows, truth)
    assert score.auto > 0.5 * score.payments, "most demo payments are applied automatically"
    assert score.wrong == [], f"wrong automatic decisions: {score.wrong}"
    assert score.non_payments_touched == 0


def test_jsonl_export_carries_the_same_rows(pipeline: dict[str, object]) -> None:
    rows: list[dict[str, str]] = pipeline["rows"]  # type: ignore[assignment]
    jsonl: list[dict[str, object]] = pipeline["jsonl"]  # type: ignore[assignment]
    assert len(jsonl) == len(rows)
    assert {(r["bank_ref"], r["kind"], r["invoice_number"]) for r in rows} == {
        (str(r["bank_ref"]), str(r["kind"]), str(r["invoice_number"] or "")) for r in jsonl
    }


def test_the_whole_pipeline_run_twice_applies_nothing_new(pipeline: dict[str, object]) -> None:
    db = pipeline["db"]
    folder = pipeline["folder"]
    assert isinstance(db, Path) and isinstance(folder, Path)
    for step in (
        ("import-invoices", str(DEMO_DATA / "open_items.csv")),
        ("ingest", str(DEMO_DATA / "statements"), str(DEMO_DATA / "remittances")),
        ("run",),
        ("export", str(folder / "again.csv")),
    ):
        done = cashapp(*step, db=db)
        assert done.returncode == 0, done.stderr
    def applied(name: str) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            return [r for r in csv.DictReader(handle) if r["decision"] in ("auto", "confirmed")]

    # Applications are never redone or changed. A line that waited may be applied by the
    # second run: the first run's applications closed invoices that made it ambiguous.
    first, again = applied("lettrage.csv"), applied("again.csv")
    assert [row for row in again if row in first] == first
    applied_before = {row["bank_ref"] for row in first}
    assert not {row["bank_ref"] for row in again if row not in first} & applied_before
