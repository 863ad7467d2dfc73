"""The trained spaCy pipeline shipped in ``model/``: NER for INVOICE, PO, CUSTOMER, STRUCT_REF,
AMOUNT and REASON spans, loaded offline from the package directory (nothing downloaded).

The model reads what the rules miss (a mistyped label, an unseen wording); its spans become
candidates through the same normalisation as the rules (check digits, the learned
numbering). It never overrides a rule candidate: where both found something, the rule's
reading stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from cashapp.domain.references import ReferenceCandidate, ReferenceKind
from cashapp.extractors.nlp.resolve import resolve_invoice
from cashapp.extractors.nlp.shapes import ReferenceShapes, compact_form, loose_form
from cashapp.extractors.nlp.structured import normalize_structured

MODEL_DIR = Path(__file__).resolve().parent / "model"
REFERENCE_LABELS = {"INVOICE": ReferenceKind.INVOICE, "PO": ReferenceKind.PO,
                    "CUSTOMER": ReferenceKind.CUSTOMER, "STRUCT_REF": ReferenceKind.STRUCTURED}
PUNCT_SPLIT = r"[^\w]|_"  # every non-alphanumeric character is a token of its own
# A PO or customer number the model finds counts only after a word that looks like one of
# these (a mistyped label: "Odrine", "Cleinte"); otherwise the model is guessing.
LABEL_WORDS = (
    "ORDER", "PO", "PURCHASE", "COMMANDE", "BESTELLUNG", "BESTELLNUMMER", "AUFTRAG",
    "AUFTRAGS", "BESTELLING", "BESTELNUMMER", "ORDERNUMMER", "INKOOPORDER", "PEDIDO", "ORDINE",
    "ACQUISTO", "CUSTOMER", "CLIENT", "CLIENTE", "KUNDE", "KUNDENNR", "KUNDENNUMMER", "DEBITOR",
    "DEBITEUR", "DEBITEURNUMMER", "KLANT", "KLANTNUMMER", "ACCOUNT", "ACCT",
)
_WORD = re.compile(r"[^\W\d_]{2,}")


@lru_cache(maxsize=2)
def load_pipeline(path: Path = MODEL_DIR) -> Any:
    """The shipped pipeline (``spacy.load`` of the package directory), loaded once."""
    import spacy

    return spacy.load(path)


def model_version() -> str:
    meta = load_pipeline().meta
    return f"{meta.get('name', 'remittance_ner')}-{meta.get('version', '0')}"


def spans_of(doc: Any) -> list[tuple[str, int, int]]:
    return [(ent.label_, ent.start_char, ent.end_char) for ent in doc.ents]


def model_spans(
    texts: Iterable[str], *, batch_size: int = 256, path: Path = MODEL_DIR
) -> list[list[tuple[str, int, int]]]:
    """(label, start, end) of every entity the model finds, per text, batched."""
    nlp = load_pipeline(path)
    return [spans_of(doc) for doc in nlp.pipe(texts, batch_size=batch_size)]


def candidates_from_spans(
    text: str, spans: Sequence[tuple[str, int, int]], *, shapes: ReferenceShapes | None,
    source: str,
) -> list[ReferenceCandidate]:
    """Model spans turned into candidates (the model alone, no rules)."""
    out = []
    for label, start, end in spans:
        kind = REFERENCE_LABELS.get(label)
        if kind is None:
            continue
        written = text[start:end]
        reading = _normalize(kind, written, shapes)
        if reading is None:
            continue
        normalized, confidence, scheme, evidence = reading
        if kind in (ReferenceKind.PO, ReferenceKind.CUSTOMER) and not _label_like_before(
            text, start
        ):
            confidence = 0.4
        out.append(ReferenceCandidate(
            kind=kind, text=written, normalized=normalized, confidence=confidence,
            source=source, scheme=scheme, start=start, end=end, evidence=("model", *evidence),
        ))
    return out


def model_candidates(
    text: str, rule_candidates: list[ReferenceCandidate], *, shapes: ReferenceShapes | None,
    source: str, spans: Sequence[tuple[str, int, int]] | None = None,
) -> list[ReferenceCandidate]:
    """The rule candidates plus what only the model found (never overlapping a rule's)."""
    if spans is None:
        spans = model_spans([text])[0]
    extra = [
        c for c in candidates_from_spans(text, spans, shapes=shapes, source=source)
        if not any((c.start or 0) < (r.end or 0) and (r.start or 0) < (c.end or 0)
                   for r in rule_candidates)
    ]
    return [*rule_candidates, *extra]


def _label_like_before(text: str, start: int) -> bool:
    """Whether one of the two words before ``start`` looks like a PO or customer label."""
    words = _WORD.findall(text[max(0, start - 40):start].replace("\n", ""))[-2:]
    return any(
        process.extractOne(w.upper(), LABEL_WORDS, scorer=fuzz.ratio, score_cutoff=75)
        for w in words
    )


def _normalize(
    kind: ReferenceKind, written: str, shapes: ReferenceShapes | None
) -> tuple[str, float, str | None, tuple[str, ...]] | None:
    if kind is ReferenceKind.STRUCTURED:
        found = normalize_structured(written)
        if found is not None and found[0] in ("rf", "ogm", "qrr"):
            return found[1], 0.95, found[0], ()
        if found is not None:  # bare Finnish/KID digits pass their check one time in ten
            return found[1], 0.55 if len(found[1]) >= 8 else 0.4, found[0], ()
        return compact_form(written), 0.3, None, ("invalid_check_digits",)
    if kind is not ReferenceKind.INVOICE:
        value = re.sub(r"\s+", "", written).upper()
        return (value, 0.7, None, ()) if any(ch.isdigit() for ch in value) else None
    if shapes is not None and shapes.known:
        resolutions = resolve_invoice(written, shapes)
        if len(resolutions) == 1:
            return resolutions[0].number, 0.8, None, resolutions[0].edits
        if resolutions:
            return resolutions[0].number, 0.45, None, ("ambiguous", *resolutions[0].edits)
        return None  # the model's span is not an open invoice: no evidence for the matcher
    if shapes is not None:
        readings = shapes.read(loose_form(written))
        if readings:
            return readings[0][0], 0.6, None, ()
    return compact_form(written), 0.55, None, ()
