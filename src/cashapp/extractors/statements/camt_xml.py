"""The hardened XML layer under the camt reader: no DTD, no entities, no network, streaming.

ISO 20022 messages never need a DTD, so any ``<!DOCTYPE`` or ``<!ENTITY`` in the prolog is
refused before lxml sees a byte (RELIABILITY.md 3.2); the parser itself is built with
``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False`` as a second
line, and the document's DOCTYPE is checked again once the root has been read.

``find_message`` locates the camt message element (``BkToCstmrStmt``, ``BkToCstmrAcctRpt``,
``BkToCstmrDbtCdtNtfctn``) and its namespace; ``stream`` then walks the document with
``iterparse`` and hands each ``Ntry`` and each statement element to the reader, which
clears them, so memory does not grow with the file.

Plain read (``plain_root``, ``stream(..., plain=...)``): most files declare the camt
namespace once, as the root's default namespace, and use no prefixes. Such a file is parsed
with that one attribute blanked (spaces, line breaks kept), so lxml hands out short tags
(``Ntry``, not ``{urn:...}Ntry``): a sixth of the reader's time. Same parser, same options,
same DTD checks; the bytes are checked as they are fed, and any other namespace
declaration, prefixed element name or syntax error raises ``NotPlain`` before the parser
sees it: the caller then reads the file again as it is.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from cashapp.core.errors import StatementParseError

# camt message element -> (message number, statement element)
MESSAGES: dict[str, tuple[str, str]] = {
    "BkToCstmrStmt": ("053", "Stmt"),
    "BkToCstmrAcctRpt": ("052", "Rpt"),
    "BkToCstmrDbtCdtNtfctn": ("054", "Ntfctn"),
}
_NAMESPACE_VERSION = re.compile(r"camt\.(05[234])\.001\.(\d{2})")
_PROLOG_DANGER = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_PROLOG_SCAN = 64 * 1024  # a prolog longer than this is refused as well


def parser_options() -> dict[str, object]:
    """The hardened parser settings (also what the benchmark's raw ceiling parses with)."""
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": False,
        "remove_comments": False,
        "dtd_validation": False,
    }


def refuse_dtd(data: bytes, *, source: str) -> None:
    """Raise unless the prolog (before the root element) is free of DOCTYPE/ENTITY."""
    head = data[:_PROLOG_SCAN]
    text = _ascii_view(head)
    root = _ROOT_START.search(text)
    prolog = text if root is None else text[: root.start()]
    danger = _PROLOG_DANGER.search(prolog)
    if danger:
        raise StatementParseError(
            "DTD forbidden: camt files never carry a DOCTYPE or ENTITY declaration",
            file=source,
            line=prolog[: danger.start()].count(b"\n") + 1,
        )
    if root is None and len(data) > _PROLOG_SCAN:
        raise StatementParseError("no root element in the first 64 KB", file=source)


def _ascii_view(head: bytes) -> bytes:
    """The head as ASCII-compatible bytes, whatever UTF-16/32 it may be written in."""
    if head[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00") or head[:4] in (
        b"\x00\x00\x00<",
        b"<\x00\x00\x00",
    ):
        codec = "utf-32"
        if not head.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
            codec = "utf-32-be" if head[0] == 0 else "utf-32-le"
    elif head[:2] in (b"\xfe\xff", b"\xff\xfe") or head[:2] in (b"\x00<", b"<\x00"):
        codec = "utf-16"
        if not head.startswith((b"\xfe\xff", b"\xff\xfe")):
            codec = "utf-16-be" if head[0] == 0 else "utf-16-le"
    else:
        return head
    return head.decode(codec, errors="replace").encode("ascii", errors="replace")


@dataclass(frozen=True, slots=True)
class Message:
    """Where the camt message is: its namespace (``""`` when none), number and version."""

    namespace: str
    number: str  # "053", "052", "054"
    version: str | None  # "02", "08"... None without a namespace
    message_tag: str | None  # local name of the message element; None for an empty Document

    @property
    def format(self) -> str:
        base = f"camt.{self.number}"
        return f"{base}.001.{self.version}" if self.version else base

    @property
    def statement_tag(self) -> str:
        return MESSAGES[self.message_tag][1] if self.message_tag else "Stmt"

    def tag(self, local: str) -> str:
        return f"{{{self.namespace}}}{local}" if self.namespace else local


def syntax_error(exc: etree.XMLSyntaxError, *, source: str) -> StatementParseError:
    """lxml's complaint as our documented error, with the line it gives."""
    message = (exc.msg or str(exc)).strip()
    line = exc.lineno if exc.lineno and exc.lineno > 0 else None
    if "Document is empty" in message or "Start tag expected" in message:
        message = "not an XML document"
    return StatementParseError(f"malformed XML: {message}", file=source, line=line)


def _check_doctype(tree: etree._ElementTree, *, source: str) -> None:
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise StatementParseError("DTD forbidden: the document declares a DOCTYPE", file=source)


def _input(data: bytes | Path) -> io.BytesIO | str:
    return io.BytesIO(data) if isinstance(data, bytes) else str(data)


def head_of(data: bytes | Path) -> bytes:
    """The first bytes (what ``refuse_dtd`` and ``identify`` look at)."""
    if isinstance(data, bytes):
        return data[: _PROLOG_SCAN + 1]
    with data.open("rb") as handle:
        return handle.read(_PROLOG_SCAN + 1)


def find_message(data: bytes | Path, *, source: str) -> Message:
    """Read just far enough to find the camt message element and its namespace."""
    events = etree.iterparse(_input(data), events=("start",), **parser_options())
    depth_seen = 0
    document_ns: str | None = None
    try:
        for _, element in events:
            if depth_seen == 0:
                _check_doctype(element.getroottree(), source=source)
            depth_seen += 1
            tag = element.tag
            if not isinstance(tag, str):
                continue
            qname = etree.QName(tag)
            if qname.localname in MESSAGES:
                return _message(qname.namespace or "", qname.localname, source=source)
            if qname.localname == "Document" and document_ns is None:
                document_ns = qname.namespace or ""
            if depth_seen > 64:
                break
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, source=source) from None
    if document_ns is not None and _NAMESPACE_VERSION.search(document_ns):
        match = _NAMESPACE_VERSION.search(document_ns)
        assert match is not None
        return Message(document_ns, match.group(1), match.group(2), None)
    raise StatementParseError(
        "not an ISO 20022 camt.052/053/054 message: no BkToCstmrStmt, BkToCstmrAcctRpt or "
        "BkToCstmrDbtCdtNtfctn element"
        + (f" (Document namespace {document_ns!r})" if document_ns else ""),
        file=source,
    )


def _message(namespace: str, local: str, *, source: str) -> Message:
    number = MESSAGES[local][0]
    if not namespace:
        return Message("", number, None, local)
    match = _NAMESPACE_VERSION.search(namespace)
    if match is None:
        raise StatementParseError(
            f"not an ISO 20022 camt namespace: {namespace!r}", file=source, element=local
        )
    if match.group(1) != number:
        raise StatementParseError(
            f"{local} in a camt.{match.group(1)} namespace", file=source, element=local
        )
    return Message(namespace, number, match.group(2), local)


def stream(
    data: bytes | Path, message: Message, *, source: str, plain: Plain | None = None
) -> Iterator[etree._Element]:
    """Yield each ``Ntry`` and each statement element as it ends (entries first).

    With ``plain`` (``plain_root``), the file is read with its root's default namespace
    declaration blanked, so every element comes without a namespace (tags ``Ntry``, not
    ``{urn:...}Ntry``); the first sign that this is not the same document (another
    namespace declaration, a prefixed element name, a syntax error) raises ``NotPlain``
    and the caller reads the file again as it is. The caller must free what it was given
    (``release_entry``, ``release_statement``).
    """
    if plain is None:
        tags = (message.tag("Ntry"), message.tag(message.statement_tag))
        handle: io.BytesIO | BinaryIO | None = None
        read_from: io.BytesIO | str | _PlainReader = _input(data)
    else:
        tags = ("Ntry", message.statement_tag)
        handle = io.BytesIO(data) if isinstance(data, bytes) else data.open("rb")
        read_from = _PlainReader(handle, plain)
    try:
        events = etree.iterparse(read_from, events=("end",), tag=tags, **parser_options())
        checked = False
        for _, element in events:
            if not checked:
                _check_doctype(element.getroottree(), source=source)
                checked = True
            yield element
    except etree.XMLSyntaxError as exc:
        if plain is not None:
            raise NotPlain from None  # the error as the file gives it, from a plain read
        raise syntax_error(exc, source=source) from None
    finally:
        if handle is not None:
            handle.close()


class NotPlain(Exception):
    """A plain read (``stream`` with ``plain``) met something it cannot promise to read as
    the file itself reads: start again without ``plain``."""


@dataclass(frozen=True, slots=True)
class Plain:
    """Where the root's ``xmlns="..."`` is (bytes ``blank_from`` to ``blank_to``) and where
    its start tag ends (``body``): what ``_PlainReader`` blanks and checks after."""

    blank_from: int
    blank_to: int
    body: int


# the head of a file whose namespace can be blanked: an optional UTF-8 BOM and XML
# declaration, comments, processing instructions and white space, then the root's start tag
_PLAIN_HEAD = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:<\?xml(?P<decl>[^<>]*)\?>)?"
    rb"(?:[ \t\r\n]|<!--(?:[^-]|-[^-])*-->|<\?(?![Xx][Mm][Ll][\s?])[A-Za-z_][^?]*(?:\?[^>][^?]*)*\?>)*"
    rb"<[A-Za-z_][A-Za-z0-9_.\-]*(?P<attrs>(?:[ \t\r\n]+[^\s=/<>]+[ \t\r\n]*=[ \t\r\n]*"
    rb"(?:\"[^\"<]*\"|'[^'<]*'))*)[ \t\r\n]*>"
)
_ATTRIBUTE = re.compile(
    rb"[ \t\r\n]+(?P<name>[^\s=/<>]+)[ \t\r\n]*=[ \t\r\n]*(?:\"(?P<dq>[^\"<]*)\"|'(?P<sq>[^'<]*)')"
)
_DECLARED_ENCODING = re.compile(rb"encoding[ \t\r\n]*=[ \t\r\n]*[\"']([A-Za-z0-9._\-]+)[\"']")
# where "<", ">", ":" and "xmlns" are those characters wherever the bytes occur
_PLAIN_ENCODINGS = frozenset(
    {
        b"utf-8",
        b"utf8",
        b"us-ascii",
        b"ascii",
        b"iso-8859-1",
        b"iso-8859-15",
        b"latin1",
        b"latin-1",
        b"windows-1252",
        b"cp1252",
    }
)
_NOT_A_NAME = re.compile(rb"[\s!?/>]")


def plain_root(head: bytes, message: Message) -> Plain | None:
    """The root's default namespace declaration, when it can be blanked for a faster read.

    Only in the plainest shape: UTF-8 or ASCII, nothing but an XML declaration before the
    root, whose start tag declares ``xmlns`` once, as the message's namespace, written
    out (no character reference). ``_PlainReader`` checks the rest of the file as it
    reads. ``None`` otherwise, and for a file without a namespace (plain already).
    """
    if not message.namespace or message.message_tag is None:
        return None
    found = _PLAIN_HEAD.match(head)
    if found is None:
        return None
    declaration = found.group("decl")
    if declaration is not None:
        encoding = _DECLARED_ENCODING.search(declaration)
        if encoding is not None and encoding.group(1).lower() not in _PLAIN_ENCODINGS:
            return None
    span: tuple[int, int] | None = None
    for attribute in _ATTRIBUTE.finditer(head, found.start("attrs"), found.end("attrs")):
        if attribute.group("name") != b"xmlns":
            continue
        value = (
            attribute.group("dq") if attribute.group("dq") is not None else attribute.group("sq")
        )
        if span is not None or value != message.namespace.encode("utf-8"):
            return None
        span = (attribute.start("name"), attribute.end())
    if span is None:
        return None
    return Plain(span[0], span[1], found.end())


class _PlainReader:
    """The file's bytes, in the pieces ``iterparse`` asks for, with the root's ``xmlns``
    blanked (spaces, line breaks kept: every line number stays); raises ``NotPlain``
    before handing over a piece that declares a namespace or names an element with a
    prefix (or might: ``xmlns`` or ``<p:`` anywhere, in text or comments too)."""

    __slots__ = ("_handle", "_last", "_name", "_plain", "_position")

    def __init__(self, handle: io.BytesIO | BinaryIO, plain: Plain) -> None:
        self._handle = handle
        self._plain = plain
        self._position = 0
        self._last = b""  # the end of the bytes checked so far (an ``xmlns`` across pieces)
        self._name: bytes | None = None  # "<" and what follows, while it may be a name

    def read(self, size: int) -> bytes:
        piece = self._handle.read(size)
        start = self._position
        self._position = end = start + len(piece)
        plain = self._plain
        if start < plain.blank_to:  # the root's start tag: blank its xmlns, check none after
            cut_from = max(plain.blank_from - start, 0)
            cut_to = min(plain.blank_to - start, len(piece))
            blanked = re.sub(rb"[^\r\n]", b" ", piece[cut_from:cut_to])
            piece = piece[:cut_from] + blanked + piece[cut_to:]
        if end <= plain.body:
            return piece
        body = piece if start >= plain.body else piece[plain.body - start :]
        joined = self._last + body[:4]
        if b"xmlns" in body or b"xmlns" in joined:
            raise NotPlain
        self._last = (joined + body[4:][-4:])[-4:]
        colon = body.find(b":")
        while colon >= 0:
            opened = body.rfind(b"<", 0, colon)
            if opened >= 0:
                name = body[opened:colon]
            elif self._name is not None:
                name = self._name + body[:colon]
            else:
                name = b""
            if name and _is_name(name):
                raise NotPlain  # <prefix:Name or </prefix:Name
            colon = body.find(b":", colon + 1)
        opened = body.rfind(b"<")
        if opened >= 0:
            name = body[opened:]
            self._name = name if _is_name(name) else None
        elif self._name is not None:
            self._name = self._name + body if _is_name(self._name + body) else None
        return piece


def _is_name(opened: bytes) -> bool:
    """Whether ``opened`` (from a ``<``) is a tag's start with nothing but its name so far."""
    return _NOT_A_NAME.search(opened, 2 if opened[1:2] == b"/" else 1) is None


def release_entry(entry: etree._Element, *, prune: bool = True) -> None:
    """Free a processed ``Ntry`` and (with ``prune``) the processed, emptied entries before
    it; the statement header (``Id``, ``Acct``, ``Bal``...) before the entries stays until
    the statement ends. Pruning every few hundred entries keeps memory flat as well."""
    entry.clear(keep_tail=False)
    if not prune:
        return
    tag = entry.tag
    parent = entry.getparent()
    if parent is None:
        return
    previous = entry.getprevious()
    while previous is not None and previous.tag == tag:
        parent.remove(previous)
        previous = entry.getprevious()


def release_statement(statement: etree._Element) -> None:
    """Free a processed statement element and everything before it."""
    statement.clear(keep_tail=False)
    parent = statement.getparent()
    if parent is not None:
        while statement.getprevious() is not None:
            del parent[0]
