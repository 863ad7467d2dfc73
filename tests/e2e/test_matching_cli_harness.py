"""The CLI matching benchmark's harness end to end on a small day: files written, driven
through the real ``cashapp`` commands, the export scored against the truth. Guards the
harness against rot and the CLI path against wrong automatic applications."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.cli_attribution import compare, in_memory, ledger_differences, table_of
from benchmarks.cli_harness import run_cli_day
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


def test_the_warm_up_gives_the_day_the_history_the_cli_built(tmp_path: Path) -> None:
    """The past through the CLI first (invoices, statements, a run), then the day: the day's
    run has a history built from the warm-up's own applications, the past lines are not
    scored, and nothing is applied wrongly."""
    from benchmarks.cli_attribution import history_comparison
    from fixtures.scenarios.past import past_of

    scenario = generate(seed=32, customers=20, open_items=100, lines=20)
    past = past_of(scenario)
    assert len(past.lines) == len(scenario.past) > 0
    assert {i.invoice_number for i in past.open_items} == {
        i.invoice_number for p in scenario.past for i in p.invoices}
    assert all(line.booking_date == past.payments[line.bank_ref].paid_on for line in past.lines)
    assert all(line.amount == past.payments[line.bank_ref].paid for line in past.lines)
    day = run_cli_day(scenario, tmp_path, database_url=f"sqlite:///{tmp_path / 'cashapp.db'}",
                      history=True)

    assert [s.name for s in day.warm_up] == ["past: import-invoices", "past: ingest camt",
                                             "past: ingest mt940", "past: ingest ofx",
                                             "past: run"]
    assert {r.line_key for r in day.results} == {t.line.bank_ref for t in scenario.lines}
    outcome = day.past["outcome"]
    assert sum(outcome.values()) == len(past.lines)
    assert outcome.get("applied, wrong", 0) == 0
    assert outcome["applied, right"] >= 0.8 * len(past.lines)
    table = table_of(day.results, day.truth)
    assert table["overall"]["auto_precision"] == 1.0
    assert day.ledger is not None
    history = history_comparison(scenario.ledger, day.ledger)
    built, known = history["past payments"]["run"], history["past payments"]["in memory"]
    assert 0 < built <= known
    assert history["customers with a history"]["run"] <= len(scenario.ledger.customer_history)
    ledger = ledger_differences(scenario.ledger, day.ledger)
    assert ledger["open items missing"] == 0  # the day's items all there; the past's left
    assert ledger["customers with a payment history (run)"] > 0


@pytest.mark.slow
def test_the_periodic_warm_up_reviews_the_queue_through_the_api(tmp_path: Path) -> None:
    """The past month by month, a reviewer on a real ``cashapp serve`` after each run: the
    lines in review are booked as the truth says, the history is the whole past, and
    nothing is applied wrongly."""
    from benchmarks.cli_review import CONFIRMED_TOP, months_of, periodic_warm_up
    from fixtures.scenarios.past import past_of

    scenario = generate(seed=32, customers=20, open_items=100, lines=20)
    past = past_of(scenario)
    months = months_of(past)
    assert sum(len(lines) for m in months for lines in m.lines.values()) == len(past.lines)
    assert sum(len(m.invoices) for m in months) == len(past.open_items)
    assert [m.name for m in months] == sorted(m.name for m in months)
    brought = {i.invoice_number: m.name for m in months for i in m.invoices}
    assert all(brought[i.invoice_number] <= f"{line.booking_date:%Y-%m}"
               for line in past.lines for i in past.payments[line.bank_ref].invoices)
    day = run_cli_day(scenario, tmp_path, database_url=f"sqlite:///{tmp_path / 'cashapp.db'}",
                      history=True, warm_up_with=periodic_warm_up)

    assert len(day.past["months"]) == len(months)
    assert {s.name for s in day.warm_up} >= {"past: import-invoices", "past: ingest",
                                             "past: run", "past: review (API)"}
    review = day.past["review"]
    assert review.get(CONFIRMED_TOP, 0) + review.get("changed to the true allocation", 0) > 0
    assert day.past["api_calls"].get("POST confirm", 0) == review.get(CONFIRMED_TOP, 0)
    outcome = day.past["outcome"]
    assert sum(outcome.values()) == len(past.lines)
    assert outcome.get("applied, wrong", 0) == 0
    assert outcome.get("applied, right", 0) + outcome.get("confirmed", 0) >= 0.97 * len(past.lines)
    assert table_of(day.results, day.truth)["overall"]["auto_precision"] == 1.0
