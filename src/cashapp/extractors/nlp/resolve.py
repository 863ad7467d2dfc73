"""Map a written candidate to the open invoice number(s) it may mean, with the edit as evidence.

The edits we undo, each named in ``Resolution.edits``:
``separators`` (changed or dropped), ``prefix_missing``, ``zeros_dropped``,
``confusion:X>d`` (one letter written for a digit: O/0, I/1, l/1, S/5, B/8, Z/2),
``transposition`` (two adjacent digits swapped). ``split`` (a space or newline inside the
number) is added by the finder, which joins the pieces before calling here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cashapp.extractors.nlp.shapes import ReferenceShapes, compact_form, loose_form

CONFUSABLE_DIGIT = {"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "i": "1", "L": "1",
                    "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6", "g": "9"}
_MAX_CONFUSION_VARIANTS = 8


@dataclass(frozen=True, slots=True)
class Resolution:
    number: str  # the known invoice number, exactly as in the ledger
    edits: tuple[str, ...]  # empty: written exactly so


def confusion_variants(text: str) -> list[tuple[str, str]]:
    """``text`` with one confusable letter that sits among digits read as the digit.

    A letter is a candidate when its run of letters touches a digit and is short (two letters
    at most), or when it is the letter of a longer run that touches the digit (``FAO97423``:
    the ``O``, never the ``F``; ``INV`` is a prefix, not a typo). Returns (variant, edit)."""
    out: list[tuple[str, str]] = []
    if not any(ch in CONFUSABLE_DIGIT for ch in text):
        return out
    n = len(text)
    for i, ch in enumerate(text):
        digit = CONFUSABLE_DIGIT.get(ch)
        if digit is None:
            continue
        run_start, run_end = i, i + 1
        while run_start > 0 and text[run_start - 1].isalpha():
            run_start -= 1
        while run_end < n and text[run_end].isalpha():
            run_end += 1
        before = text[run_start - 1] if run_start > 0 else ""
        after = text[run_end] if run_end < n else ""
        if not (before.isdigit() or after.isdigit()):
            continue
        if run_end - run_start >= 3 and not (  # a prefix: only its letter touching a digit
            (i == run_end - 1 and after.isdigit()) or (i == run_start and before.isdigit())
        ):
            continue
        out.append((text[:i] + digit + text[i + 1:], f"confusion:{ch}>{digit}"))
        if len(out) >= _MAX_CONFUSION_VARIANTS:
            break
    if len(out) > 1:  # several letters for digits (``2O24OO1``): read them all at once
        chars = list(text)
        for variant, edit in out:
            pos = next(k for k, (a, b) in enumerate(zip(variant, text, strict=True)) if a != b)
            chars[pos] = edit[-1]
        out.append(("".join(chars), "confusion:many"))
    return out


def transposition_variants(number: str) -> list[str]:
    """``number`` with two adjacent, different digits swapped (each position once)."""
    out = []
    for i in range(len(number) - 1):
        a, b = number[i], number[i + 1]
        if a != b and a.isdigit() and b.isdigit():
            out.append(number[:i] + b + a + number[i + 2:])
    return out


def resolve_invoice(candidate: str, shapes: ReferenceShapes) -> list[Resolution]:
    """The known numbers ``candidate`` may mean, fewest edits first (empty if none)."""
    if not shapes.known or not any(ch.isdigit() for ch in candidate):
        return []
    readings = _readings(candidate.strip(), shapes)
    direct = _resolve_plain(candidate, shapes, readings)
    if direct:
        return direct
    found: dict[str, Resolution] = {}
    for variant, edit in confusion_variants(candidate):
        for res in _resolve_plain(variant, shapes, _readings(variant.strip(), shapes)):
            found.setdefault(res.number, Resolution(res.number, (edit, *res.edits)))
    if found:
        return sorted(found.values(), key=lambda r: len(r.edits))
    known = shapes.known
    for reading, edits in readings:
        for swapped in transposition_variants(reading):
            if swapped in known:
                found.setdefault(swapped, Resolution(swapped, ("transposition", *edits)))
    return sorted(found.values(), key=lambda r: len(r.edits))


def _resolve_plain(
    candidate: str, shapes: ReferenceShapes, readings: list[tuple[str, tuple[str, ...]]]
) -> list[Resolution]:
    stripped = candidate.strip()
    if stripped in shapes.known:
        return [Resolution(stripped, ())]
    by_compact = shapes.by_compact(compact_form(stripped))
    if by_compact:
        return [Resolution(n, ("separators",)) for n in by_compact]
    out: dict[str, Resolution] = {}
    for reading, edits in readings:
        for number in _lookup(reading, shapes):
            out.setdefault(number, Resolution(number, edits))
    return list(out.values())


def _readings(candidate: str, shapes: ReferenceShapes) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    loose = loose_form(candidate)
    readings = shapes.read(loose) or shapes.read(loose.replace("-", ""))
    for canonical, prefix_missing, zeros_restored in readings:
        edits = ("prefix_missing",) * prefix_missing + ("zeros_dropped",) * zeros_restored
        if not edits and loose_form(canonical) != loose:
            edits = ("separators",)
        out.append((canonical, edits))
    return out


def _lookup(number: str, shapes: ReferenceShapes) -> tuple[str, ...]:
    if number in shapes.known:
        return (number,)
    return shapes.by_compact(compact_form(number))
