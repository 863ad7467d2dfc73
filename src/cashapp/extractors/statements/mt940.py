"""SWIFT MT940 (customer statement) and MT942 (interim transaction report) reader.

A regex tokenizer finds the field tags at line starts (``:20: :21: :25: :28C: :60F: :60M:
:61: :86: :62F: :62M: :64: :65: :NS: :34F: :13D: :90D: :90C:``); a line that does not start
with a known tag continues the previous field (``:86:`` text may hold ``:12:`` from a wrapped
time). SWIFT block headers (``{1:...}{2:...}{4:``), ``-}`` trailers, ``-`` separators,
``@@`` line marks (Postbank) and CR-only line ends are accepted. A message runs from ``:20:``
to the next ``:20:`` or separator; tags before any ``:20:`` form one fragment statement.

Lines longer than 1024 characters are refused (SWIFT lines hold 65). A file whose opening
balance is written with a ``.`` (the old Rabobank layout) is read in that mode throughout.
Malformed input raises ``StatementParseError`` naming the line, before anything is
returned: no partial statements, no phantom lines. Each message is assembled and checked
by ``mt940_statement``, its ``:86:`` dialects read by ``mt940_details``, field values by
``mt940_fields``.

The file is read in pieces (``text_stream``), never decoded whole: ``extract`` returns every
statement; ``iter_lines`` hands the lines out statement by statement in flat memory (its
docstring says what it holds and when lines are handed out).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine, Statement, StatementFile
from cashapp.extractors.statements.mt940_fields import (
    balance_uses_dot,
    has_bank_reference,
    line_references,
)
from cashapp.extractors.statements.mt940_statement import (
    MT942_TAGS,
    Fail,
    Field,
    assemble,
    build_statement,
    build_statements,
    may_name_line,
    message_account,
)
from cashapp.extractors.statements.statement_text import SeenKeys, gc_paused
from cashapp.extractors.statements.text_stream import (
    sniff,
    statement_lines,
    text_chunks,
)

name = "mt940"

MAX_LINE_CHARS = 1024

_KNOWN = r"13D?|20|21|25P?|28C?|34F|60[FM]|61|62[FM]|64|65F?|86|90[CD]|NS[A-Z]?"
# A field tag (known, or any 2 digits + letter) at a line start, or a message separator line.
# A separator is a line ``-`` (``-}``, ``-XXX``); but ING wraps ``:86:`` text onto lines that
# hold only ``-``: after a ``:86:``, a ``-`` followed by more text and no ``:20:`` continues it.
# It is searched in the text with a "\n" put before it: a line start is then "\n" (a literal the
# regex engine finds fast) rather than "^" (tried at every character: a third of the read).
_TOKEN = re.compile(rf"\n(?::({_KNOWN}|\d\d[A-Z]|86 ):|-(?:[}}\u00e5].*|XXX)?[ \t]*$)", re.M)
# Framing characters some banks wrap files in (SOH, STX, ETX, EOT, SUB): not part of the text.
_FRAMING = dict.fromkeys((0x01, 0x02, 0x03, 0x04, 0x1A))
_FRAMING_CHARS = tuple(map(chr, _FRAMING))
_ONCE_TAGS = frozenset({"25", "28C", "28", "60F", "60M", "62F", "62M", "64"})
_IDENTIFY = re.compile(
    rb"(?m)^[\x01\s{}:A-Za-z0-9]*?(?:@@)?:(?:20|25|28C?|60[FM]|61|62[FM]|64|65|34F|86|NS):"
)
_LONG_LINE = re.compile(rf"^[^\n]{{{MAX_LINE_CHARS + 1}}}", re.M)
_AT_MARK = re.compile(r"@@:\d\d")
_NUL = re.compile(rb"\x00")


def identify(head: bytes) -> bool:
    """SWIFT field tags at line starts (and not XML or OFX)."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x01")
    if stripped.startswith((b"<", b"OFXHEADER")):
        return False
    return _IDENTIFY.search(head[:8192]) is not None


def extract(data: bytes, *, source: str) -> StatementFile:
    """Read every statement of an MT940/MT942 file."""
    with gc_paused():
        fields = _Fields(data, source)
        messages = list(fields.messages())
        if not messages:
            fields.fail_at_end("no MT940 fields found")
        dot = bool(_dot_mode(messages))
        fail = _failer(source)
        drafts = [
            assemble(message, index, dot=dot, fail=fail) for index, message in enumerate(messages)
        ]
        statements = build_statements(drafts)
    is_942 = any(tag in MT942_TAGS for m in messages for _, tag, _ in m)
    return StatementFile(format="mt942" if is_942 else "mt940", statements=statements)


def iter_lines(data: bytes | Path, *, source: str) -> Iterator[tuple[int, BankLine]]:
    """(statement index, line), the lines and keys of ``extract``, read incrementally (give a
    path to avoid holding the file in memory). Balances, headers and warnings are only in
    ``extract``'s result.

    The file is read twice: once for what a line's key depends on in the whole file (the
    decimal mark of the first opening balance; which customer references name one line
    alone), then message by message. Memory holds two messages and, for the file, the keys
    given so far (about 100 bytes a line: a repeated reference must get ``#2``) and the
    customer references of lines without a bank reference: it grows with the number of
    lines, by that much, not with the file's text.

    Contract: a statement's lines are handed out once its message is read and checked (a
    ``:60F:`` without ``:62F:`` is refused) and the next message is complete too, or the
    file has ended cleanly: a truncated file raises before the lines of its last statement.
    An error later in the file still raises after earlier statements' lines were handed
    out: a consumer that imports must discard what it received when the iterator raises
    (no partial import).
    """
    return statement_lines(_statements(data, source))


def _statements(data: bytes | Path, source: str) -> Iterator[Statement]:
    fields = _Fields(data, source)
    dot: bool | None = None
    customer_refs: Counter[tuple[str, str]] = Counter()
    found = False
    for message in fields.messages():
        found = True
        if dot is None:
            dot = _dot_mode([message], default=None)
        account = message_account(message)
        for _, tag, value in message:
            if (
                tag == "61"
                and not has_bank_reference(value)  # most lines: the regex is not needed
                and (refs := line_references(value))
                and may_name_line(*refs)
            ):
                customer_refs[(account, refs[0])] += 1
    if not found:
        fields.fail_at_end("no MT940 fields found")
    seen = SeenKeys()
    fail = _failer(source)
    for index, message in enumerate(fields.messages()):
        with gc_paused():  # not across the yield: the consumer runs with the collector on
            draft = assemble(message, index, dot=bool(dot), fail=fail)
            statement = build_statement(draft, customer_refs, seen)
        yield statement


def _dot_mode(messages: list[list[Field]], default: bool | None = False) -> bool | None:
    """The old Rabobank layout: the file's first opening balance is written with a ``.``."""
    first_balance = next(
        (value for _, tag, value in (f for m in messages for f in m) if tag in ("60F", "60M")),
        None,
    )
    return default if first_balance is None else balance_uses_dot(first_balance)


def _failer(source: str) -> Fail:
    def fail(line: int, message: str) -> NoReturn:
        raise StatementParseError(message, file=source, line=line)

    return fail


class _Fields:
    """The file's fields ``(line number, tag, value)`` grouped per message, read piece by
    piece; the text is normalised as a whole file would be (line ends, ``@@`` marks when the
    file uses them, framing characters) and a line over ``MAX_LINE_CHARS`` is refused."""

    def __init__(self, data: bytes | Path, source: str) -> None:
        self.data = data
        self.source = source
        sniffed = sniff(data, source=source, refuse=_NUL, watch=b"@@")
        self.encoding = sniffed.encoding
        self.at_marks = sniffed.watched and any(
            "@@" in piece and _AT_MARK.search(piece) for piece in self._pieces(raw=True)
        )
        self.lines = 1

    def _pieces(self, *, raw: bool = False) -> Iterator[str]:
        for piece in text_chunks(self.data, self.encoding):
            if "\r" in piece:
                piece = piece.replace("\r\n", "\n").replace("\r", "\n")
            if raw:
                yield piece
                continue
            if self.at_marks:
                piece = piece.replace("@@", "\n")
            if any(char in piece for char in _FRAMING_CHARS):  # rare: translate is slow
                piece = piece.translate(_FRAMING)
            yield piece

    def fail_at_end(self, message: str) -> NoReturn:
        raise StatementParseError(message, file=self.source, line=self.lines)

    def messages(self) -> Iterator[list[Field]]:
        """Each message with a field other than ``:NS:``, as soon as it ends."""
        current: list[Field] = []
        carry, line = "", 1  # the text from the last field on, not read yet; its line
        pieces = self._pieces()
        while True:
            piece = next(pieces, None)
            final = piece is None
            if piece is not None:
                self._check_lengths(piece, line + carry.count("\n"))
            text = carry + (piece or "")
            # in "\n" + text, a match's start is its line start in text, its end one past
            matches = list(_TOKEN.finditer("\n" + text))
            count = len(matches)
            upto = count if final else count - 1
            at = 0
            for i in range(upto):
                match = matches[i]
                start = match.start()
                line += text.count("\n", at, start)
                at = start
                tag = match.group(1)
                end = matches[i + 1].start() if i + 1 < count else len(text)
                if tag is None:  # separator
                    if _continues_details(current, text, match.end() - 1, end, matches, i):
                        number, last, value = current[-1]
                        current[-1] = (number, last, f"{value}\n{text[start:end].rstrip()}")
                    elif current:
                        if any(t != "NS" for _, t, _ in current):
                            yield current
                        current = []
                    continue
                value = text[match.end() - 1 : end].rstrip("\n")
                if tag == "86 ":
                    tag = "86"
                if current and (
                    tag == "20" or (tag in _ONCE_TAGS and _fragment_repeats(current, tag))
                ):
                    if any(t != "NS" for _, t, _ in current):
                        yield current
                    current = []
                current.append((line, tag, value))
            if final:
                self.lines = line + text.count("\n", at)
                break
            if matches:
                line += text.count("\n", at, matches[-1].start())
                carry = text[matches[-1].start() :]
            else:  # text before any field: not part of one
                line += text.count("\n")
                carry = ""
        if current and any(t != "NS" for _, t, _ in current):
            yield current

    def _check_lengths(self, piece: str, first_line: int) -> None:
        # split + max is three times faster than a regex scan; the regex only finds the line
        if len(piece) > MAX_LINE_CHARS and max(map(len, piece.split("\n"))) > MAX_LINE_CHARS:
            long_line = _LONG_LINE.search(piece)
            assert long_line is not None
            line = first_line + piece.count("\n", 0, long_line.start())
            raise StatementParseError(
                f"line longer than {MAX_LINE_CHARS} characters", file=self.source, line=line
            )


def _continues_details(
    current: list[Field],
    text: str,
    start: int,
    end: int,
    matches: list[re.Match[str]],
    i: int,
) -> bool:
    """Whether the ``-`` line at ``matches[i]`` is ``:86:`` text (ING) rather than a separator."""
    if not current or current[-1][1] != "86" or not text[start:end].strip():
        return False
    following = matches[i + 1].group(1) if i + 1 < len(matches) else None
    return following not in (None, "20") and not text[start:end].lstrip().startswith("{")


def _fragment_repeats(current: list[Field], tag: str) -> bool:
    """In a fragment (tags without ``:20:``), a second balance or account starts a new one."""
    if any(t == "20" for _, t, _ in current):
        return False
    twins = {tag, tag[:2] + ("M" if tag.endswith("F") else "F")} if len(tag) == 3 else {tag}
    return any(t in twins for _, t, _ in current)


