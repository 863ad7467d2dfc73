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
"""

from __future__ import annotations

import re
from typing import NoReturn

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import StatementFile
from cashapp.extractors.statements.mt940_fields import balance_uses_dot
from cashapp.extractors.statements.mt940_statement import (
    MT942_TAGS,
    Field,
    assemble,
    build_statements,
)
from cashapp.extractors.statements.statement_text import decode_text, gc_paused

name = "mt940"

MAX_LINE_CHARS = 1024

_KNOWN = r"13D?|20|21|25P?|28C?|34F|60[FM]|61|62[FM]|64|65F?|86|90[CD]|NS[A-Z]?"
# A field tag (known, or any 2 digits + letter) at a line start, or a message separator line.
# A separator is a line ``-`` (``-}``, ``-XXX``); but ING wraps ``:86:`` text onto lines that
# hold only ``-``: after a ``:86:``, a ``-`` followed by more text and no ``:20:`` continues it.
_TOKEN = re.compile(rf"^(?::({_KNOWN}|\d\d[A-Z]|86 ):|-(?:[}}\u00e5].*|XXX)?[ \t]*$)", re.M)
# Framing characters some banks wrap files in (SOH, STX, ETX, EOT, SUB): not part of the text.
_FRAMING = dict.fromkeys((0x01, 0x02, 0x03, 0x04, 0x1A))
_ONCE_TAGS = frozenset({"25", "28C", "28", "60F", "60M", "62F", "62M", "64"})
_IDENTIFY = re.compile(
    rb"(?m)^[\x01\s{}:A-Za-z0-9]*?(?:@@)?:(?:20|25|28C?|60[FM]|61|62[FM]|64|65|34F|86|NS):"
)
_LONG_LINE = re.compile(rf"^[^\n]{{{MAX_LINE_CHARS + 1}}}", re.M)


def identify(head: bytes) -> bool:
    """SWIFT field tags at line starts (and not XML or OFX)."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x01")
    if stripped.startswith((b"<", b"OFXHEADER")):
        return False
    return _IDENTIFY.search(head[:8192]) is not None


def extract(data: bytes, *, source: str) -> StatementFile:
    """Read every statement of an MT940/MT942 file."""
    text = decode_text(data, source=source)
    with gc_paused():
        return _Reader(text, source).read()


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "@@" in text and re.search(r"@@:\d\d", text):
            text = text.replace("@@", "\n")
        text = text.translate(_FRAMING)
        self.text = text
        self.source = source
        self.dot = False
        # split + max is three times faster than a regex scan; the regex only finds the line
        if len(text) > MAX_LINE_CHARS and max(map(len, text.split("\n"))) > MAX_LINE_CHARS:
            long_line = _LONG_LINE.search(text)
            assert long_line is not None
            self.fail(long_line.start(), f"line longer than {MAX_LINE_CHARS} characters")

    def fail(self, offset: int, message: str) -> NoReturn:
        line = self.text.count("\n", 0, offset) + 1
        raise StatementParseError(message, file=self.source, line=line)

    def read(self) -> StatementFile:
        messages = self.messages()
        if not messages:
            self.fail(len(self.text), "no MT940 fields found")
        first_balance = next(
            (value for _, tag, value in (f for m in messages for f in m) if tag in ("60F", "60M")),
            None,
        )
        self.dot = first_balance is not None and balance_uses_dot(first_balance)
        drafts = [
            assemble(message, index, dot=self.dot, fail=self.fail)
            for index, message in enumerate(messages)
        ]
        statements = build_statements(drafts)
        is_942 = any(tag in MT942_TAGS for m in messages for _, tag, _ in m)
        return StatementFile(format="mt942" if is_942 else "mt940", statements=statements)

    def messages(self) -> list[list[Field]]:
        """Fields ``(offset, tag, value)`` grouped per message."""
        text = self.text
        messages: list[list[Field]] = []
        current: list[Field] = []
        matches = list(_TOKEN.finditer(text))
        for i, match in enumerate(matches):
            tag = match.group(1)
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            if tag is None:  # separator
                if _continues_details(current, text, match.end(), end, matches, i):
                    offset, last, value = current[-1]
                    current[-1] = (offset, last, f"{value}\n{text[match.start() : end].rstrip()}")
                elif current:
                    messages.append(current)
                    current = []
                continue
            value = text[match.end() : end]
            if value.endswith("\n"):
                value = value.rstrip("\n")
            tag = tag.strip()
            if current and (tag == "20" or (tag in _ONCE_TAGS and _fragment_repeats(current, tag))):
                messages.append(current)
                current = []
            current.append((match.start(), tag, value))
        if current:
            messages.append(current)
        return [m for m in messages if any(tag != "NS" for _, tag, _ in m)]


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


