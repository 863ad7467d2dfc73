"""Why the command line decides a line differently from the in-memory matcher.

``compare`` puts the CLI's results beside the in-memory matcher's on the same day and gives
each line decided differently a first cause: what the run handed the matcher
(``cli_harness.run_inputs``) compared field by field with the in-memory record
(``input_differences``: a field a format lost or changed, references extracted differently,
an advice not linked), else the ledger (the history the CLI built, the past invoices still
open). Also the ledger and history comparisons, and the MT940 ``:86:`` effect.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from fixtures.scenarios import Scenario
from fixtures.scenarios.evaluate import allocation_key, evaluate

from benchmarks.cli_harness import CliDay, best_key
from cashapp.domain.history import CustomerHistory
from cashapp.domain.proposals import DecisionKind, MatchResult
from cashapp.matcher.api import LedgerView, LineToMatch, MatchPolicy
from cashapp.matcher.loading import load_matcher
from cashapp.training.matcher_dataset import with_extracted_references

LINE_FIELDS = ("amount", "currency", "booking_date", "value_date", "counterparty_name",
               "counterparty_account", "remittance_text", "end_to_end_id",
               "structured_references", "referred_documents", "instructed_amount")


def in_memory(scenario: Scenario, *, history: bool = True,
              customer_history: dict[str, CustomerHistory] | None = None,
              ) -> tuple[list[MatchResult], list[LineToMatch], float]:
    """The in-memory matcher on the same day, as ``bench_matching`` runs it (``history``
    False: without the customers' payment history, as on a fresh database;
    ``customer_history``: with that history instead, e.g. the one the CLI's run had)."""
    tasks = with_extracted_references(scenario.lines, scenario.ledger)
    ledger = scenario.ledger if history else replace(scenario.ledger, customer_history={})
    if customer_history is not None:
        ledger = replace(scenario.ledger, customer_history=customer_history)
    start = time.process_time()
    results = load_matcher().match(tasks, ledger, MatchPolicy())
    return results, tasks, time.process_time() - start


def on_ledger(scenario: Scenario, ledger: LedgerView) -> list[MatchResult]:
    """The in-memory matcher on the day's lines against another ledger (the run's: its open
    items, customers and history), references extracted with that ledger's shapes."""
    tasks = with_extracted_references(scenario.lines, ledger)
    return load_matcher().match(tasks, ledger, MatchPolicy())


def ledger_differences(memory: LedgerView, cli: LedgerView | None) -> dict[str, int]:
    """How the run's ledger differs from the in-memory one: open items and customers
    missing or extra, fields that differ (counted per field), customers with a history."""
    if cli is None:
        return {}
    out: Counter[str] = Counter()
    mine = {i.invoice_number: i for i in memory.open_items}
    theirs = {i.invoice_number: i for i in cli.open_items}
    out["open items missing"] = len(mine.keys() - theirs.keys())
    out["open items extra"] = len(theirs.keys() - mine.keys())
    for number in mine.keys() & theirs.keys():
        for name in fields(mine[number]):
            if name.name == "customer_iban":  # the run has it as the customer's account
                continue
            if getattr(mine[number], name.name) != getattr(theirs[number], name.name):
                out[f"open item {name.name} differs"] += 1
    people = {c.customer_id: c for c in memory.customers}
    known = {c.customer_id: c for c in cli.customers}
    out["customers missing"] = len(people.keys() - known.keys())
    out["customers extra"] = len(known.keys() - people.keys())
    for key in people.keys() & known.keys():
        if people[key].name != known[key].name:
            out["customer name differs"] += 1
        if sorted(people[key].ibans) != sorted(known[key].ibans):
            out["customer ibans differ"] += 1
    out["customers with a payment history (in memory)"] = len(memory.customer_history)
    out["customers with a payment history (run)"] = len(cli.customer_history)
    both = memory.customer_history.keys() & cli.customer_history.keys()
    out["customers with a history in memory, none in the run"] = len(
        memory.customer_history.keys() - cli.customer_history.keys())
    out["past payments (in memory)"] = sum(h.payments for h in memory.customer_history.values())
    out["past payments (run)"] = sum(h.payments for h in cli.customer_history.values())
    if both:
        out["customers with the same number of past payments"] = sum(
            memory.customer_history[c].payments == cli.customer_history[c].payments
            for c in both)
    return dict(out)


def history_comparison(memory: LedgerView, cli: LedgerView | None) -> dict[str, Any]:
    """Past payments per customer, both sides (mean, median, share of the in-memory count
    the run has), and how far the run's habit figures are from the in-memory ones."""
    import statistics

    if cli is None:
        return {}
    mine, theirs = memory.customer_history, cli.customer_history
    counts_mine = [h.payments for h in mine.values()]
    counts_theirs = [theirs[c].payments if c in theirs else 0 for c in mine]
    both = [c for c in mine if c in theirs]
    out: dict[str, Any] = {
        "customers with a history": {"in memory": len(mine), "run": len(theirs)},
        "past payments": {"in memory": sum(counts_mine), "run": sum(counts_theirs)},
        "past payments per customer (mean)": {
            "in memory": round(statistics.fmean(counts_mine), 2) if counts_mine else 0,
            "run": round(statistics.fmean(counts_theirs), 2) if counts_theirs else 0},
        "past payments per customer (median)": {
            "in memory": statistics.median(counts_mine) if counts_mine else 0,
            "run": statistics.median(counts_theirs) if counts_theirs else 0},
    }
    if both:
        def gap(name: str) -> float:
            return round(statistics.median(abs(float(getattr(mine[c], name) or 0)
                                               - float(getattr(theirs[c], name) or 0))
                                           for c in both), 3)
        out["median gap, customers with both"] = {
            name: gap(name) for name in ("delay_median", "delay_spread", "deduction_share",
                                         "bundle_share")}
        out["same usual deduction reason"] = sum(mine[c].usual_reason == theirs[c].usual_reason
                                                 for c in both)
    return out


def _remittance_key(task: LineToMatch) -> tuple[object, ...]:
    return tuple(sorted(
        (r.total, tuple(sorted((line.reference, line.paid, line.gross, line.deduction,
                                line.reason_code) for line in r.lines)))
        for r in task.remittances))


def input_differences(memory: LineToMatch, cli: LineToMatch | None, fmt: str
                      ) -> tuple[list[str], list[str]]:
    """Why the run's input for a line differs from the in-memory record (one cause each),
    with the values that differ."""
    if cli is None:
        if memory.line.amount < 0:
            return ["debit: not matched by the run (by design)"], []
        return [f"{fmt}: line not among the run's lines"], []
    causes, details = [], []
    if memory.remittances and not cli.remittances:
        causes.append("remittance advice not linked")
    elif cli.remittances and not memory.remittances:
        causes.append("an advice linked to a line that has none")
    elif _remittance_key(memory) != _remittance_key(cli):
        causes.append("advice read differently from the email")
        details.append(f"advice {_remittance_key(memory)} -> {_remittance_key(cli)}")
    for name in LINE_FIELDS:
        was, got = getattr(memory.line, name), getattr(cli.line, name)
        if _normal(was) != _normal(got):
            causes.append(f"{fmt}: {name} " + ("lost" if not got else "changed"))
            details.append(f"{name} {str(was)[:80]!r} -> {str(got)[:80]!r}")
    if _references(memory) != _references(cli):
        known = set(_references(memory))
        extra = [r for r in cli.references if _reference_key(r) not in known]
        text_end = len(cli.line.remittance_text)
        if cli.line.additional_info and all(
                r.start is not None and r.start > text_end for r in extra) and all(
                _reference_key(r) in set(_references(cli)) for r in memory.references):
            causes.append(f"{fmt}: extra references read in additional_info")
        else:
            causes.append("extracted references differ")
        details.append(f"references {_references(memory)} -> {_references(cli)}"
                       f" (additional_info {cli.line.additional_info!r})")
    return causes, details


def _reference_key(r: Any) -> tuple[str, ...]:
    return (r.kind.value, r.normalized, str(r.amount or ""), str(r.reason or ""))


def _references(task: LineToMatch) -> list[tuple[str, ...]]:
    return sorted(_reference_key(r) for r in task.references)


def _normal(value: object) -> object:
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, tuple | list):
        return tuple(value) or None
    return value


HISTORY = "ledger: no customer history in a fresh database"
RUN_HISTORY = "ledger: the history the CLI built (not memory's)"
RUN_LEDGER = "ledger: the past invoices still open (the warm-up left them in review)"
PRIORITY = ("ledger: ", "remittance advice not linked", "an advice linked", "advice read differently",
            "referred_documents lost", "instructed_amount lost",
            "extra references read in additional_info", "structured_references lost",
            "counterparty_account lost",
            "extracted references differ", "counterparty_name changed",
            "remittance_text changed")


def primary_cause(causes: Sequence[str]) -> str:
    """The cause most likely to change a decision, of the line's input differences."""
    for marker in PRIORITY:
        for cause in causes:
            if marker in cause:
                return cause
    return causes[0] if causes else "same input, different decision"


def compare(memory: list[MatchResult], memory_tasks: list[LineToMatch],
            day: CliDay, fresh: list[MatchResult] | None = None,
            history_label: str = HISTORY,
            run_ledger: list[MatchResult] | None = None) -> dict[str, Any]:
    """Lines decided differently (decision or best allocation) and their causes; input
    differences counted over every line too; the wrong automatic decisions in detail.
    ``fresh``: the in-memory results with the run's customer history (none on a fresh
    database); a line whose own input is the same and that ``fresh`` decides as the CLI did
    differs by that history (``history_label``); ``run_ledger``: the in-memory results on the
    run's whole ledger (its open items too: after a warm-up, the past invoices still open),
    for the lines left."""
    by_ref = {r.line_key: r for r in day.results}
    without_history = {r.line_key: r for r in fresh or ()}
    on_run_ledger = {r.line_key: r for r in run_ledger or ()}
    decided: Counter[str] = Counter()
    primary: dict[str, Counter[str]] = defaultdict(Counter)
    all_inputs: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    wrong_auto: list[str] = []
    differing = 0
    for result, task in zip(memory, memory_tasks, strict=True):
        ref = task.line.bank_ref
        causes, details = input_differences(task, day.inputs.get(ref), day.format_of[ref])
        all_inputs.update(causes)
        cli = by_ref[ref]
        truth = day.truth[ref]
        described = (f"{ref} {truth.category}: memory {result.decision.value} -> cli "
                     f"{cli.decision.value} {best_key(cli)}; truth {allocation_key(truth.allocations)}"
                     + (f" ({'; '.join(details)})" if details else ""))
        if cli.decision is DecisionKind.AUTO and (
                not truth.is_payment or best_key(cli) != allocation_key(truth.allocations)):
            wrong_auto.append(described)
        if result.decision is cli.decision and best_key(result) == best_key(cli):
            continue
        differing += 1
        other = without_history.get(ref)
        if not causes and other is not None and other.decision is cli.decision and (
                best_key(other) == best_key(cli)):
            causes = [history_label]
        other = on_run_ledger.get(ref)
        if not causes and other is not None and other.decision is cli.decision and (
                best_key(other) == best_key(cli)):
            causes = [RUN_LEDGER]
        label = "; ".join(causes) or "same input, different decision"
        decided[f"{label} [{truth.category}]"] += 1
        primary[primary_cause(causes)][truth.category] += 1
        if len(examples[label]) < 3:
            examples[label].append(described)
    return {"lines_decided_differently": differing,
            "by_primary_cause": {cause: {"lines": sum(c.values()), "categories": dict(c)}
                                 for cause, c in sorted(primary.items(),
                                                        key=lambda kv: -sum(kv[1].values()))},
            "by_cause": dict(decided.most_common()),
            "input_differences_all_lines": dict(all_inputs.most_common()),
            "wrong_automatic": wrong_auto, "examples": dict(examples)}


def mt940_details_effect(scenario: Scenario, mt940: Path) -> dict[str, Any]:
    """The in-memory matcher on the day with the MT940 lines as the reader gives them, with
    and without the raw ``:86:`` text the reader keeps in ``additional_info``: how much of
    the MT940 loss that raw text causes (scored on the MT940 lines only)."""
    import dataclasses

    from cashapp.extractors.statements import mt940 as mt940_reader

    [statement] = mt940_reader.extract(mt940.read_bytes(), source=mt940.name).statements
    read = {line.bank_ref: line for line in statement.lines}
    matcher = load_matcher()
    out: dict[str, Any] = {}
    for label, keep in (("as read", True), ("without the raw :86: in additional_info", False)):
        tasks = [dataclasses.replace(t, line=read[t.line.bank_ref] if keep else
                                     dataclasses.replace(read[t.line.bank_ref],
                                                         additional_info=None))
                 if t.line.bank_ref in read else t for t in scenario.lines]
        results = matcher.match(with_extracted_references(tasks, scenario.ledger),
                                scenario.ledger, MatchPolicy())
        mt940_results = [r for r in results if r.line_key in read]
        out[label] = table_of(mt940_results, scenario.truth)["overall"]
    return out


def table_of(results: list[MatchResult], truth: dict[str, Any]) -> dict[str, dict[str, object]]:
    tallies = evaluate(results, truth)
    return {name: dict(t.rates()) for name, t in sorted(tallies.items())}

