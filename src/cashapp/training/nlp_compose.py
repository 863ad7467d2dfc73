"""Compose one annotated remittance text from a vocabulary (words per language) and a ledger.

The training vocabulary is in ``nlp_templates``; the evaluation set brings its own
(``fixtures/nlp/make_eval.py``) so that the model is measured on wording it never saw.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from cashapp.training.nlp_synth import (
    Ledger,
    Piece,
    Sample,
    assemble,
    break_check_digit,
    format_amount,
    make_structured,
    random_amount,
    write_invoice,
)

LANGS = ("en", "fr", "de", "nl", "es", "it")
Words = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    openers: Words
    invoice_labels: Words  # "" = no label
    po_labels: Words
    customer_labels: Words
    joiners: Words
    deduction_glue: Words  # written before a reason phrase ("less", "abzgl.")
    reasons: dict[str, dict[str, list[str]]]  # lang -> code -> phrases
    closers: Words
    struct_labels: dict[str, list[str]]  # scheme -> labels ("" = none)
    empty_texts: Words  # texts that carry no reference at all


@dataclass(frozen=True, slots=True)
class Noise:
    invoice: dict[str, float]
    upper: float = 0.25
    split_every: float = 0.15
    truncate: float = 0.5
    typo: float = 0.1
    invalid_structured: float = 0.08


def compose(rng: random.Random, vocab: Vocabulary, ledger: Ledger, lang: str,
            noise: Noise) -> Sample:
    """One text in ``lang`` paying invoices of ``ledger`` (or not), with its gold annotations."""
    if rng.random() < 0.05:
        return Sample(rng.choice(vocab.empty_texts[lang]), [], [], [], None,
                      {"lang": lang, "seller": ledger.seller})
    known = set(ledger.invoices)
    blocks: list[list[Piece]] = []
    n_inv = rng.choices((0, 1, 2, 3, 4), weights=(12, 55, 18, 10, 5))[0]
    structured = rng.random() < (0.5 if n_inv == 0 else 0.12)
    if n_inv:
        blocks.append(_invoice_block(rng, vocab, ledger, lang, noise, known, n_inv))
    if structured:
        blocks.append(_structured_block(rng, vocab, ledger, noise))
    if rng.random() < 0.15:
        blocks.append(_labelled(rng, vocab.po_labels[lang], "PO", "po", _po_number(rng)))
    if rng.random() < 0.1:
        blocks.append(_labelled(rng, vocab.customer_labels[lang], "CUSTOMER", "customer",
                                _customer_number(rng)))
    reason = None
    if rng.random() < 0.4:
        reason = rng.choice(sorted(vocab.reasons[lang]))
        blocks.append(_reason_block(rng, vocab, lang, reason))
    rng.shuffle(blocks)
    pieces: list[Piece] = []
    if rng.random() < 0.6:
        pieces.append(Piece(rng.choice(vocab.openers[lang])))
    for block in blocks:
        pieces.extend(block)
    if rng.random() < 0.3:
        pieces.append(Piece(rng.choice(vocab.closers[lang])))
    sample = assemble(rng, pieces, reason=reason, upper=noise.upper,
                      split_every=noise.split_every, truncate=noise.truncate, typo=noise.typo)
    sample.meta.update({"lang": lang, "seller": ledger.seller})
    return sample


def _invoice_block(rng: random.Random, vocab: Vocabulary, ledger: Ledger, lang: str,
                   noise: Noise, known: set[str], count: int) -> list[Piece]:
    pieces: list[Piece] = []
    label = rng.choice(vocab.invoice_labels[lang])
    if label:
        pieces.append(Piece(label))
    with_amounts = rng.random() < 0.4
    for i, number in enumerate(rng.sample(ledger.invoices, count)):
        if i:
            pieces.append(Piece(rng.choice(vocab.joiners[lang])))
        written, kind = write_invoice(rng, number, ledger.style, known, noise.invoice)
        gold: dict[str, Any] = {"kind": "invoice", "normalized": number, "noise": kind}
        pieces.append(Piece(written, "INVOICE", gold))
        if with_amounts:
            value = random_amount(rng)
            pieces.append(Piece(format_amount(rng, value, lang), "AMOUNT", {"amount": str(value)}))
    return pieces


def _structured_block(rng: random.Random, vocab: Vocabulary, ledger: Ledger,
                      noise: Noise) -> list[Piece]:
    scheme = rng.choice(("rf", "rf", "ogm", "ogm", "qrr", "fi", "kid"))
    ref, printed = make_structured(rng, scheme)
    valid = True
    if rng.random() < noise.invalid_structured and scheme in ("rf", "ogm", "qrr"):
        ref = break_check_digit(ref)
        printed = printed[:-1] + ref[-1] if not printed.endswith("+++") and not printed.endswith(
            "***") else printed[:-4] + ref[-1] + printed[-3:]
        valid = False
    labels = vocab.struct_labels[scheme]
    label = rng.choice(labels)
    if scheme in ("fi", "kid") and not label:
        ledger.payment_references.append(ref)  # bare ones are only readable when known
    pieces = [Piece(label)] if label else []
    gold = {"kind": "structured", "scheme": scheme, "normalized": ref, "valid": valid}
    pieces.append(Piece(printed, "STRUCT_REF", gold))
    return pieces


def _labelled(rng: random.Random, labels: list[str], label: str, kind: str,
              number: str) -> list[Piece]:
    return [Piece(rng.choice(labels)),
            Piece(number, label, {"kind": kind, "normalized": number.upper()})]


def _po_number(rng: random.Random) -> str:
    form = rng.random()
    if form < 0.5:
        return f"45{rng.randint(0, 99_999_999):08d}"
    if form < 0.8:
        return str(rng.randint(10_000, 999_999))
    return f"B{rng.randint(2023, 2025)}-{rng.randint(1, 9999):04d}"


def _customer_number(rng: random.Random) -> str:
    form = rng.random()
    if form < 0.4:
        return f"K{rng.randint(1000, 99_999)}"
    if form < 0.7:
        return str(rng.randint(10_000, 99_999))
    return f"C-{rng.randint(1, 9999):04d}"


def _reason_block(rng: random.Random, vocab: Vocabulary, lang: str, code: str) -> list[Piece]:
    pieces = []
    glue = rng.choice(vocab.deduction_glue[lang])
    if glue:
        pieces.append(Piece(glue))
    pieces.append(Piece(rng.choice(vocab.reasons[lang][code]), "REASON", {"reason": code}))
    if rng.random() < 0.6:
        value = random_amount(rng, 500)
        pieces.append(Piece(format_amount(rng, value, lang), "AMOUNT", {"amount": str(value)}))
    return pieces
