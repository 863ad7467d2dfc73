"""Matching quality and speed on a generated scenario the model never saw: the scored
matcher, the rules matcher and Odoo's documented rule, per category and overall. Lines
carry what the text extractor finds in them, as in ``cashapp run`` (extraction time is
not in the per-line figure).

``python -m benchmarks bench_matching`` (size by CASHAPP_BENCH_LINES, default 6000 lines).
Writes benchmarks/out/matching.json and prints the tables.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from fixtures.scenarios import generate
from fixtures.scenarios.evaluate import evaluate, evaluate_by_history

from benchmarks.odoo_baseline import OdooBaseline
from cashapp.matcher.api import Matcher, MatchPolicy
from cashapp.matcher.loading import load_matcher
from cashapp.matcher.rules import RulesMatcher
from cashapp.training.matcher_dataset import with_extracted_references

# CPU per 1000 lines is process_time: keep the matcher's chunks in this process.
os.environ.setdefault("CASHAPP_MATCHER_WORKERS", "1")

SEED = 2024  # not a training seed (101-104) nor the promotion evaluation seed (999)
COLUMNS = ("automatic", "auto_precision", "auto_wrong", "suggestion_top1", "right_any_form",
           "non_payments_untouched", "reason_accuracy")


def run(matcher: Matcher, scenario_lines: int, policy: MatchPolicy | None = None
        ) -> tuple[dict[str, dict[str, object]], float]:
    scenario = generate(seed=SEED, customers=max(500, scenario_lines // 3),
                        open_items=scenario_lines * 4, lines=scenario_lines)
    tasks = with_extracted_references(scenario.lines, scenario.ledger)  # as the run does
    start, cpu = time.perf_counter(), time.process_time()
    results = matcher.match(tasks, scenario.ledger, policy or MatchPolicy())
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    tallies = evaluate(results, scenario.truth)
    table = {name: dict(t.rates()) for name, t in sorted(tallies.items())}
    for name, tally in evaluate_by_history(results, scenario.truth).items():
        table[f"payer history: {name}"] = dict(tally.rates())
    per_thousand = elapsed / len(scenario.lines) * 1000
    table["overall"]["seconds_per_1000_lines"] = round(per_thousand, 3)
    table["overall"]["cpu_seconds_per_1000_lines"] = round(cpu / len(scenario.lines) * 1000, 3)
    return table, per_thousand


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value * 100:.2f}" if value <= 1 else f"{value:.2f}"
    return str(value)


def print_table(title: str, table: dict[str, dict[str, object]]) -> None:
    print(f"\n{title}")
    print("category".ljust(24) + "lines".rjust(6) + "".join(c[:14].rjust(15) for c in COLUMNS))
    for name, row in table.items():
        print(name.ljust(24) + str(row["lines"]).rjust(6)
              + "".join(_fmt(row.get(c)).rjust(15) for c in COLUMNS))


def main() -> None:
    lines = int(os.environ.get("CASHAPP_BENCH_LINES", "6000"))
    report: dict[str, object] = {"machine": {"python": platform.python_version(),
                                             "cpus": os.cpu_count()},
                                 "seed": SEED, "lines": lines}
    lenient = MatchPolicy(auto_unexplained_deductions=True)
    for label, matcher, policy in (
            ("scored", load_matcher(), None),
            ("scored, unexplained deductions allowed", load_matcher(), lenient),
            ("rules", RulesMatcher(), None), ("odoo", OdooBaseline(), None)):
        table, per_thousand = run(matcher, lines, policy)
        report[label] = {"version": matcher.version, "table": table}
        cpu = table["overall"]["cpu_seconds_per_1000_lines"]
        print_table(f"{label} ({matcher.version}): {per_thousand:.2f} s wall, {cpu} s CPU "
                    "per 1000 lines (rates in %)", table)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "matching.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
