"""Shared reading aids for the record-oriented bank formats (CFONB120, CODA, BAI2).

Decoding the bytes into text, splitting physical records with their line numbers, reading
``DDMMYY`` / ``YYMMDD`` dates, and giving every bank line of a statement a distinct
``bank_ref``. Errors are raised as ``StatementParseError`` naming the file and the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine

_LINE_BREAK = re.compile(r"\r\n|\n|\r")
# Bytes that never occur in a text bank file (NUL, other C0 controls but tab/CR/LF/FF/SUB).
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")


def decode_text(data: bytes, *, source: str) -> str:
    """The file's text: UTF-8 when it is valid UTF-8, else Windows-1252/Latin-1 (one char a byte).

    Binary content (a zip, a PDF, NUL bytes) is refused here, before any record is read.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    found = _BINARY.search(data, 0, 1 << 20)
    if found is not None:
        line = data.count(b"\n", 0, found.start()) + 1
        raise StatementParseError(
            f"binary byte 0x{data[found.start()]:02x} in a text bank file", file=source, line=line
        )
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def physical_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for every physical line, without its line break; 1-based."""
    yield from enumerate(_LINE_BREAK.split(text), start=1)


def is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also takes ``¹`` and other Unicode digits)."""
    return text.isascii() and text.isdigit()


def ddmmyy(text: str) -> date | None:
    """A ``DDMMYY`` date (``000000`` and blanks mean none); years 69-99 are 19xx (POSIX)."""
    if not text.strip() or text == "000000":
        return None
    if not is_digits(text) or len(text) != 6:
        raise ValueError(f"not a DDMMYY date: {text!r}")
    return _make_date(int(text[4:6]), int(text[2:4]), int(text[0:2]), text)


def yymmdd(text: str) -> date | None:
    """A ``YYMMDD`` date (blank means none); years 69-99 are 19xx (POSIX)."""
    if not text.strip():
        return None
    if not is_digits(text) or len(text) != 6:
        raise ValueError(f"not a YYMMDD date: {text!r}")
    return _make_date(int(text[0:2]), int(text[2:4]), int(text[4:6]), text)


def _make_date(yy: int, month: int, day: int, text: str) -> date:
    year = 1900 + yy if yy >= 69 else 2000 + yy
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"not a valid date: {text!r}") from None


def distinct_refs(lines: Sequence[BankLine]) -> list[BankLine]:
    """The lines, where a ``bank_ref`` used twice in one statement gets ``/2``, ``/3``... on its
    later uses, so that two genuinely identical payments stay two lines."""
    seen: dict[str, int] = {}
    out: list[BankLine] = []
    for line in lines:
        count = seen.get(line.bank_ref, 0) + 1
        seen[line.bank_ref] = count
        out.append(line if count == 1 else replace(line, bank_ref=f"{line.bank_ref}/{count}"))
    return out


def distinct_ids(ids: Sequence[str]) -> list[str]:
    """Statement ids made distinct within one file (a repeated id gets ``#2``, ``#3``...)."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for ident in ids:
        count = seen.get(ident, 0) + 1
        seen[ident] = count
        out.append(ident if count == 1 else f"{ident}#{count}")
    return out


def squeeze(text: str) -> str:
    """Runs of whitespace as one space, trimmed: fixed-width text pieces rejoined."""
    return " ".join(text.split())
