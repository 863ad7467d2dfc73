"""The CLI matching benchmark's harness end to end on a small day: files written, driven
through the real ``cashapp`` commands, the export scored against the truth. Guards the
harness against rot and the CLI path against wrong automatic applications."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_matching_cli import (
    compare,
    in_memory,
    ledger_differences,
    run_cli_day,
    table_of,
)
from fixtures.scenarios import generate

from cashapp.domain.proposals import DecisionKind


def test_a_small_day_through_the_cli_is_scored_and_right_where_automatic(tmp_path: Path) -> None:
    scenario = generate(seed=31, customers=60, open_items=300, lines=50,
                        mix={"remittance_advice": 0.15})
    day = run_cli_day(scenario, tmp_path, database_url=f"sqlite:///{tmp_path / 'cashapp.db'}")

    assert {r.line_key for r in day.results} == {t.line.bank_ref for t in scenario.lines}
    assert day.emails >= 2, "the day should hold advices sent by email"
    assert {s.name for s in day.stages} >= {"import-invoices", "ingest camt", "ingest mt940",
                                            "ingest ofx", "ingest emails", "run"}
    table = table_of(day.results, day.truth)
    overall = table["overall"]
    assert overall["lines"] == len(scenario.lines)
    assert set(table) - {"overall"} == set(scenario.categories())
    assert overall["automatic"] is not None and overall["automatic"] > 0.5
    assert overall["auto_precision"] == 1.0 and overall["auto_wrong"] == 0
    assert overall["non_payments_applied"] == 0
    advices = table["remittance_advice"]
    assert advices["right_any_form"] == 1.0, "advices sent by email are linked and read"

    memory, tasks, _ = in_memory(scenario)
    fresh, _, _ = in_memory(scenario, history=False)
    differences = compare(memory, tasks, day, fresh)
    ledger = ledger_differences(scenario.ledger, day.ledger)
    assert ledger["open items missing"] == ledger["open items extra"] == 0
    assert not [k for k in ledger if k.endswith("differs")], ledger  # the same open items
    assert ledger["customers with a payment history (run)"] == 0  # a fresh database
    assert differences["lines_decided_differently"] == sum(differences["by_cause"].values())
    auto = sum(r.decision is DecisionKind.AUTO for r in day.results)
    assert auto == round(overall["automatic"] * (overall["lines"] - (
        table.get("non_payment", {}).get("lines", 0) or 0)))
