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
from functools import lru_cache

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine

# Bytes that never occur in a text bank file (NUL, other C0 controls but tab/CR/LF/FF/SUB).
BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")


def decode_text(data: bytes, *, source: str) -> str:
    """The file's text: UTF-8 when it is valid UTF-8, else Windows-1252/Latin-1 (one char a byte).

    Binary content (a zip, a PDF, NUL bytes) is refused here, before any record is read.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    found = BINARY.search(data, 0, 1 << 20)
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


def first_line(head: bytes) -> str:
    """The first non-blank line of a file's head, decoded as ``decode_text`` would, for
    ``identify`` (a BOM and leading blank lines are skipped)."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    line = head.lstrip(b"\r\n").split(b"\n", 1)[0].rstrip(b"\r")
    for encoding in ("utf-8", "cp1252"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return line.decode("latin-1")


def physical_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for every physical line, without its line break; 1-based.

    A generator: the lines of a large file are never all held at once. Breaks are ``\r\n``,
    ``\n`` or a lone ``\r`` (never the Unicode breaks ``str.splitlines`` also honours, which
    would cut fixed-width records on a Latin-1 ``\x85``)."""
    number, start, length = 0, 0, len(text)
    has_cr = "\r" in text
    while True:
        end = text.find("\n", start)
        if end < 0:
            end = length
        line = text[start:end]
        if has_cr:
            if line.endswith("\r"):
                line = line[:-1]
            if "\r" in line:  # lone carriage returns: old Mac line ends
                *before, line = line.split("\r")
                for piece in before:
                    number += 1
                    yield number, piece
        number += 1
        yield number, line
        if end >= length:
            return
        start = end + 1


class StatementIds:
    """Statement ids made distinct within one file as they come (``#2``, ``#3``... on repeats)."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, ident: str) -> str:
        count = self._seen.get(ident, 0) + 1
        self._seen[ident] = count
        return ident if count == 1 else f"{ident}#{count}"


def is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also takes ``¹`` and other Unicode digits)."""
    return text.isascii() and text.isdigit()


@lru_cache(maxsize=8192)  # a file repeats the same few dates; errors are not cached
def ddmmyy(text: str) -> date | None:
    """A ``DDMMYY`` date (``000000`` and blanks mean none); years 69-99 are 19xx (POSIX)."""
    if not text.strip() or text == "000000":
        return None
    if not is_digits(text) or len(text) != 6:
        raise ValueError(f"not a DDMMYY date: {text!r}")
    return _make_date(int(text[4:6]), int(text[2:4]), int(text[0:2]), text)


@lru_cache(maxsize=8192)
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
