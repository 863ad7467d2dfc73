"""Structured creditor references in free text, validated by their check digits.

A reference whose check digits hold is near-certain evidence (confidence ~0.99); one with the
right shape but wrong check digits is still reported, with a low confidence, because a payer
who mistypes one digit of an OGM still meant an invoice. Spaces, ``/``, ``-`` and the
``+++``/``***`` OGM markers are tolerated; references cut by a space are joined.

Finnish references and KIDs are bare digit strings that any number passes with probability
1/10, so they are only read where labelled (``viite``, ``KID``), or when the ledger knows them
(``known`` payment references printed on the open invoices).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from cashapp.extractors.nlp import checkdigits as cd
from cashapp.extractors.nlp.labels import fuzzy_label_before

VALID_CONFIDENCE = 0.99
INVALID_CONFIDENCE = 0.3


@dataclass(frozen=True, slots=True)
class StructuredHit:
    scheme: str  # "rf", "ogm", "qrr", "fi", "kid"
    normalized: str
    start: int
    end: int
    valid: bool
    confidence: float


_RF = re.compile(r"\bRF ?\d\d(?:[ \-]?[0-9A-Z]){1,21}", re.IGNORECASE)
_OGM_MARKED = re.compile(
    r"(?:\+{3}|\*{3})\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*(?:\+{3}|\*{3})"
)
_OGM_SLASHED = re.compile(r"(?<![\d/])(\d{3})/(\d{4})/(\d{5})(?![\d/])")
_DIGITS = re.compile(r"\d+")
_MAX_BARE_DIGITS = 27
_DIGIT_GROUPS = re.compile(r"(?<![\w.,])\d+(?:[ ]\d+)*(?![\w]|[.,]\d)")
_LABELLED = re.compile(
    r"\b(?P<label>viitenumero|viitenro|viite|viitteen|ref\.?\s?nr|referens(?:nummer)?"
    r"|kid(?:[\s-]?(?:nr|nummer|no))?)\b\.?\s*[:#]?\s*(?P<ref>\d(?:[ ]?\d){1,29})",
    re.IGNORECASE,
)


def find_structured(text: str, *, known: Collection[str] = ()) -> list[StructuredHit]:
    """Every structured reference in ``text``, valid or not, non-overlapping, in text order.

    Line breaks are removed first (an MT940 subfield break may cut a reference anywhere);
    the positions returned are those of the original text."""
    if "\n" not in text:
        return _find_flat(text, known)
    kept = [i for i, ch in enumerate(text) if ch != "\n"]
    flat = "".join(text[i] for i in kept)
    kept.append(len(text))
    return [
        StructuredHit(h.scheme, h.normalized, kept[h.start], kept[h.end - 1] + 1, h.valid,
                      h.confidence)
        for h in _find_flat(flat, known)
    ]


def _find_flat(text: str, known: Collection[str]) -> list[StructuredHit]:
    hits: list[StructuredHit] = []
    taken: list[tuple[int, int]] = []

    def add(hit: StructuredHit) -> None:
        if any(hit.start < e and s < hit.end for s, e in taken):
            return
        taken.append((hit.start, hit.end))
        hits.append(hit)

    for hit in _rf_hits(text):
        add(hit)
    for match in _OGM_MARKED.finditer(text):
        ref = "".join(match.groups())
        valid = cd.is_valid_ogm(ref)
        add(_hit("ogm", ref, match.start(), match.end(), valid, 0.99))
    for match in _OGM_SLASHED.finditer(text):
        ref = "".join(match.groups())
        valid = cd.is_valid_ogm(ref)
        add(_hit("ogm", ref, match.start(), match.end(), valid, 0.97))
    for match in _LABELLED.finditer(text):
        add_labelled = _labelled_hit(match)
        if add_labelled is not None:
            add(add_labelled)
    for hit in _digit_run_hits(text, known):
        add(hit)
    for hit in _mistyped_finnish(text):
        add(hit)
    hits.sort(key=lambda h: h.start)
    return hits


def _hit(scheme: str, ref: str, start: int, end: int, valid: bool, conf: float) -> StructuredHit:
    return StructuredHit(scheme, ref, start, end, valid, conf if valid else INVALID_CONFIDENCE)


def _rf_hits(text: str) -> Iterator[StructuredHit]:
    for match in _RF.finditer(text):
        raw = match.group(0)
        # Candidate ends, longest first: a group boundary (space or dash) or the end of the
        # match is where the payer stopped writing the reference.
        compact = cd.compact(raw)
        cuts: list[tuple[int, int]] = []  # (end in raw, length in compact)
        seen = 0
        for i, ch in enumerate(raw):
            if ch.isalnum():
                seen += 1
                if i + 1 == len(raw) or not raw[i + 1].isalnum():
                    cuts.append((i + 1, seen))
        best: tuple[str, int] | None = None
        for cut, length in reversed(cuts):
            ref = compact[:length]
            if length >= 5 and cd.is_valid_rf(ref):
                best = (ref, cut)
                break
        if best is not None:
            ref, cut = best
            yield StructuredHit("rf", ref, match.start(), match.start() + cut, True, 0.99)
            continue
        # invalid: keep the first token (and following digit-only groups of up to 4)
        first = re.match(r"RF ?\d\d(?:[ \-]?[0-9A-Z]{1,4}(?=[ \-]|$))*|RF ?\d\d\w*", raw, re.I)
        span = first.group(0) if first else raw
        ref = cd.compact(span)
        if len(ref) >= 6:
            yield StructuredHit(
                "rf", ref, match.start(), match.start() + len(span), False, INVALID_CONFIDENCE
            )


def _labelled_hit(match: re.Match[str]) -> StructuredHit | None:
    """The longest run of the digit groups after the label that validates; else the first
    group, reported as invalid."""
    label = match.group("label").lower()
    scheme = "kid" if label.startswith("kid") else "fi"
    low, high = (2, 25) if scheme == "kid" else (4, 20)
    check = cd.is_valid_kid if scheme == "kid" else cd.is_valid_finnish
    start = match.start("ref")
    raw = match.group("ref")
    cuts = [m.end() for m in re.finditer(r"\d+", raw)]
    for cut in reversed(cuts):
        ref = raw[:cut].replace(" ", "")
        if low <= len(ref) <= high and check(ref):
            ref = ref.lstrip("0") if scheme == "fi" else ref
            return _hit(scheme, ref, start, start + cut, True, 0.97)
    ref = raw[:cuts[0]]
    if not low <= len(ref.lstrip("0") if scheme == "fi" else ref) <= high:
        return None
    return _hit(scheme, ref, start, start + cuts[0], False, 0.97)


_DIGITS_AFTER_WORD = re.compile(
    r"(?<![^\W\d_])[^\W\d_]{5,}+\s*+[:#]?\s*+(\d(?:[ ]?\d){3,24})(?![\w])"
)


def _mistyped_finnish(text: str) -> Iterator[StructuredHit]:
    """A valid Finnish reference after a mistyped ``viite`` label (``vitie 61743 54``)."""
    for match in _DIGITS_AFTER_WORD.finditer(text):
        if fuzzy_label_before(text, match.start(1)) != "fi":
            continue
        raw = match.group(1)
        cuts = [m.end() for m in re.finditer(r"\d+", raw)]
        for cut in reversed(cuts):
            ref = raw[:cut].replace(" ", "")
            if 4 <= len(ref.lstrip("0")) <= 20 and cd.is_valid_finnish(ref):
                start = match.start(1)
                yield StructuredHit("fi", ref.lstrip("0"), start, start + cut, True, 0.85)
                break


def _digit_run_hits(text: str, known: Collection[str]) -> Iterator[StructuredHit]:
    """27-digit QR references, bare 12-digit OGMs and known references in digit groups."""
    for match in _DIGIT_GROUPS.finditer(text):
        if " " not in match.group(0):  # one group: the common case
            hit = _bare_digits(match.group(0), match.start(), match.end(), known)
            if hit is not None:
                yield hit
            continue
        groups = [(m.start(), m.end()) for m in _DIGITS.finditer(text, match.start(), match.end())]
        # contiguous windows of groups, longest first: a reference may sit beside other
        # numbers; a window whose check digits hold beats one that only has the length
        n = len(groups)
        hits = []
        for i in range(n):
            for j in range(i + 1, n + 1):  # windows of at most 27 digits (a QR reference)
                ref = text[groups[i][0]:groups[j - 1][1]].replace(" ", "")
                if len(ref) > _MAX_BARE_DIGITS:
                    break
                hit = _bare_digits(ref, groups[i][0], groups[j - 1][1], known)
                if hit is not None:
                    hits.append(hit)
        hits.sort(key=lambda h: (not h.valid, -(h.end - h.start)))
        chosen: list[StructuredHit] = []
        for hit in hits:
            if all(hit.end <= c.start or c.end <= hit.start for c in chosen):
                chosen.append(hit)
        yield from chosen


def _bare_digits(ref: str, start: int, end: int, known: Collection[str]) -> StructuredHit | None:
    length = len(ref)
    if length == 27:
        return _hit("qrr", ref, start, end, cd.is_valid_qrr(ref), 0.98)
    if known and (ref in known or ref.lstrip("0") in known):
        scheme = "ogm" if length == 12 and cd.is_valid_ogm(ref) else _scheme_of_digits(ref)
        normalized = ref.lstrip("0") if scheme == "fi" else ref
        return StructuredHit(scheme, normalized, start, end, True, 0.97)
    if length == 12 and cd.is_valid_ogm(ref):
        return StructuredHit("ogm", ref, start, end, True, 0.75)
    return None


def _scheme_of_digits(ref: str) -> str:
    if len(ref) == 27 and cd.is_valid_qrr(ref):
        return "qrr"
    if cd.is_valid_finnish(ref):
        return "fi"
    if cd.is_valid_kid(ref):
        return "kid"
    return "ogm" if len(ref) == 12 else "kid"


def normalize_structured(reference: str) -> tuple[str, str] | None:
    """The scheme and compact form of a reference printed on an invoice (the ledger's
    ``payment_reference``), so the matcher compares it with what ``find_references`` emits.
    ``None`` when it is not a valid structured reference of any scheme we know."""
    ref = cd.compact(reference)
    if ref.startswith("RF"):
        return ("rf", ref) if cd.is_valid_rf(ref) else None
    if not ref.isdigit():
        return None
    if len(ref) == 27 and cd.is_valid_qrr(ref):
        return "qrr", ref
    if len(ref) == 12 and cd.is_valid_ogm(ref):
        return "ogm", ref
    if cd.is_valid_finnish(ref):
        return "fi", ref.lstrip("0")  # printed zero-padded to 20 in camt, bare on invoices
    if cd.is_valid_kid(ref):
        return "kid", ref
    return None
