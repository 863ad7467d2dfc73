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
_DIGIT_GROUPS = re.compile(r"(?<![\w.,])\d+(?:[ ]\d+)*(?![\w]|[.,]\d)")
_LABELLED = re.compile(
    r"\b(?P<label>viitenumero|viitenro|viite|viitteen|ref\.?\s?nr|referens(?:nummer)?"
    r"|kid(?:[\s-]?(?:nr|nummer|no))?)\b\.?\s*[:#]?\s*(?P<ref>\d(?:[ ]?\d){1,29})",
    re.IGNORECASE,
)


def find_structured(text: str, *, known: Collection[str] = ()) -> list[StructuredHit]:
    """Every structured reference in ``text``, valid or not, non-overlapping, in text order."""
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
    hits.sort(key=lambda h: h.start)
    return hits


def _hit(scheme: str, ref: str, start: int, end: int, valid: bool, conf: float) -> StructuredHit:
    return StructuredHit(scheme, ref, start, end, valid, conf if valid else INVALID_CONFIDENCE)


def _rf_hits(text: str) -> Iterator[StructuredHit]:
    for match in _RF.finditer(text):
        raw = match.group(0)
        # Candidate ends: after each character, longest first; a group boundary (space) or
        # the end of the match is where the payer stopped writing the reference.
        cuts = [i + 1 for i, ch in enumerate(raw) if ch.isalnum()]
        best: tuple[str, int] | None = None
        for cut in reversed(cuts):
            ref = cd.compact(raw[:cut])
            if len(ref) >= 5 and cd.is_valid_rf(ref):
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
    label = match.group("label").lower()
    ref = match.group("ref").replace(" ", "")
    start, end = match.start("ref"), match.end("ref")
    if label.startswith("kid"):
        if not 2 <= len(ref) <= 25:
            return None
        return _hit("kid", ref, start, end, cd.is_valid_kid(ref), 0.97)
    if not 4 <= len(ref) <= 20:
        return None
    return _hit("fi", ref, start, end, cd.is_valid_finnish(ref), 0.97)


def _digit_run_hits(text: str, known: Collection[str]) -> Iterator[StructuredHit]:
    """27-digit QR references, bare 12-digit OGMs and known references in digit groups."""
    for match in _DIGIT_GROUPS.finditer(text):
        groups = [(m.start() + match.start(), m.end() + match.start())
                  for m in re.finditer(r"\d+", match.group(0))]
        # contiguous windows of groups, longest first: a reference may sit beside other numbers
        n = len(groups)
        emitted_until = -1
        for i in range(n):
            if groups[i][0] < emitted_until:
                continue
            for j in range(n, i, -1):
                start, end = groups[i][0], groups[j - 1][1]
                ref = text[start:end].replace(" ", "")
                hit = _bare_digits(ref, start, end, known)
                if hit is not None:
                    emitted_until = end
                    yield hit
                    break


def _bare_digits(ref: str, start: int, end: int, known: Collection[str]) -> StructuredHit | None:
    length = len(ref)
    if length == 27:
        return _hit("qrr", ref, start, end, cd.is_valid_qrr(ref), 0.98)
    if known and ref in known:
        scheme = "ogm" if length == 12 and cd.is_valid_ogm(ref) else _scheme_of_digits(ref)
        return StructuredHit(scheme, ref, start, end, True, 0.97)
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
        return "fi", ref
    if cd.is_valid_kid(ref):
        return "kid", ref
    return None
