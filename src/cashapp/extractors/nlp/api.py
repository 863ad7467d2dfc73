"""The text extractor's contract (see the package docstring): references, amounts and
deduction reasons in remittance text, as candidates with a confidence and a position.

Deterministic and fast: check digits, the seller's learned numbering and a multilingual
lexicon. The trained spaCy pipeline (``model.py``) adds what the rules miss when asked
(``use_model=True``); it never overrides a check-digit-validated reference.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    known_refs = shapes.payment_references if shapes is not None else frozenset()
    structured = find_structured(text, known=known_refs)
    amounts = find_amounts(text)
    masked = [(h.start, h.end) for h in structured if h.confidence >= 0.9]
    masked += [(a.start, a.end) for a in amounts] + find_dates(text) + find_ibans(text)
    numbers = find_numbers(text, shapes, masked=masked)
    numbers, structured = _settle_overlaps(numbers, structured)
    reason_hits = find_reason_hits(text)
    candidates = [_from_structured(h, source) for h in structured]
    candidates += [_from_number(h, source) for h in numbers]
    if use_model:
        from cashapp.extractors.nlp.model import model_candidates  # spaCy only when asked

        candidates = model_candidates(text, candidates, shapes=shapes, source=source)
    candidates.sort(key=lambda c: (c.start or 0))
    return _with_context(text, candidates, amounts, reason_hits)


def find_references_batch(
    texts: Sequence[str],
    *,
    shapes: ReferenceShapes | None = None,
    source: str = "remittance_text",
    use_model: bool = False,
) -> list[list[ReferenceCandidate]]:
    """``find_references`` over many texts; with ``use_model`` the pipeline runs batched
    (``nlp.pipe``), which is several times faster than text by text."""
    results = [find_references(t, shapes=shapes, source=source) for t in texts]
    if not use_model:
        return results
    from cashapp.extractors.nlp.model import model_candidates, model_spans

    out = []
    for text, rules, spans in zip(texts, results, model_spans(texts), strict=True):
        merged = model_candidates(text, rules, shapes=shapes, source=source, spans=spans)
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


def _from_number(hit: NumberHit, source: str) -> ReferenceCandidate:
    return ReferenceCandidate(
        kind=hit.kind,
        text=hit.text,
        normalized=hit.normalized,
        confidence=hit.confidence,
        source=source,
        start=hit.start,
        end=hit.end,
        evidence=hit.edits,
    )


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
        stop = candidates[i + 1].start if i + 1 < len(candidates) else None
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
