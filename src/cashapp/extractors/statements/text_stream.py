"""A text statement file read incrementally: bytes or a path in, decoded text out in pieces
that end at line breaks, so that a reader holds one piece (about 1 MB) at a time, never the
whole file.

The choice of encoding is the whole file's, as the one-shot decoders make it (UTF-8 when
every byte of the file is valid UTF-8, else Windows-1252, else Latin-1 when the file holds
one of the five bytes CP1252 leaves undefined): a first pass over the bytes (``sniff``)
settles it, and refuses NUL or binary bytes with their line, before any record is read.
A piece never splits a ``\\r\\n`` pair nor a multi-byte character (pieces end at a break).

``statement_lines`` turns a reader's statements, produced one at a time as the file is read,
into the ``iter_lines`` stream every text reader offers, holding a statement back until the
next one is complete (see its docstring for the contract).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine, Statement
from cashapp.extractors.statements.fixed_width import BINARY
from cashapp.extractors.statements.fixed_width import physical_lines as whole_text_lines

CHUNK_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")

Source = bytes | Path


@contextmanager
def opened(data: Source) -> Iterator[BinaryIO]:
    """The file as a binary stream (bytes are wrapped, not copied)."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            yield handle
    else:
        yield BytesIO(data)


def head_of(data: Source, size: int = 8192) -> bytes:
    """The file's first ``size`` bytes."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            return handle.read(size)
    return data[:size]


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the first pass found: the encoding to read the whole file with."""

    encoding: str
    size: int  # bytes, BOM excluded
    watched: bool = False  # the ``watch`` bytes occur in the file


def sniff(
    data: Source,
    *,
    source: str,
    refuse: re.Pattern[bytes] | None = None,
    refuse_within: int | None = None,
    refusal: str = "NUL byte: not a text statement",
    watch: bytes = b"",
    declared: str | None = None,
) -> Sniffed:
    """One pass over the bytes: the file's encoding, and ``refuse`` (a pattern of bytes no
    text statement holds) checked in the first ``refuse_within`` bytes after the BOM (all of
    them when ``None``); ``refusal`` is the message, ``{byte}`` the byte found in hex.
    Whether ``watch`` occurs anywhere is reported too. ``declared``: an encoding the file
    names for itself, chosen when the whole file decodes with it."""
    utf8: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-8")()
    own: codecs.IncrementalDecoder | None = None
    if declared:
        try:
            own = codecs.getincrementaldecoder(declared)()
        except LookupError:
            own = None
    undefined = False
    lines_before = 0
    offset = 0
    watched = False
    tail = b""
    with opened(data) as stream:
        first = stream.read(3)
        pending = b"" if first == _BOM else first
        while True:
            chunk = pending + stream.read(CHUNK_BYTES)
            pending = b""
            if not chunk:
                break
            if refuse is not None and (refuse_within is None or offset < refuse_within):
                end = len(chunk) if refuse_within is None else min(len(chunk), refuse_within - offset)
                found = refuse.search(chunk, 0, end)
                if found is not None:
                    line = lines_before + chunk.count(b"\n", 0, found.start()) + 1
                    message = refusal.format(byte=f"{chunk[found.start()]:02x}")
                    raise StatementParseError(message, file=source, line=line)
                lines_before += chunk.count(b"\n")
            offset += len(chunk)
            if own is not None:
                try:
                    own.decode(chunk)
                except UnicodeDecodeError:
                    own = None
            if watch and not watched:
                watched = watch in tail + chunk[: len(watch)] or watch in chunk
                tail = chunk[-len(watch) + 1 :] if len(watch) > 1 else b""
            ascii_only = chunk.isascii()
            # an ASCII chunk is valid UTF-8, unless it follows a character cut in two
            if utf8 is not None and not (ascii_only and not utf8.getstate()[0]):
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = None
            if not undefined and not ascii_only and _CP1252_UNDEFINED.search(chunk):
                undefined = True
    for name in ("own", "utf8"):
        decoder = own if name == "own" else utf8
        if decoder is not None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                if name == "own":
                    own = None
                else:
                    utf8 = None
    if own is not None and declared:
        return Sniffed(declared, offset, watched)
    encoding = "utf-8" if utf8 is not None else "latin-1" if undefined else "cp1252"
    return Sniffed(encoding, offset, watched)


def text_chunks(
    data: Source, encoding: str, chunk_bytes: int | None = None, *, cut_after: bytes = b""
) -> Iterator[str]:
    """The file's text (BOM dropped) in pieces that each end just after a line break, or
    after a byte of ``cut_after`` (``b">"`` for markup: a tag is then never split), the
    last piece at the end of the file. A line longer than a piece is kept whole."""
    size = chunk_bytes or CHUNK_BYTES
    decoder = codecs.getincrementaldecoder(encoding)()
    with opened(data) as stream:
        first = stream.read(3)
        buffer = b"" if first == _BOM else first
        while True:
            more = stream.read(size)
            buffer += more
            if not more:
                text = decoder.decode(buffer, final=True)
                if text:
                    yield text
                return
            # a trailing \r may be the first half of \r\n: keep it for the next piece
            search_end = len(buffer) - 1 if buffer.endswith(b"\r") else len(buffer)
            cut = max(buffer.rfind(b"\n", 0, search_end), buffer.rfind(b"\r", 0, search_end))
            for mark in cut_after:
                cut = max(cut, buffer.rfind(bytes((mark,)), 0, search_end))
            if cut < 0:
                continue
            yield decoder.decode(buffer[: cut + 1])
            buffer = buffer[cut + 1 :]


def physical_lines(pieces: Iterator[str]) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for every physical line of the pieces, 1-based, as
    ``fixed_width.physical_lines`` numbers them on the whole text (breaks ``\\r\\n``, ``\\n``
    or a lone ``\\r``; the empty line after a final break included)."""
    number = 0
    last = ""
    seen = False
    for piece in pieces:
        # a piece ending with \n: its empty remainder is not a line (the next piece goes on)
        drop_empty_tail = piece.endswith("\n")
        held: tuple[int, str] | None = None
        for local, text in whole_text_lines(piece):
            if held is not None:
                yield held
            held = (number + local, text)
        assert held is not None
        if drop_empty_tail:
            number = held[0] - 1
        else:
            yield held
            number = held[0]
        seen = True
        last = piece
    # the whole-text reader ends with the line after the last break (empty) or the last line
    if not seen or last.endswith("\n"):
        yield number + 1, ""


def fixed_width_lines(data: Source, *, source: str) -> Iterator[tuple[int, str]]:
    """The physical lines of a record-oriented file (CFONB120, CODA, BAI2), decoded as
    ``fixed_width.decode_text`` decodes the whole file: binary bytes in the first MB refused."""
    sniffed = sniff(
        data,
        source=source,
        refuse=BINARY,
        refuse_within=1 << 20,
        refusal="binary byte 0x{byte} in a text bank file",
    )
    return physical_lines(text_chunks(data, sniffed.encoding))


def statement_lines(statements: Iterator[Statement]) -> Iterator[tuple[int, BankLine]]:
    """``(statement index, line)`` for the lines of each statement, a statement's lines handed
    out only once the statement after it is complete, or the file has been read to its end
    and passed the end-of-file checks: a truncated file raises before the lines of its last
    statement. At most two statements are held."""
    pending: Statement | None = None
    index = -1
    for statement in statements:
        if pending is not None:
            for line in pending.lines:
                yield index, line
        pending, index = statement, index + 1
    if pending is not None:
        for line in pending.lines:
            yield index, line
