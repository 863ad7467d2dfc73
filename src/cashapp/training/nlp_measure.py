"""The measured figures of the text extractor on the evaluation set: rules only, model only,
and both combined (as ``find_references(..., use_model=True)`` does), with throughput.

Used by the training entry point (for the model card) and by ``benchmarks/bench_nlp.py``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from cashapp.domain.references import ReferenceCandidate
from cashapp.extractors.nlp.api import find_references
from cashapp.extractors.nlp.model import (
    MODEL_DIR,
    candidates_from_spans,
    model_candidates,
    model_spans,
)
from cashapp.extractors.nlp.shapes import ReferenceShapes
from cashapp.training.nlp_evaluate import evaluate, load_eval


def measure_all(fixtures: Path, *, model_dir: Path = MODEL_DIR) -> dict[str, Any]:
    records, shapes = load_eval(fixtures)
    texts = [r["text"] for r in records]
    started = time.perf_counter()
    spans = dict(zip(texts, model_spans(texts, path=model_dir), strict=True))
    model_seconds = time.perf_counter() - started

    def model_only(text: str, sh: ReferenceShapes) -> list[ReferenceCandidate]:
        return candidates_from_spans(text, spans[text], shapes=sh, source="remittance_text")

    def combined(text: str, sh: ReferenceShapes) -> list[ReferenceCandidate]:
        rules = find_references(text, shapes=sh)
        return model_candidates(text, rules, shapes=sh, source="remittance_text",
                                spans=spans[text])

    out: dict[str, Any] = {}
    for name, extractor in (("rules", None), ("model", model_only), ("combined", combined)):
        started = time.perf_counter()
        scores = evaluate(records, shapes) if extractor is None else evaluate(
            records, shapes, extractor)
        seconds = time.perf_counter() - started
        result = scores.as_json()
        result["errors"] = scores.errors
        result["eval_seconds"] = round(seconds, 2)
        out[name] = result
    out["model"]["pipe_texts_per_second"] = round(len(texts) / model_seconds)
    out["texts"] = len(texts)
    return out
