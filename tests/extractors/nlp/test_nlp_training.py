"""The training entry point: generated data is annotated consistently and training is
reproducible from its seed (small sizes here; the shipped model uses the defaults)."""

import random
from pathlib import Path

import pytest

from cashapp.training.nlp_compose import LANGS, compose
from cashapp.training.nlp_synth import STYLES, make_ledger
from cashapp.training.nlp_templates import TRAIN_NOISE, TRAIN_VOCABULARY


def test_generated_spans_cover_their_gold_values() -> None:
    rng = random.Random(3)
    ledger = make_ledger(rng, "T", STYLES["inv_year_seq"], 50)
    for i in range(300):
        sample = compose(rng, TRAIN_VOCABULARY, ledger, LANGS[i % 6], TRAIN_NOISE)
        for start, end, _label in sample.spans:
            assert 0 <= start < end <= len(sample.text)
            assert not sample.text[start].isspace() and not sample.text[end - 1].isspace()
        invoices = [r for r in sample.references if r["kind"] == "invoice"]
        assert all(r["normalized"] in ledger.invoices for r in invoices)
        if sample.reason is not None:
            assert any(label == "REASON" for _, _, label in sample.spans)


@pytest.mark.slow
def test_training_is_reproducible(tmp_path: Path) -> None:
    from cashapp.training.nlp_train import train

    train(11, 120, 1, tmp_path / "a")
    train(11, 120, 1, tmp_path / "b")
    assert (tmp_path / "a" / "ner" / "model").read_bytes() == (
        tmp_path / "b" / "ner" / "model").read_bytes()
