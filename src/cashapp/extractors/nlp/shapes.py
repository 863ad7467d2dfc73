"""The seller's own invoice numbering, learned from the open items.

An invoice number is cut into segments: letter runs (``INV``), digit runs (``2024``,
``00123``) and the separators between them. Numbers with the same segment kinds and
separators form a *family*; for each segment the family keeps the observed letter values,
the digit widths, and whether the digits are zero padded or look like a year.

A family then reads a written candidate loosely (any or no separators, the leading letter
prefix missing, leading zeros dropped) and renders it back in the canonical form the ledger
uses, which is what the matcher looks up.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from cashapp.extractors.nlp.structured import normalize_structured

_SEGMENT = re.compile(r"[A-Za-z]+|\d+|[^A-Za-z\d]+")
_SHAPE_SAMPLE = 50_000  # shapes are learned from at most this many numbers (evenly spaced)
_MAX_PREFIX_VALUES = 12  # beyond this, a letter segment is "any letters", not a prefix list


@dataclass(frozen=True, slots=True)
class Segment:
    """One letter or digit run of a family."""

    digits: bool
    min_len: int
    max_len: int
    values: tuple[str, ...] = ()  # letters: the observed values, most frequent first
    padded: bool = False  # digits: fixed width and leading zeros were seen
    year: bool = False  # digits: every value looks like a year (19xx/20xx or its last two)

    def pattern(self, *, optional: bool) -> str:
        if self.digits:
            low = 1 if self.padded else self.min_len
            body = rf"(\d{{{low},{self.max_len}}})"
        elif self.values:
            body = "(" + "|".join(re.escape(v) for v in self.values) + ")"
        else:
            body = rf"([A-Z]{{{self.min_len},{self.max_len}}})"
        return f"(?:{body}-?)?" if optional else body

    def render(self, value: str | None) -> str:
        if self.digits:
            assert value is not None
            return value.zfill(self.max_len) if self.padded else value
        if value is None:
            return self.values[0] if self.values else ""
        return value


@dataclass(slots=True)
class Family:
    """Invoice numbers of one shape: ``INV-2024-00123`` is alpha(INV) - year4 - digits5(padded)."""

    segments: tuple[Segment, ...]
    separators: tuple[str, ...]
    count: int
    regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parts: list[str] = []
        last = len(self.segments) - 1
        for i, seg in enumerate(self.segments):
            optional = i == 0 and not seg.digits and last > 0
            parts.append(seg.pattern(optional=optional))
            if i < last and not optional:
                parts.append("-?")
        self.regex = re.compile("^" + "".join(parts) + "$")

    @property
    def has_prefix(self) -> bool:
        return not self.segments[0].digits

    def describe(self) -> str:
        out = []
        for i, seg in enumerate(self.segments):
            if seg.digits:
                kind = "year" if seg.year else ("padded" if seg.padded else "digits")
                width = str(seg.max_len) if seg.min_len == seg.max_len else (
                    f"{seg.min_len}-{seg.max_len}")
                out.append(f"{kind}{width}")
            else:
                out.append("|".join(seg.values) if seg.values else f"letters{seg.max_len}")
            if i < len(self.separators):
                out.append(repr(self.separators[i]))
        return " ".join(out)

    def read(self, loose: str) -> tuple[str, bool, bool] | None:
        """Canonical number for ``loose`` (upper case, separators as ``-``), with whether the
        prefix was missing and whether leading zeros were restored; None if it does not fit."""
        match = self.regex.match(loose)
        if match is None:
            return None
        values = match.groups()
        out: list[str] = []
        prefix_missing = zeros_restored = False
        for i, (seg, value) in enumerate(zip(self.segments, values, strict=True)):
            if value is None:
                prefix_missing = True
            elif seg.digits and seg.padded and len(value) < seg.max_len:
                zeros_restored = True
            out.append(seg.render(value))
            if i < len(self.separators):
                out.append(self.separators[i])
        return "".join(out), prefix_missing, zeros_restored


@dataclass(slots=True)
class ReferenceShapes:
    """The families of the seller's numbering, and (optionally) the open numbers themselves."""

    families: list[Family]
    known: frozenset[str] = frozenset()
    payment_references: frozenset[str] = frozenset()  # compact structured refs of open items
    # the letter runs a number may start with, and their beginnings ("I", "IN", "INV"): a
    # chunk of letters is only the start of a number when it is one of these
    prefix_starts: frozenset[str] = frozenset()
    max_length: int = 0  # the longest number, as written in the ledger
    _by_key: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def read(self, loose: str) -> list[tuple[str, bool, bool]]:
        """Every family's reading of ``loose``, most frequent family first."""
        readings = []
        for family in self.families:
            reading = family.read(loose)
            if reading is not None:
                readings.append(reading)
        return readings

    def by_compact(self, compact: str) -> tuple[str, ...]:
        """Known numbers whose letters and digits (no separators) are ``compact``."""
        return self._by_key.get(compact, ())


_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def loose_form(text: str) -> str:
    """Upper case; every run of separators (spaces, ``/``, ``.``, ``_``...) becomes ``-``."""
    return _NOT_ALNUM.sub("-", text.upper()).strip("-")


def compact_form(text: str) -> str:
    upper = text.upper()
    return upper if upper.isalnum() and upper.isascii() else _NOT_ALNUM.sub("", upper)


def learn_shapes(
    invoice_numbers: Iterable[str],
    *,
    keep_numbers: bool = True,
    payment_references: Iterable[str] = (),
) -> ReferenceShapes:
    """Learn the families of ``invoice_numbers``; keep the numbers for exact and fuzzy lookup
    unless ``keep_numbers`` is False (then candidates are only re-rendered, never verified).
    ``payment_references`` (structured references printed on the open invoices) let bare
    Finnish references and KIDs be recognised without a label."""
    numbers = sorted({n.strip() for n in invoice_numbers if n and n.strip()})
    step = max(1, len(numbers) // _SHAPE_SAMPLE)
    groups: dict[tuple[tuple[bool, ...], tuple[str, ...]], list[list[str]]] = defaultdict(list)
    for number in numbers[::step]:
        parts = _SEGMENT.findall(number)
        runs = [p for p in parts if p[0].isalnum()]
        seps = _separators(parts)
        if not runs or not any(r[0].isdigit() for r in runs):
            continue
        groups[(tuple(r[0].isdigit() for r in runs), seps)].append(runs)
    families = [_family(kinds, seps, members) for (kinds, seps), members in groups.items()]
    families.sort(key=lambda f: -f.count)
    by_key: dict[str, tuple[str, ...]] = {}
    if keep_numbers:
        for number in numbers:
            key = compact_form(number)
            by_key[key] = (*by_key.get(key, ()), number)
    return ReferenceShapes(
        families=families,
        known=frozenset(numbers) if keep_numbers else frozenset(),
        payment_references=frozenset(_structured_key(r) for r in payment_references if r),
        prefix_starts=frozenset(
            v[:k] for f in families if not f.segments[0].digits
            for v in f.segments[0].values for k in range(1, len(v) + 1)
        ),
        _by_key=by_key,
        max_length=max((len(n) for n in numbers), default=0),
    )


def _structured_key(reference: str) -> str:
    """The form ``find_references`` emits for a printed structured reference."""
    found = normalize_structured(reference)
    return found[1] if found else compact_form(reference)


def _separators(parts: list[str]) -> tuple[str, ...]:
    """The separator between each pair of consecutive runs ("" when they touch)."""
    seps: list[str] = []
    pending = ""
    seen_run = False
    for part in parts:
        if part[0].isalnum():
            if seen_run:
                seps.append(pending)
            pending, seen_run = "", True
        else:
            pending = part
    return tuple(seps)


def _family(kinds: tuple[bool, ...], seps: tuple[str, ...], members: list[list[str]]) -> Family:
    segments = []
    for i, is_digits in enumerate(kinds):
        values = [m[i] for m in members]
        lengths = [len(v) for v in values]
        if is_digits:
            fixed = min(lengths) == max(lengths)
            padded = fixed and any(v.startswith("0") for v in values)
            year = all(_looks_like_year(v) for v in values)
            segments.append(Segment(True, min(lengths), max(lengths), padded=padded, year=year))
        else:
            counts = Counter(v.upper() for v in values)
            kept = tuple(v for v, _ in counts.most_common(_MAX_PREFIX_VALUES + 1))
            if len(kept) > _MAX_PREFIX_VALUES:
                kept = ()
            segments.append(Segment(False, min(lengths), max(lengths), values=kept))
    return Family(tuple(segments), seps, len(members))


def _looks_like_year(value: str) -> bool:
    if len(value) == 4:
        return 1990 <= int(value) <= 2099
    return len(value) == 2 and (int(value) >= 90 or int(value) <= 40)
