"""The text extractor on the annotated evaluation set (fixtures/nlp/eval.jsonl): reference
precision/recall (rules only, model only, combined), reason accuracy, and throughput.

``python -m benchmarks bench_nlp`` prints a table and writes benchmarks/out/nlp.json.
"""

from __future__ import annotations

import json
import platform
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from cashapp.extractors.nlp.api import find_reason, find_references, find_references_batch
from cashapp.extractors.nlp.model import load_pipeline
from cashapp.training.nlp_evaluate import evaluate, load_eval
from cashapp.training.nlp_measure import measure_all

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "nlp"
OUT = ROOT / "benchmarks" / "out"


class _Clock:
    """Wall and CPU time of a block: on a shared machine the CPU rate is the stable one."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def rates(self, count: int) -> dict[str, float]:
        return {"per_wall_s": round(count / self.wall, 1),
                "per_cpu_s": round(count / self.cpu, 1) if self.cpu else float("inf")}


def throughput(records: list[dict[str, Any]], shapes: dict[str, Any]) -> dict[str, Any]:
    pairs = [(r["text"], shapes[r["seller"]]) for r in records]
    texts = [t for t, _ in pairs]
    out: dict[str, Any] = {}
    with _Clock() as clock:
        for _ in range(3):
            for text, sh in pairs:
                find_references(text, shapes=sh)
    out["rules find_references, one text at a time"] = clock.rates(3 * len(pairs))
    with _Clock() as clock:
        for _ in range(3):
            for text in texts:
                find_reason(text)
    out["rules find_reason, one text at a time"] = clock.rates(3 * len(texts))
    nlp = load_pipeline()
    single = texts[:300]
    with _Clock() as clock:
        for text in single:
            nlp(text)
    out["model nlp(text), one at a time"] = clock.rates(len(single))
    with _Clock() as clock:
        list(nlp.pipe(texts, batch_size=256))
    out["model nlp.pipe, batches of 256"] = clock.rates(len(texts))
    by_seller: dict[str, list[str]] = defaultdict(list)
    for record in records:
        by_seller[record["seller"]].append(record["text"])
    with _Clock() as clock:
        for seller, group in by_seller.items():
            find_references_batch(group, shapes=shapes[seller], use_model=True)
    out["combined find_references_batch(use_model=True)"] = clock.rates(len(texts))
    with _Clock() as clock:
        for seller, group in by_seller.items():
            find_references_batch(group, shapes=shapes[seller], use_model=True,
                                  model_only_where_unsure=True)
    out["combined, model_only_where_unsure=True"] = clock.rates(len(texts))
    return out


BUCKETS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 0.95), (0.95, 1.01))


def calibration(records: list[dict[str, Any]], shapes: dict[str, Any]) -> list[dict[str, Any]]:
    """How often a candidate of a given confidence is right (kind and normalised form equal a
    gold reference): what the matcher may read the confidence as."""
    counts = {b: [0, 0] for b in BUCKETS}
    for record in records:
        gold = {(g["kind"], g["normalized"]) for g in record["references"]}
        for cand in find_references(record["text"], shapes=shapes[record["seller"]]):
            bucket = next(b for b in BUCKETS if b[0] <= cand.confidence < b[1])
            counts[bucket][0] += 1
            counts[bucket][1] += (cand.kind.value, cand.normalized) in gold
    return [{"confidence": f"{low:.2f}-{min(high, 1.0):.2f}", "candidates": n,
             "right": right, "precision": round(right / n, 4) if n else None}
            for (low, high), (n, right) in counts.items()]


def fresh_seed(seed: int) -> dict[str, Any]:
    """The same generator with another seed (not committed, never looked at while tuning):
    how much the committed figures owe to the particular sample."""
    from fixtures.nlp.make_eval import build

    from cashapp.extractors.nlp.api import learn_shapes

    records, ledgers = build(seed)
    shapes = {
        ledger.seller: learn_shapes(ledger.invoices, payment_references=ledger.payment_references)
        for ledger in ledgers
    }
    generated = [r for r in records if not r["hard"]]
    scores = evaluate(generated, shapes)
    return {"seed": seed, "texts": len(generated),
            **{k: v for k, v in scores.as_json().items() if k != "recall_by_noise"}}


def main() -> None:
    records, shapes = load_eval(FIXTURES)
    measured = measure_all(FIXTURES)
    hard = [r for r in records if r["hard"]]
    hard_rules = evaluate(hard, shapes).as_json()
    without_ledger = evaluate(
        records, shapes, lambda text, _shapes: find_references(text, shapes=None)).as_json()
    speed = throughput(records, shapes)
    result = {
        "machine": {"python": platform.python_version(), "cpus": 2,
                    "platform": platform.platform()},
        "texts": len(records), "hard_cases": len(hard),
        "quality": {k: {kk: vv for kk, vv in measured[k].items() if kk != "errors"}
                    for k in ("rules", "model", "combined")},
        "hard_cases_rules": hard_rules,
        "rules_without_ledger": without_ledger,
        "throughput": speed,
        "fresh_seed_rules": fresh_seed(4242),
        "calibration_rules": calibration(records, shapes),
        "remaining_errors_combined": measured["combined"]["errors"],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "nlp.json").write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    print(f"{len(records)} texts ({len(hard)} hand-written hard cases)")
    print(f"{'extractor':<10} {'precision':>9} {'recall':>7} {'reason acc':>10}")
    for name in ("rules", "model", "combined"):
        q = result["quality"][name]
        print(f"{name:<10} {q['precision']:>9.4f} {q['recall']:>7.4f} "
              f"{q['reason_accuracy']:>10.4f}")
    print(f"hard cases (rules): precision {hard_rules['precision']:.4f} "
          f"recall {hard_rules['recall']:.4f}")
    print(f"rules without the ledger (shapes=None): precision {without_ledger['precision']:.4f} "
          f"recall {without_ledger['recall']:.4f}")
    fresh = result["fresh_seed_rules"]
    print(f"fresh seed {fresh['seed']} ({fresh['texts']} texts, rules): precision "
          f"{fresh['precision']:.4f} recall {fresh['recall']:.4f} "
          f"reason accuracy {fresh['reason_accuracy']:.4f}")
    print("confidence   candidates  right  precision")
    for row in result["calibration_rules"]:
        print(f"{row['confidence']:<12} {row['candidates']:>10} {row['right']:>6} "
              f"{row['precision']}")
    print(f"{'throughput (texts/s)':<48} {'wall':>9} {'per CPU-s':>10}")
    for key, value in speed.items():
        print(f"{key:<48} {value['per_wall_s']:>9} {value['per_cpu_s']:>10}")


if __name__ == "__main__":
    main()
