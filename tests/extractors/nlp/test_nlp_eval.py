"""The annotated evaluation set: its shape, that it is reproducible, and the rule layer's
precision/recall on it above a floor (the full figures are in benchmarks/nlp.md)."""

import json
from pathlib import Path

import pytest

from cashapp.training.nlp_evaluate import evaluate, load_eval

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "nlp"


@pytest.fixture(scope="module")
def evalset():  # type: ignore[no-untyped-def]
    return load_eval(FIXTURES)


def test_the_set_is_large_and_lists_its_hard_cases(evalset) -> None:  # type: ignore[no-untyped-def]
    records, shapes = evalset
    assert len(records) >= 1000
    hard = [r for r in records if r["hard"]]
    assert len(hard) >= 50 and all(r["why"] for r in hard)
    assert {r["lang"] for r in records} >= {"en", "fr", "de", "nl", "es", "it"}
    assert {r["seller"] for r in records} <= set(shapes)


def test_the_generated_part_is_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES.parents[1]))  # the repo root: fixtures/ is data
    from fixtures.nlp.make_eval import build

    records, _ = build()
    on_disk = [json.loads(line) for line in
               (FIXTURES / "eval.jsonl").read_text(encoding="utf-8").splitlines()[:50]]
    assert [r["text"] for r in records[:50]] == [r["text"] for r in on_disk]


def test_rules_precision_recall_and_reasons_above_floor(evalset) -> None:  # type: ignore[no-untyped-def]
    records, shapes = evalset
    part = records[:400] + [r for r in records if r["hard"]]
    scores = evaluate(part, shapes)
    assert scores.precision >= 0.99, scores.errors[:5]
    assert scores.recall >= 0.96, scores.errors[:5]
    assert scores.reason_accuracy >= 0.93


def test_hard_cases_mostly_right(evalset) -> None:  # type: ignore[no-untyped-def]
    records, shapes = evalset
    scores = evaluate([r for r in records if r["hard"]], shapes)
    assert scores.precision >= 0.97 and scores.recall >= 0.9, scores.errors
