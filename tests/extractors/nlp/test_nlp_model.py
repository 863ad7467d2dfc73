"""The shipped spaCy pipeline: loads offline from the package, finds references, and only adds
to what the rules found."""

import json
import socket
from pathlib import Path

import pytest

from cashapp.extractors.nlp.api import find_references, find_references_batch, learn_shapes
from cashapp.extractors.nlp.model import (
    MODEL_DIR,
    candidates_from_spans,
    load_pipeline,
    model_spans,
)


def test_model_ships_small_with_a_card() -> None:
    size = sum(f.stat().st_size for f in MODEL_DIR.rglob("*") if f.is_file())
    assert size < 5_000_000
    card = (MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "precision" in card and "Training data" in card
    meta = json.loads((MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    assert meta["version"] and meta["lang"] == "xx"


def test_model_loads_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the model tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    load_pipeline.cache_clear()
    nlp = load_pipeline()
    assert "ner" in nlp.pipe_names
    assert Path(MODEL_DIR).is_dir()


SENTENCES = [
    ("Zahlung Rechnung INV-2024-00123 abzgl. 2% Skonto 24,60", "INVOICE", "INV-2024-00123"),
    ("Paiement facture FA004711 merci", "INVOICE", "FA004711"),
    ("Payment RF45 1234 5123 45 thank you", "STRUCT_REF", "RF45 1234 5123 45"),
    ("Pago factura RE-10023 pedido 4500012345", "PO", "4500012345"),
]


@pytest.mark.parametrize(("text", "label", "span"), SENTENCES)
def test_model_finds_references_in_sentences(text: str, label: str, span: str) -> None:
    spans = model_spans([text])[0]
    assert (label, text.index(span), text.index(span) + len(span)) in spans


def test_model_only_candidates_are_normalised_against_the_ledger() -> None:
    shapes = learn_shapes(["INV-2024-00123", "INV-2024-00456"])
    text = "Zahlung Rechnung INV-2024-00123 abzgl. 2% Skonto 24,60"
    found = candidates_from_spans(text, model_spans([text])[0], shapes=shapes,
                                  source="remittance_text")
    assert [c.normalized for c in found] == ["INV-2024-00123"]
    assert "model" in found[0].evidence


def test_combined_adds_what_a_mistyped_label_hid() -> None:
    shapes = learn_shapes(["RE-10023"])
    text = "Pago RE-10023 edido n 4521187733"  # "pedido" without its first letter
    rules = find_references(text, shapes=shapes)
    combined = find_references(text, shapes=shapes, use_model=True)
    assert {(c.kind.value, c.normalized) for c in rules} == {("invoice", "RE-10023")}
    assert {(c.kind.value, c.normalized) for c in combined} == {
        ("invoice", "RE-10023"), ("po", "4521187733")}
    assert "model" in combined[-1].evidence
    batch = find_references_batch([text, text], shapes=shapes, use_model=True)
    assert [[c.normalized for c in b] for b in batch] == [[c.normalized for c in combined]] * 2


def test_batch_with_a_long_text_reads_it_in_blocks() -> None:
    shapes = learn_shapes([f"RE-{n}" for n in range(10000, 10400)])
    long_text = "".join(f"Rechnung RE-{n} bezahlt\n" for n in range(10000, 10400))
    batch = find_references_batch(["Zahlung RE-10001", long_text], shapes=shapes,
                                  use_model=True)
    assert [c.normalized for c in batch[0]] == ["RE-10001"]
    assert [c.normalized for c in batch[1]] == [f"RE-{n}" for n in range(10000, 10400)]
    assert all(long_text[c.start:c.end] == c.text for c in batch[1])  # type: ignore[misc]


def test_model_only_where_the_rules_are_unsure() -> None:
    shapes = learn_shapes(["RE-10023"])
    sure = "Pago RE-10023 edido n 4521187733"  # the rules found the invoice: model skipped
    unsure = "Pago edido n 4521187733"  # nothing confident from the rules: model runs
    out = find_references_batch([sure, unsure], shapes=shapes, use_model=True,
                                model_only_where_unsure=True)
    assert [(c.kind.value, c.normalized) for c in out[0]] == [("invoice", "RE-10023")]
    assert ("po", "4521187733") in {(c.kind.value, c.normalized) for c in out[1]}
