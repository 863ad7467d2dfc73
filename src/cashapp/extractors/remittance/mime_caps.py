"""Caps on an email BEFORE it is parsed: raw size, number of MIME parts, nesting depth.

The stdlib parser recurses once per nesting level and is slow on huge part counts (a
3000-deep message raises ``RecursionError``, a 200 000-part one takes 46 s: RELIABILITY.md
3.5). This pre-scan reads the raw bytes once, line by line: every ``boundary=`` parameter
declares a multipart container; a ``--boundary`` line opens a part of that container (the
container is pushed on a stack when first seen, siblings pop back to it, ``--boundary--``
closes it). It counts parts and the deepest stack, and stops at the first cap exceeded, so
a bomb is refused in well under a second. ``message/rfc822`` parts count towards depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cashapp.core.errors import FileTooLargeError, RemittanceParseError

MAX_EMAIL_BYTES = 25 * 1024 * 1024
MAX_PARTS = 200
MAX_DEPTH = 10

_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.IGNORECASE)
_RFC822 = re.compile(rb"^content-type:\s*message/(?:rfc822|global)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MimeShape:
    """What the pre-scan counted."""

    parts: int
    depth: int
    forwarded: int


def prescan(
    data: bytes,
    *,
    source: str,
    max_bytes: int = MAX_EMAIL_BYTES,
    max_parts: int = MAX_PARTS,
    max_depth: int = MAX_DEPTH,
) -> MimeShape:
    """Refuse ``data`` (``RemittanceParseError`` / ``FileTooLargeError``) if over a cap."""
    if len(data) > max_bytes:
        raise FileTooLargeError(
            f"email is {len(data)} bytes, over the {max_bytes} byte cap", file=source
        )
    boundaries: set[bytes] = set()
    for match in _BOUNDARY.finditer(data):
        boundaries.add(match.group(1) or match.group(2))
        if len(boundaries) > max_parts:
            raise RemittanceParseError(
                f"email declares more than {max_parts} multipart containers", file=source
            )
    stack: list[bytes] = []
    parts = 0
    forwarded = 0
    deepest = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line[:1] == b"c" or line[:1] == b"C":
            if _RFC822.match(line):
                forwarded += 1
                if forwarded > max_depth:
                    raise RemittanceParseError(
                        f"more than {max_depth} nested forwarded messages", file=source, line=number
                    )
            continue
        if not line.startswith(b"--"):
            continue
        token = line[2:].rstrip()
        closing = token.endswith(b"--") and token[:-2] in boundaries
        if closing:
            token = token[:-2]
        elif token not in boundaries:
            continue
        if token in stack:
            del stack[stack.index(token) + 1 :]
            if closing:
                stack.pop()
                continue
        elif closing:
            continue
        else:
            stack.append(token)
        parts += 1
        deepest = max(deepest, len(stack))
        if parts > max_parts:
            raise RemittanceParseError(
                f"email has more than {max_parts} MIME parts", file=source, line=number
            )
        if deepest > max_depth:
            raise RemittanceParseError(
                f"email nests MIME parts deeper than {max_depth}", file=source, line=number
            )
    return MimeShape(parts=parts, depth=deepest, forwarded=forwarded)
