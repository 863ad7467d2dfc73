"""BAI2 logical records: physical lines, ``88`` continuations, fields, amounts, funds types.

BAI2 ("Cash Management Balance Reporting Specifications", version 2): fields are separated by
``,``, a record ends with ``/`` (a ``16`` record that ends inside its text field does not), and
a ``88`` record continues the record before it. Amounts carry no decimal point: the decimals
are implied by the currency (USD 2, JPY 0...). Funds types (``0``, ``1``, ``2``, ``S``, ``V``,
``D``, ``Z``, blank) may pull extra fields after them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cashapp.domain.money import MAX_INTEGER_DIGITS, minor_units
from cashapp.extractors.statements.fixed_width import is_digits, yymmdd

RECORD_CODES = frozenset({"01", "02", "03", "16", "49", "88", "98", "99"})
MAX_TEXT = 64 * 1024  # characters of text one 16 record may carry, continuations included
DEFAULT_RECORD_LENGTH = 80


class FieldError(ValueError):
    """A field that cannot be read; ``field`` names it, ``line`` the physical line."""

    def __init__(self, field: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.line = line


@dataclass(slots=True)
class Piece:
    """One physical record's content after ``NN,``, with where it came from."""

    line: int
    content: str
    slash: bool  # ended with the "/" delimiter
    full: bool  # ran to the physical record length: a continuation goes on without a space


@dataclass(slots=True)
class Logical:
    """A record and its ``88`` continuations."""

    code: str
    pieces: list[Piece] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.pieces[0].line

    def fields(self) -> list[str]:
        """Every field, continuations appended (for records without free text)."""
        out: list[str] = []
        for piece in self.pieces:
            out.extend(piece.content.split(","))
        while out and out[-1] == "":
            out.pop()
        return out


def physical_records(
    lines: Iterator[tuple[int, str]], record_length: int = DEFAULT_RECORD_LENGTH
) -> Iterator[Logical]:
    """Logical records from ``(line number, text)`` physical lines; blank lines are skipped."""
    current: Logical | None = None
    for number, raw in lines:
        text = raw.rstrip(" \t\x1a")
        if not text:
            continue
        code = text[:2]
        if code not in RECORD_CODES or (len(text) > 2 and text[2] != ","):
            raise FieldError("record code", f"unknown BAI2 record code {text[:3]!r}", number)
        content = text[3:]
        slash = content.endswith("/")
        if slash:
            content = content[:-1]
        piece = Piece(number, content, slash, len(raw) >= record_length and raw[-1:] != " ")
        if code == "88":
            if current is None:
                raise FieldError("record code", "88 continuation with no record before it", number)
            current.pieces.append(piece)
            continue
        if current is not None:
            yield current
        current = Logical(code, [piece])
    if current is not None:
        yield current


def implied_amount(text: str, currency: str, name: str, line: int) -> Decimal | None:
    """An amount with implied decimals (``12345`` USD is 123.45); blank is ``None``."""
    raw = text.strip()
    if not raw:
        return None
    sign = ""
    if raw[0] in "+-":
        sign, raw = raw[0], raw[1:]
    if not (raw.isascii() and raw.isdigit()):
        raise FieldError(name, f"amount digits expected, found {text!r}", line)
    places = minor_units(currency)
    if len(raw.lstrip("0")) > MAX_INTEGER_DIGITS + places:
        raise FieldError(name, f"amount too large: {text!r}", line)
    value = Decimal(int(raw)).scaleb(-places).quantize(Decimal(1).scaleb(-places))
    return -value if sign == "-" and value else value


def units(text: str, name: str, line: int) -> int | None:
    """The raw integer of an amount field (control totals add these, whatever the currency)."""
    raw = text.strip()
    if not raw:
        return None
    body = raw[1:] if raw[0] in "+-" else raw
    if not (body.isascii() and body.isdigit()) or len(body) > 30:
        raise FieldError(name, f"amount digits expected, found {text!r}", line)
    return -int(body) if raw[0] == "-" else int(body)


def as_date(text: str, name: str, line: int) -> date | None:
    try:
        return yymmdd(text.strip())
    except ValueError as exc:
        raise FieldError(name, str(exc), line) from None


class FieldCursor:
    """Reads the fields of a logical record one by one, across its continuation pieces,
    and hands back the rest as free text (the 16 record's last field)."""

    def __init__(self, record: Logical) -> None:
        self._pieces = record.pieces
        self._index = 0
        self._parts = record.pieces[0].content.split(",")
        self._at = 0

    @property
    def line(self) -> int:
        return self._pieces[self._index].line

    def exhausted(self) -> bool:
        """No field left in this piece nor in any continuation."""
        if self._at < len(self._parts):
            return False
        return all(not p.content for p in self._pieces[self._index + 1 :])

    def next(self) -> str:
        while self._at >= len(self._parts):
            if self._index + 1 >= len(self._pieces):
                return ""
            self._index += 1
            self._parts = self._pieces[self._index].content.split(",")
            self._at = 0
        value = self._parts[self._at]
        self._at += 1
        return value

    def rest(self) -> str:
        """The free text: what is left of the current piece, then the continuations."""
        text = ",".join(self._parts[self._at :])
        if len(text) > MAX_TEXT:
            raise FieldError("text", f"text is over {MAX_TEXT} characters", self.line)
        full = self._pieces[self._index].full
        for piece in self._pieces[self._index + 1 :]:
            if text and piece.content:
                text += "" if full else " "
            text += piece.content
            full = piece.full
            if len(text) > MAX_TEXT:
                raise FieldError("text", f"text is over {MAX_TEXT} characters", piece.line)
        return text.strip()


def funds(cursor: FieldCursor, currency: str) -> tuple[str, date | None]:
    """Read a funds type and the fields it pulls; returns the type and a value date (``V``)."""
    kind = cursor.next().strip().upper()
    line = cursor.line
    value_date = None
    if kind in ("", "Z", "0", "1", "2"):
        pass
    elif kind == "S":
        for name in ("immediate", "one-day", "two-or-more-day"):
            implied_amount(cursor.next(), currency, f"funds {name} amount", line)
    elif kind == "V":
        value_date = as_date(cursor.next(), "value date", line)
        cursor.next()  # value time (HHMM), optional
    elif kind == "D":
        count = cursor.next().strip()
        if not is_digits(count) or int(count) > 1000:
            raise FieldError(
                "funds distribution count", f"not a number up to 1000: {count!r}", line
            )
        for _ in range(int(count)):
            if cursor.exhausted():
                raise FieldError("funds distribution", f"fewer than {count} distributions", line)
            cursor.next()  # days
            implied_amount(cursor.next(), currency, "funds distribution amount", line)
    else:
        raise FieldError("funds type", f"unknown funds type {kind!r}", line)
    return kind, value_date


def trailer_problems(
    fields: list[str],
    total: int,
    counts: list[tuple[str, int]],
    line: int,
    what: str,
) -> list[str]:
    """What a trailer declares (control total, then counts) against what was read."""
    problems = []
    declared = units(fields[0] if fields else "", f"{what} control total", line)
    if declared is not None and declared != total:
        problems.append(
            f"line {line}: {what} control total {declared}, the accounts add up to {total}"
        )
    for position, (label, actual) in enumerate(counts, start=1):
        text = fields[position].strip() if len(fields) > position else ""
        if text and (not is_digits(text) or int(text) != actual):
            problems.append(
                f"line {line}: {what} trailer counts {text} {label}, the file has {actual}"
            )
    return problems
