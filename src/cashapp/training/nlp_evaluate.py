"""Measure the text extractor on the annotated evaluation set (``fixtures/nlp/eval.jsonl``).

A reference counts when its kind and normalized form equal a gold one and its confidence is
at least ``THRESHOLD`` (what a matcher would treat as evidence). Gold references marked
``optional`` (invalid check digits) count neither way. Reason accuracy is over every text,
"no reason" being a class of its own.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cashapp.domain.references import ReferenceCandidate
from cashapp.extractors.nlp.amounts import find_amounts
from cashapp.extractors.nlp.api import find_reason, find_references, learn_shapes
from cashapp.extractors.nlp.shapes import ReferenceShapes

THRESHOLD = 0.5
Extractor = Callable[[str, ReferenceShapes], list[ReferenceCandidate]]


def load_eval(fixtures: Path) -> tuple[list[dict[str, Any]], dict[str, ReferenceShapes]]:
    """The records and, per seller, the shapes learned from its ledger."""
    records = [json.loads(line) for line in
               (fixtures / "eval.jsonl").read_text(encoding="utf-8").splitlines() if line]
    ledgers = json.loads((fixtures / "ledgers.json").read_text(encoding="utf-8"))
    shapes = {
        seller: learn_shapes(ledger["invoices"], payment_references=ledger["payment_references"])
        for seller, ledger in ledgers.items()
    }
    return records, shapes


@dataclass(slots=True)
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    reason_right: int = 0
    reason_total: int = 0
    reason_with_gold_right: int = 0
    reason_with_gold: int = 0
    amount_tp: int = 0
    amount_fp: int = 0
    amount_fn: int = 0
    recall_by_noise: Counter[str] = field(default_factory=Counter)
    total_by_noise: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def reason_accuracy(self) -> float:
        return self.reason_right / self.reason_total if self.reason_total else 1.0

    def as_json(self) -> dict[str, Any]:
        amount_p = self.amount_tp / max(1, self.amount_tp + self.amount_fp)
        amount_r = self.amount_tp / max(1, self.amount_tp + self.amount_fn)
        return {
            "precision": round(self.precision, 4), "recall": round(self.recall, 4),
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "reason_accuracy": round(self.reason_accuracy, 4),
            "reason_accuracy_where_written": round(
                self.reason_with_gold_right / max(1, self.reason_with_gold), 4),
            "amount_precision": round(amount_p, 4), "amount_recall": round(amount_r, 4),
            "recall_by_noise": {k: round(self.recall_by_noise[k] / v, 4)
                                for k, v in sorted(self.total_by_noise.items())},
        }


def rules_extractor(text: str, shapes: ReferenceShapes) -> list[ReferenceCandidate]:
    return find_references(text, shapes=shapes)


def evaluate(
    records: Iterable[dict[str, Any]],
    shapes: dict[str, ReferenceShapes],
    extractor: Extractor = rules_extractor,
    reasoner: Callable[[str], str | None] | None = None,
) -> Scores:
    scores = Scores()
    for record in records:
        text = record["text"]
        found = extractor(text, shapes[record["seller"]])
        predicted = {(c.kind.value, c.normalized) for c in found if c.confidence >= THRESHOLD}
        gold = {(g["kind"], g["normalized"]) for g in record["references"] if not _optional(g)}
        optional = {(g["kind"], g["normalized"]) for g in record["references"] if _optional(g)}
        predicted -= optional
        tp = len(predicted & gold)
        scores.tp += tp
        scores.fp += len(predicted - gold)
        scores.fn += len(gold - predicted)
        for g in record["references"]:
            if _optional(g):
                continue
            noise = g.get("noise", g.get("scheme", g["kind"]))
            scores.total_by_noise[noise] += 1
            scores.recall_by_noise[noise] += (g["kind"], g["normalized"]) in predicted
        if predicted != gold:
            scores.errors.append({"id": record["id"], "text": text,
                                  "missed": sorted(gold - predicted),
                                  "extra": sorted(predicted - gold)})
        _score_reason(scores, record, reasoner)
        _score_amounts(scores, record)
    return scores


def _optional(gold: dict[str, Any]) -> bool:
    """Invalid check digits: the extractor may only suggest it (below THRESHOLD) or not."""
    return bool(gold.get("optional")) or gold.get("valid") is False


def _score_reason(scores: Scores, record: dict[str, Any],
                  reasoner: Callable[[str], str | None] | None) -> None:
    if reasoner is not None:
        got = reasoner(record["text"])
    else:
        found = find_reason(record["text"])
        got = found[0].value if found else None
    scores.reason_total += 1
    scores.reason_right += got == record["reason"]
    if record["reason"] is not None:
        scores.reason_with_gold += 1
        scores.reason_with_gold_right += got == record["reason"]


def _score_amounts(scores: Scores, record: dict[str, Any]) -> None:
    if record.get("hard"):
        return  # hard cases list only the amounts next to references
    gold = Counter(Decimal(a) for a in record["amounts"])
    got = Counter(a.value for a in find_amounts(record["text"]))
    hit = sum((gold & got).values())
    scores.amount_tp += hit
    scores.amount_fp += sum(got.values()) - hit
    scores.amount_fn += sum(gold.values()) - hit
