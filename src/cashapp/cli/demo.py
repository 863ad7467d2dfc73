"""``cashapp demo``: the whole pipeline on bundled sample data, with its own error rate.

It runs the real contract commands (``import-invoices``, ``ingest``, ``run``, ``export``)
against a fresh embedded SQLite database in a temporary folder, then compares the lettrage
export with ``truth.json`` (how each bank line should have been booked) and prints what
was applied, what waits in review, and how many automatic decisions were right.
The bundled data is built by ``python -m fixtures.make_demo`` from a seeded scenario.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

DEMO_DATA = Path(__file__).parent / "demo_data"

Allocation = tuple[str, str, str, str]  # kind, invoice_number, amount, reason_code


@dataclass
class DemoScore:
    """How the export compares with the truth, line by line."""

    lines: int = 0
    payments: int = 0
    auto: int = 0
    auto_right: int = 0
    suggested: int = 0
    suggested_right: int = 0
    unmatched: int = 0
    non_payments_touched: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)


def _truth_allocations(truth: dict[str, Any]) -> set[Allocation]:
    return {
        (a["kind"], a["invoice_number"] or "", _amount(a["amount"]), a["reason_code"] or "")
        for a in truth["allocations"]
    }


def _amount(text: str) -> str:
    from decimal import Decimal

    return str(Decimal(text).normalize()) if text else ""


def score_export(rows: Sequence[dict[str, str]], truth: dict[str, Any]) -> DemoScore:
    """Compare the export rows (CONTRACT.md columns) with the truth of each bank line."""
    per_line: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        per_line[row["bank_ref"]].append(row)
    score = DemoScore()
    for bank_ref, line_rows in per_line.items():
        expected = truth["lines"].get(bank_ref)
        if expected is None:
            continue
        score.lines += 1
        score.payments += bool(expected["is_payment"])
        decision = line_rows[0]["decision"]
        got = {
            (r["kind"], r["invoice_number"], _amount(r["applied_amount"]), r["reason_code"])
            for r in line_rows
            if r["kind"] != "unapplied"
        }
        right = got == _truth_allocations(expected)
        if decision in ("auto", "confirmed"):
            score.auto += 1
            score.auto_right += right
            score.by_kind.update(r["kind"] for r in line_rows)
            if not expected["is_payment"]:
                score.non_payments_touched += 1
            if not right:
                score.wrong.append(f"{bank_ref} ({expected['category']})")
        elif decision == "suggested":
            score.suggested += 1
            score.suggested_right += right
        else:
            score.unmatched += 1
    return score


def _invoke(args: list[str]) -> None:
    from cashapp.cli.app import app

    typer.echo(f"$ cashapp {' '.join(args)}")
    try:
        app(args, standalone_mode=False)
    except SystemExit as done:  # a command that exits on purpose
        if done.code not in (0, None):
            raise


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def report(score: DemoScore, export_file: Path, folder: Path) -> str:
    precision = _pct(score.auto_right, score.auto)
    lines = [
        "",
        "cashapp demo: what happened",
        f"  bank lines scored            {score.lines} ({score.payments} customer payments)",
        f"  applied automatically        {score.auto} ({_pct(score.auto, score.payments)} of payments)",
        f"  ... of which right           {score.auto_right} (precision {precision})",
        f"  waiting in review            {score.suggested} (best proposal right: "
        f"{_pct(score.suggested_right, score.suggested)})",
        f"  unmatched                    {score.unmatched}",
        f"  non-payments applied         {score.non_payments_touched} (must be 0)",
        "  allocation rows applied      "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(score.by_kind.items())),
    ]
    if score.wrong:
        lines.append("  wrong automatic decisions    " + "; ".join(score.wrong[:10]))
    lines += [
        "",
        f"  lettrage file                {export_file}",
        f"  database (embedded SQLite)   {folder / 'cashapp.db'}",
        "  re-run any step by hand:     CASHAPP_DATABASE_URL=sqlite:///"
        f"{folder / 'cashapp.db'} cashapp export out.jsonl --format jsonl",
    ]
    return "\n".join(lines)


def demo(
    keep: bool = typer.Option(True, help="Keep the temporary folder with the database and export."),
) -> None:
    """The whole pipeline on bundled sample data, in a temporary embedded database."""
    folder = Path(tempfile.mkdtemp(prefix="cashapp-demo-"))
    os.environ["CASHAPP_DATABASE_URL"] = f"sqlite:///{folder / 'cashapp.db'}"
    export_file = folder / "lettrage.csv"
    typer.echo(f"cashapp demo in {folder} (bundled data: {DEMO_DATA})\n")
    _invoke(["import-invoices", str(DEMO_DATA / "open_items.csv")])
    _invoke(["ingest", str(DEMO_DATA / "statements"), str(DEMO_DATA / "remittances")])
    _invoke(["run"])
    _invoke(["export", str(export_file), "--format", "csv"])
    with export_file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    truth = json.loads((DEMO_DATA / "truth.json").read_text(encoding="utf-8"))
    typer.echo(report(score_export(rows, truth), export_file, folder))
