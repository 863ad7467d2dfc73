"""Invoice, PO and customer numbers in free text, read with the seller's learned numbering.

The text is cut into chunks (letters and digits joined by ``- . _``); windows of one to
three chunks separated only by white space are tried, so a number cut by a space or an
MT940 subfield break (``INV-2024-0`` / ``0123``) is joined again. Amounts and dates are
masked first. Each window is resolved against the open numbers (``resolve``) or, when the
ledger is not known, re-rendered by the learned families; the best non-overlapping windows
win. A PO or customer label before a number makes it a PO or customer candidate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cashapp.domain.references import ReferenceKind
from cashapp.extractors.nlp.labels import fuzzy_label_before, label_before
from cashapp.extractors.nlp.resolve import Resolution, resolve_invoice
from cashapp.extractors.nlp.shapes import ReferenceShapes, loose_form

_CHUNK = re.compile(r"[A-Za-z0-9]+(?:[-._][A-Za-z0-9]+)*")  # "/" cuts: windows rejoin it
_DIGIT = re.compile(r"\d")
_UNSET = "unset"
_MAX_WINDOW = 4
# what may sit between two pieces of one number: white space (a subfield break) and at most one
# separator (``INV-2024-`` / ``00123``)
_JOINABLE_GAP = re.compile(r"\s*[-/._]?\s*")
_MAX_CHUNK = 30
_GENERIC = re.compile(r"^(?=.*\d)[A-Z0-9][A-Z0-9\-/._]{2,24}$")
_PREFIXED = re.compile(r"^[A-Z]{1,5}[-/._]?\d{3,}(?:[-/._]\d+)*$")


@dataclass(frozen=True, slots=True)
class NumberHit:
    kind: ReferenceKind
    text: str
    normalized: str
    start: int
    end: int
    confidence: float
    edits: tuple[str, ...]
    alternatives: tuple[str, ...] = ()  # other open numbers the text fits equally well


def find_numbers(
    text: str, shapes: ReferenceShapes | None, *, masked: Sequence[tuple[int, int]] = ()
) -> list[NumberHit]:
    """Invoice (and labelled PO/customer) numbers, non-overlapping, in text order."""
    visible = text
    for start, end in masked:  # blank out amounts, dates and references already read
        visible = visible[:start] + " " * (end - start) + visible[end:]
    chunks = [(m.start(), m.end()) for m in _CHUNK.finditer(visible)
              if m.end() - m.start() <= _MAX_CHUNK]
    proposals: list[NumberHit] = []
    digit_counts = [len(_DIGIT.findall(text, s, e)) for s, e in chunks]
    digits = [count > 0 for count in digit_counts]
    prefixes = shapes.prefix_starts if shapes is not None else frozenset()
    max_length = shapes.max_length + 6 if shapes is not None and shapes.max_length else 60
    for i in range(len(chunks)):
        if not digits[i] and (
            chunks[i][1] - chunks[i][0] > 5
            or (prefixes and text[chunks[i][0]:chunks[i][1]].upper() not in prefixes)
        ):
            continue  # a word, not the prefix of a number
        label: str | None = _UNSET
        spaced = False  # a space or line break inside the window: the number was cut
        for j in range(i + 1, min(i + _MAX_WINDOW, len(chunks)) + 1):
            start, end = chunks[i][0], chunks[j - 1][1]
            if j - 1 > i:
                gap = text[chunks[j - 2][1]:chunks[j - 1][0]]
                if not _JOINABLE_GAP.fullmatch(gap):
                    break
                spaced = spaced or any(ch.isspace() for ch in gap)
            last_is_suffix = j - 1 > i and chunks[j - 1][1] - chunks[j - 1][0] <= 2
            if (not digits[j - 1] and not last_is_suffix) or sum(digit_counts[i:j]) < 3:
                continue  # no number of ours has fewer than three digits
            if end - start > max_length:
                break  # longer than any number of this seller, even with separators
            written = text[start:end]
            if label is _UNSET:
                label = label_before(text, start)  # the same for every window from chunk i
            hit = _read_window(text, written, start, end, shapes, split=spaced, label=label)
            if hit is not None:
                proposals.append(hit)
                if hit.confidence >= 0.95:
                    break  # read as written: a longer window cannot explain it better
    return _best_non_overlapping(proposals)


def _read_window(
    text: str, written: str, start: int, end: int, shapes: ReferenceShapes | None, *,
    split: bool, label: str | None,
) -> NumberHit | None:
    if label in ("po", "customer"):
        if not any(ch.isdigit() for ch in written):
            return None
        kind = ReferenceKind.PO if label == "po" else ReferenceKind.CUSTOMER
        if not split:
            return NumberHit(kind, written, written.upper(), start, end, 0.85, ("labelled",))
        if any(ch in " \t" for ch in written) or written.count("\n") != 1:
            return None
        # a bare line break inside a labelled number: an MT940 subfield cut it
        joined = written.replace("\n", "").upper()
        return NumberHit(kind, written, joined, start, end, 0.86, ("labelled", "split"))
    extra = ("split",) if split else ()
    if shapes is not None and shapes.known:
        resolutions = resolve_invoice(written, shapes)
        if resolutions:
            return _from_resolutions(written, start, end, resolutions, extra, label)
    if label is None:
        mistyped = _mistyped_label(text, written, start, end, split=split)
        if mistyped is not None:
            return mistyped
    if shapes is not None and shapes.families:
        readings = shapes.read(loose_form(written))
        if readings:
            canonical, prefix_missing, zeros = readings[0]
            digits = sum(ch.isdigit() for ch in written)
            if prefix_missing and label is None and digits < 5:
                return None
            conf = 0.7 - 0.2 * prefix_missing - 0.1 * zeros - 0.05 * split
            conf += 0.15 * (label == "invoice")
            if shapes.known:
                conf -= 0.25  # fits the numbering but is not an open invoice
            edits = ("unknown",) * bool(shapes.known) + extra
            return NumberHit(ReferenceKind.INVOICE, written, canonical, start, end,
                             round(conf, 3), edits)
        return None
    if shapes is None and not split:
        return _generic(written, start, end, label)
    return None


def _mistyped_label(
    text: str, written: str, start: int, end: int, *, split: bool
) -> NumberHit | None:
    """A number after a mistyped PO or customer label (``Odrine d'acquisto 4711``)."""
    if split and (any(ch in " \t" for ch in written) or written.count("\n") != 1):
        return None
    label = fuzzy_label_before(text, start)
    if label not in ("po", "customer"):
        return None
    kind = ReferenceKind.PO if label == "po" else ReferenceKind.CUSTOMER
    edits = ("labelled", "label_typo", *(("split",) if split else ()))
    joined = written.replace("\n", "").upper()
    return NumberHit(kind, written, joined, start, end, 0.75 + 0.01 * split, edits)


def _from_resolutions(
    written: str, start: int, end: int, resolutions: list[Resolution],
    extra: tuple[str, ...], label: str | None,
) -> NumberHit | None:
    best = resolutions[0]
    edits = best.edits + extra
    conf = 0.97
    for edit in edits:
        conf -= _EDIT_COST.get(edit.split(":")[0], 0.05)
    significant = sum(ch.isdigit() for ch in written)
    if "prefix_missing" in edits and significant < 4 and label is None:
        return None
    if "prefix_missing" in edits and significant < 6:
        conf -= 0.1
    if label == "invoice":
        conf += 0.03
    ties = [r for r in resolutions if len(r.edits) == len(best.edits)]
    alternatives: tuple[str, ...] = ()
    if len(ties) > 1:
        conf = min(conf, 0.45)  # several open numbers fit equally: only the amount can tell
        edits = (*edits, "ambiguous")
        alternatives = tuple(r.number for r in ties[1:])
    return NumberHit(ReferenceKind.INVOICE, written, best.number, start, end,
                     round(min(conf, 0.99), 3), edits, alternatives)


_EDIT_COST = {"separators": 0.02, "prefix_missing": 0.06, "zeros_dropped": 0.04,
              "confusion": 0.1, "transposition": 0.15, "split": 0.01}


def _generic(written: str, start: int, end: int, label: str | None) -> NumberHit | None:
    upper = written.upper()
    if label == "invoice" and _GENERIC.match(upper):
        return NumberHit(ReferenceKind.INVOICE, written, upper, start, end, 0.7, ("labelled",))
    if _PREFIXED.match(upper):
        return NumberHit(ReferenceKind.INVOICE, written, upper, start, end, 0.4, ("shape",))
    return None


def _best_non_overlapping(proposals: list[NumberHit]) -> list[NumberHit]:
    ranked = sorted(
        proposals,
        key=lambda h: (-h.confidence, -(h.end - h.start), h.start),
    )
    chosen: list[NumberHit] = []
    for hit in ranked:
        if all(hit.end <= c.start or c.end <= hit.start for c in chosen):
            chosen.append(hit)
    return sorted(chosen, key=lambda h: h.start)
