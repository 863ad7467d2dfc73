"""The text extractor's contract (see the package docstring): references, amounts and
deduction reasons in remittance text, as candidates with a confidence and a position.

Deterministic and fast: check digits, the seller's learned numbering and a multilingual
lexicon. The trained spaCy pipeline (``model.py``) adds what the rules miss when asked
(``use_model=True``); it never overrides a check-digit-validated reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cashapp.domain.reasons import ReasonCode
from cashapp.domain.references import ReferenceCandidate, ReferenceKind
from cashapp.extractors.nlp.amounts import (
    AmountHit,
    amount_after,
    find_amounts,
    find_dates,
    find_ibans,
)
from cashapp.extractors.nlp.invoices import NumberHit, find_numbers
from cashapp.extractors.nlp.reasons import ReasonHit, find_reason_hits, score_reason
from cashapp.extractors.nlp.resolve import Resolution, resolve_invoice
from cashapp.extractors.nlp.shapes import ReferenceShapes, learn_shapes
from cashapp.extractors.nlp.structured import StructuredHit, find_structured, normalize_structured

__all__ = [
    "ReferenceShapes",
    "Resolution",
    "find_reason",
    "find_references",
    "find_references_batch",
    "learn_shapes",
    "normalize_structured",
    "resolve_invoice",
]

_REASON_REACH = 60  # characters after a reference in which its own deduction reason is read
# Long texts (an e-mail body, a PDF page) are read in blocks of whole lines: the work per
# block is bounded, so the whole stays linear in the length of the text.
_BLOCK = 4000


def find_references(
    text: str,
    *,
    shapes: ReferenceShapes | None = None,
    source: str = "remittance_text",
    use_model: bool = False,
) -> list[ReferenceCandidate]:
    """Every reference written in ``text``, in text order, each with its confidence.

    ``shapes`` (from ``learn_shapes``) lets the seller's numbering be read even when mistyped
    and makes ``normalized`` the ledger's own number; without it, invoice numbers are read
    only where labelled or prefixed. ``use_model`` adds the trained pipeline's findings.
    """
    if not text:
        return []
    if len(text) > _BLOCK:
        return _in_blocks(text, shapes=shapes, source=source, use_model=use_model)
    known_refs = shapes.payment_references if shapes is not None else frozenset()
    structured = find_structured(text, known=known_refs)
    amounts = find_amounts(text)
    masked = [(h.start, h.end) for h in structured if h.confidence >= 0.9]
    masked += [(a.start, a.end) for a in amounts] + find_dates(text) + find_ibans(text)
    numbers = find_numbers(text, shapes, masked=masked)
    numbers, structured = _settle_overlaps(numbers, structured)
    reason_hits = find_reason_hits(text)
    candidates = [_from_structured(h, source) for h in structured]
    candidates += [c for h in numbers for c in _from_number(h, source)]
    if use_model:
        from cashapp.extractors.nlp.model import model_candidates  # spaCy only when asked

        candidates = model_candidates(text, candidates, shapes=shapes, source=source)
    candidates.sort(key=lambda c: (c.start or 0))
    return _with_context(text, candidates, amounts, reason_hits)


def _in_blocks(
    text: str, *, shapes: ReferenceShapes | None, source: str, use_model: bool
) -> list[ReferenceCandidate]:
    out: list[ReferenceCandidate] = []
    for offset, block in _blocks(text):
        for cand in find_references(block, shapes=shapes, source=source, use_model=use_model):
            out.append(replace(cand, start=(cand.start or 0) + offset,
                               end=(cand.end or 0) + offset))
    return out


def _blocks(text: str) -> list[tuple[int, str]]:
    """(offset, block): blocks of at most ``_BLOCK`` characters cut after a line break (or a
    space, for one enormous line)."""
    blocks, start = [], 0
    while start < len(text):
        end = min(start + _BLOCK, len(text))
        if end < len(text):
            cut = text.rfind("\n", start, end)
            if cut <= start:
                cut = text.rfind(" ", start, end)
            end = cut + 1 if cut > start else end
        blocks.append((start, text[start:end]))
        start = end
    return blocks


def find_references_batch(
    texts: Sequence[str],
    *,
    shapes: ReferenceShapes | None = None,
    source: str = "remittance_text",
    use_model: bool = False,
    model_only_where_unsure: bool = False,
) -> list[list[ReferenceCandidate]]:
    """``find_references`` over many texts; with ``use_model`` the pipeline runs batched
    (``nlp.pipe``), which is several times faster than text by text.
    ``model_only_where_unsure`` runs the model only on the texts where the rules found no
    candidate of confidence 0.5 or more (most of the model's cost, little of its gain)."""
    results = [find_references(t, shapes=shapes, source=source) for t in texts]
    if not use_model:
        return results
    from cashapp.extractors.nlp.model import model_candidates, model_spans

    short = [
        i for i, t in enumerate(texts)
        if len(t) <= _BLOCK
        and not (model_only_where_unsure and any(c.confidence >= 0.5 for c in results[i]))
    ]
    if model_only_where_unsure:
        skipped = {i for i, t in enumerate(texts) if len(t) <= _BLOCK} - set(short)
    else:
        skipped = set()
    spans = dict(zip(short, model_spans([texts[i] for i in short]), strict=True))
    out = []
    for i, (text, rules) in enumerate(zip(texts, results, strict=True)):
        if i in skipped:
            out.append(rules)
            continue
        if i not in spans:  # a long text: read block by block, the model included
            out.append(find_references(text, shapes=shapes, source=source, use_model=True))
            continue
        merged = model_candidates(text, rules, shapes=shapes, source=source, spans=spans[i])
        merged.sort(key=lambda c: (c.start or 0))
        out.append(_with_context(text, merged, find_amounts(text), find_reason_hits(text)))
    return out


def find_reason(text: str) -> tuple[ReasonCode, float] | None:
    """The deduction reason written in ``text`` (canonical code, confidence), or None."""
    if not text:
        return None
    return score_reason(find_reason_hits(text))


def _settle_overlaps(
    numbers: list[NumberHit], structured: list[StructuredHit]
) -> tuple[list[NumberHit], list[StructuredHit]]:
    """A bare 12-digit 'OGM' that is in fact a known invoice number stays an invoice."""
    kept_structured = []
    for hit in structured:
        rivals = [n for n in numbers if n.start < hit.end and hit.start < n.end]
        if rivals and max(r.confidence for r in rivals) >= hit.confidence:
            continue
        kept_structured.append(hit)
    kept_numbers = [
        n for n in numbers
        if not any(s.start < n.end and n.start < s.end for s in kept_structured)
    ]
    return kept_numbers, kept_structured


def _from_structured(hit: StructuredHit, source: str) -> ReferenceCandidate:
    return ReferenceCandidate(
        kind=ReferenceKind.STRUCTURED,
        text="",  # filled by _with_context
        normalized=hit.normalized,
        confidence=hit.confidence,
        source=source,
        scheme=hit.scheme,
        start=hit.start,
        end=hit.end,
        evidence=() if hit.valid else ("invalid_check_digits",),
    )


def _from_number(hit: NumberHit, source: str) -> list[ReferenceCandidate]:
    """One candidate, or one per open number the text fits equally well (same span, same
    low confidence, ``ambiguous`` in the evidence): the matcher's amounts can tell them apart."""
    return [
        ReferenceCandidate(
            kind=hit.kind,
            text=hit.text,
            normalized=number,
            confidence=hit.confidence,
            source=source,
            start=hit.start,
            end=hit.end,
            evidence=hit.edits,
        )
        for number in (hit.normalized, *hit.alternatives)
    ]


def _with_context(
    text: str,
    candidates: list[ReferenceCandidate],
    amounts: list[AmountHit],
    reason_hits: list[ReasonHit],
) -> list[ReferenceCandidate]:
    """Fill the written text, the amount written after each reference and its own reason."""
    out = []
    for i, cand in enumerate(candidates):
        start, end = cand.start or 0, cand.end or 0
        stop = next((c.start for c in candidates[i + 1:] if (c.start or 0) >= end), None)
        reach = min(end + _REASON_REACH, stop if stop is not None else len(text))
        near = [h for h in reason_hits if end <= h.start < reach]
        scored = score_reason(near)
        out.append(
            ReferenceCandidate(
                kind=cand.kind,
                text=text[start:end],
                normalized=cand.normalized,
                confidence=cand.confidence,
                source=cand.source,
                scheme=cand.scheme,
                start=cand.start,
                end=cand.end,
                amount=amount_after(amounts, end, text),
                reason=scored[0] if scored else None,
                evidence=cand.evidence,
            )
        )
    return out
