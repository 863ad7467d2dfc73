"""Train the remittance-text NER pipeline and ship it in ``extractors/nlp/model/``.

``python -m cashapp.training.nlp_train [--seed 7] [--texts 4000] [--epochs 10]``

Reproducible: the training texts are generated from the seed (``nlp_templates`` vocabulary,
sellers of their own), spaCy's random state is fixed by the same seed, and the pipeline is a
BLANK multilingual ``xx`` model (nothing downloaded) with a tokenizer that makes every
punctuation mark a token, so entity edges always fall on token edges. After training the
pipeline is measured on the held-out evaluation set (``fixtures/nlp``) and the model card
(``MODEL_CARD.md``) is written with those figures.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import spacy
from spacy.tokenizer import Tokenizer
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch  # type: ignore[attr-defined]

from cashapp.extractors.nlp.model import MODEL_DIR, PUNCT_SPLIT
from cashapp.training.nlp_compose import LANGS, compose
from cashapp.training.nlp_synth import LABELS, STYLES, Sample, make_ledger
from cashapp.training.nlp_templates import TRAIN_NOISE, TRAIN_VOCABULARY

MODEL_NAME = "remittance_ner"
MODEL_VERSION = "1.0.0"
TRAIN_STYLES = ("inv_year_seq", "fa_padded", "re_plain", "year_slash", "f_yy", "inv_compact",
                "numeric8", "rg_year")  # ft_padded and vf_dot are kept for the evaluation only

NER_CONFIG: dict[str, Any] = {
    "model": {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 64,
        "maxout_pieces": 2,
        "use_upper": True,
        "nO": None,
        "tok2vec": {
            "@architectures": "spacy.HashEmbedCNN.v2",
            "pretrained_vectors": None,
            "width": 64,
            "depth": 3,
            "embed_size": 2500,
            "window_size": 1,
            "maxout_pieces": 3,
            "subword_features": True,
        },
    }
}


def generate(seed: int, count: int) -> list[Sample]:
    rng = random.Random(seed)
    ledgers = [make_ledger(rng, f"T{i}", STYLES[name], 400) for i, name in enumerate(TRAIN_STYLES)]
    samples = []
    for i in range(count):
        ledger = ledgers[rng.randrange(len(ledgers))]
        samples.append(compose(rng, TRAIN_VOCABULARY, ledger, LANGS[i % len(LANGS)], TRAIN_NOISE))
    return samples


def blank_pipeline() -> Any:
    nlp = spacy.blank("xx")
    splitter = re.compile(PUNCT_SPLIT)
    nlp.tokenizer = Tokenizer(
        nlp.vocab,
        rules={},
        prefix_search=re.compile(r"^(?:" + PUNCT_SPLIT + ")").search,
        suffix_search=re.compile(r"(?:" + PUNCT_SPLIT + ")$").search,
        infix_finditer=splitter.finditer,
    )
    ner: Any = nlp.add_pipe("ner", config=NER_CONFIG)
    for label in LABELS:
        ner.add_label(label)
    return nlp


def to_examples(nlp: Any, samples: Sequence[Sample]) -> list[Any]:
    examples = []
    for sample in samples:
        doc = nlp.make_doc(sample.text)
        ents = []
        for start, end, label in sample.spans:
            span = doc.char_span(start, end, label=label, alignment_mode="strict")
            if span is not None and not span.text[0].isspace() and not span.text[-1].isspace():
                ents.append((start, end, label))
        examples.append(Example.from_dict(doc, {"entities": ents}))
    return examples


def train(seed: int, texts: int, epochs: int, out: Path) -> dict[str, Any]:
    fix_random_seed(seed)
    started = time.perf_counter()
    nlp = blank_pipeline()
    examples = to_examples(nlp, generate(seed, texts))
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=32):  # type: ignore[no-untyped-call]
            nlp.update(batch, drop=0.15, sgd=optimizer, losses=losses)
        print(f"epoch {epoch + 1}/{epochs} ner loss {losses.get('ner', 0.0):.1f}", flush=True)
    nlp.meta.update({"name": MODEL_NAME, "version": MODEL_VERSION, "lang": "xx",
                     "description": "cashapp remittance-text NER (see MODEL_CARD.md)"})
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    return {"seed": seed, "texts": texts, "epochs": epochs,
            "train_seconds": round(time.perf_counter() - started, 1)}


def write_card(out: Path, training: dict[str, Any], measured: dict[str, Any]) -> None:
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    card = _CARD.format(
        name=MODEL_NAME, version=MODEL_VERSION, date=datetime.now(UTC).date().isoformat(),
        size_mb=size / 1e6, training=json.dumps(training), measured=_table(measured),
        styles=", ".join(TRAIN_STYLES),
    )
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def _table(measured: dict[str, Any]) -> str:
    rows = ["| extractor | precision | recall | reason accuracy |", "|---|---|---|---|"]
    for name, scores in measured.items():
        rows.append(f"| {name} | {scores['precision']:.4f} | {scores['recall']:.4f} | "
                    f"{scores['reason_accuracy']:.4f} |")
    return "\n".join(rows)


_CARD = """# Model card: {name} {version}

**What it is.** A spaCy 3.8 pipeline (blank multilingual `xx`, no pretrained weights, nothing
downloaded) with one NER component labelling INVOICE, PO, CUSTOMER, STRUCT_REF, AMOUNT and
REASON spans in remittance text (bank `Ustrd` / `:86:` / OFX memo, e-mail and PDF lines) in
English, French, German, Dutch, Spanish and Italian. Tokenizer: every punctuation mark is its
own token. tok2vec HashEmbedCNN width 64, depth 3, 2500 rows; size on disk {size_mb:.1f} MB.

**How it is used.** `cashapp.extractors.nlp.api.find_references(..., use_model=True)`: the
check-digit and learned-numbering rules run first; model spans that no rule explains are
added as candidates, normalised the same way (check digits, the seller's numbering, the open
invoices). The model never decides a match and never overrides a validated reference.

**Training data.** Generated, annotated remittance text (`cashapp.training.nlp_templates`,
`nlp_compose`, `nlp_synth`): eight numbering styles ({styles}), sellers with 400 open invoices
each, one to four invoice numbers per text written with noise (separators changed or dropped,
prefix missing, zeros dropped, lower case, one confused character, two digits swapped, a space
or line break inside), RF / OGM / QRR / Finnish / KID references (8% with a wrong check
digit), PO and customer numbers with labels, deduction reasons with amounts, upper-casing,
MT940 27/35-character line breaks, truncation at 140 characters, typos in words.
Run: `{training}`.

**Evaluation.** The held-out set `fixtures/nlp/eval.jsonl` (1 100 generated texts from another
vocabulary, other seeds, two numbering styles never seen in training, plus 58 hand-written
hard cases). A reference counts when kind and normalised form are right at confidence >= 0.5.

{measured}

**Limits.** Synthetic data only: real payer wording will differ; the model alone does not
validate anything (its invoice spans count only when they resolve to an open invoice).
Reason codes come from the lexicon rules, not from this model.

Date: {date}. Retrain: `python -m cashapp.training.nlp_train --seed 7`.
"""


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--texts", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--fixtures", type=Path,
                        default=Path(__file__).resolve().parents[3] / "fixtures" / "nlp")
    args = parser.parse_args(argv)
    training = train(args.seed, args.texts, args.epochs, args.out)
    from cashapp.training.nlp_measure import measure_all  # after training: loads the new model

    measured = measure_all(args.fixtures, model_dir=args.out)
    write_card(args.out, training, measured)
    print(json.dumps({"training": training, "measured": measured}, indent=1))


if __name__ == "__main__":
    main()
