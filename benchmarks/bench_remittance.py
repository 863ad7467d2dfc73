"""Remittance advices: line-extraction exactness and throughput per format; linking quality.

1. The generated evaluation set (``fixtures.remittance.generate``: 132 self-made advices,
   eleven kinds, six languages) is written in memory, read through ``read_bytes`` (format
   detected from content), and compared with its truth (``fixtures.remittance.evaluate``):
   exact lines / truth lines, exact advices (every line and header field right), per kind.
   Throughput is advices per second of reading only (rendering excluded); PDFs include the
   sandbox subprocess.
2. The generated link set (``fixtures.remittance.link_set``): precision and recall of
   ``matcher.remittance_link.link_remittances``, per scenario, and its run time.

``python -m benchmarks bench_remittance`` prints the tables and writes
``benchmarks/out/remittance.json``.
"""

from __future__ import annotations

import json
import platform
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from fixtures.remittance.evaluate import Score, score_advice
from fixtures.remittance.generate import build_advices, render
from fixtures.remittance.link_set import build_link_set

from cashapp.extractors.inspect_json import remittance_file_json
from cashapp.extractors.read import read_bytes
from cashapp.matcher.remittance_link import LinkStatus, link_remittances

OUT = Path(__file__).parent / "out" / "remittance.json"


def extraction(count: int = 132, repeat: int = 3, *, variant: bool = False) -> dict[str, Any]:
    scores: dict[str, Score] = defaultdict(Score)
    seconds: Counter[str] = Counter()
    reads: Counter[str] = Counter()
    languages: dict[str, set[str]] = defaultdict(set)
    hard: Counter[str] = Counter()
    for advice in build_advices(count, variant=variant):
        data, extension, expected = render(advice)
        truth = expected.truth()
        hard.update(expected.hard)
        languages[advice.kind].add(advice.language)
        produced = None
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                parsed = read_bytes(data, source=f"{advice.case_id}.{extension}")
            except Exception as exc:  # a failure is scored, not raised
                seconds[advice.kind] += time.perf_counter() - started
                reads[advice.kind] += 1
                produced = None
                print(f"  {advice.case_id}: {type(exc).__name__}: {exc}")
                break
            seconds[advice.kind] += time.perf_counter() - started
            reads[advice.kind] += 1
            rendered = remittance_file_json(parsed)  # type: ignore[arg-type]
            produced = rendered["remittances"][0] if rendered["remittances"] else None
        score_advice(scores[advice.kind], truth, produced)
    rows = {}
    for kind, score in scores.items():
        rows[kind] = {
            "advices": score.advices,
            "languages": sorted(languages[kind]),
            "truth_lines": score.truth_lines,
            "exact_lines": score.exact_lines,
            "extra_lines": score.extra_lines,
            "line_exactness": round(score.line_exactness, 4),
            "advice_exactness": round(score.advice_exactness, 4),
            "failures": score.failures,
            "advices_per_second": round(reads[kind] / seconds[kind], 1) if seconds[kind] else None,
            "misses": score.misses[:10],
        }
    total = Score()
    for score in scores.values():
        total.truth_lines += score.truth_lines
        total.exact_lines += score.exact_lines
        total.advices += score.advices
        total.exact_advices += score.exact_advices
    return {
        "per_kind": rows,
        "all": {
            "advices": total.advices,
            "truth_lines": total.truth_lines,
            "line_exactness": round(total.line_exactness, 4),
            "advice_exactness": round(total.advice_exactness, 4),
        },
        "hard_cases": dict(hard),
    }


def linking(count: int = 2000, seed: int = 42) -> dict[str, Any]:
    remittances, lines, directory, cases = build_link_set(count=count, seed=seed)
    started = time.perf_counter()
    links = link_remittances(remittances, lines, directory=directory)
    elapsed = time.perf_counter() - started
    by_key = {link.remittance_key: link for link in links}
    per_scenario: dict[str, Counter[str]] = defaultdict(Counter)
    linked = correct = 0
    for case in cases:
        link = by_key[case.remittance_key]
        outcome = link.status.value
        if link.status is LinkStatus.LINKED:
            linked += 1
            if link.line_key == case.truth_line:
                correct += 1
            else:
                outcome = "linked_wrong"
        per_scenario[case.scenario][outcome] += 1
    linkable = [c for c in cases if c.truth_line is not None]
    unambiguous = [c for c in linkable if c.scenario != "twin_payments"]
    found = {
        c.remittance_key
        for c in linkable
        if by_key[c.remittance_key].status is LinkStatus.LINKED
        and by_key[c.remittance_key].line_key == c.truth_line
    }
    return {
        "advices": len(remittances),
        "bank_lines": len(lines),
        "precision": round(correct / linked, 4) if linked else 1.0,
        "recall_all_paid": round(len(found) / len(linkable), 4),
        "recall_unambiguous": round(
            len({c.remittance_key for c in unambiguous} & found) / len(unambiguous), 4
        ),
        "seconds": round(elapsed, 3),
        "per_scenario": {k: dict(v) for k, v in per_scenario.items()},
    }


def _print_extraction(title: str, extracted: dict[str, Any]) -> None:
    print(title)
    print(
        f"{'kind':<14}{'advices':>8}{'lines':>7}{'exact':>7}{'line ex.':>10}"
        f"{'advice ex.':>12}{'adv/s':>9}"
    )
    for kind, row in extracted["per_kind"].items():
        print(
            f"{kind:<14}{row['advices']:>8}{row['truth_lines']:>7}{row['exact_lines']:>7}"
            f"{row['line_exactness']:>10.4f}{row['advice_exactness']:>12.4f}"
            f"{row['advices_per_second'] or 0:>9.1f}"
        )
    overall = extracted["all"]
    print(
        f"{'all':<14}{overall['advices']:>8}{overall['truth_lines']:>7}{'':>7}"
        f"{overall['line_exactness']:>10.4f}{overall['advice_exactness']:>12.4f}"
    )
    print(f"hard cases: {extracted['hard_cases']}")


def main() -> None:
    extracted = extraction()
    held_out = extraction(repeat=1, variant=True)
    linked = linking()
    _print_extraction("evaluation set (132 advices)", extracted)
    _print_extraction("variant set (other words, shuffled columns, right-aligned)", held_out)
    print(
        f"linking: {linked['advices']} advices, {linked['bank_lines']} bank lines: "
        f"precision {linked['precision']:.4f}, recall {linked['recall_all_paid']:.4f} "
        f"(unambiguous {linked['recall_unambiguous']:.4f}) in {linked['seconds']:.2f} s"
    )
    for scenario, outcomes in linked["per_scenario"].items():
        print(f"  {scenario:<20} {outcomes}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": 2, "platform": platform.platform()}
    report = {"machine": machine, "extraction": extracted, "variant": held_out, "linking": linked}
    OUT.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
