"""The hardened XML layer under the camt reader: no DTD, no entities, no network, streaming.

ISO 20022 messages never need a DTD, so any ``<!DOCTYPE`` or ``<!ENTITY`` in the prolog is
refused before lxml sees a byte (RELIABILITY.md 3.2); the parser itself is built with
``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False`` as a second
line, and the document's DOCTYPE is checked again once the root has been read.

``find_message`` locates the camt message element (``BkToCstmrStmt``, ``BkToCstmrAcctRpt``,
``BkToCstmrDbtCdtNtfctn``) and its namespace; ``stream`` then walks the document with
``iterparse`` and hands each ``Ntry`` and each statement element to the reader, which
clears them, so memory does not grow with the file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


def stream(data: bytes | Path, message: Message, *, source: str) -> Iterator[etree._Element]:
    """Yield each ``Ntry`` and each statement element as it ends (entries first).

    The caller must free what it was given (``release_entry``, ``release_statement``).
    """
    tags = (message.tag("Ntry"), message.tag(message.statement_tag))
    events = etree.iterparse(_input(data), events=("end",), tag=tags, **parser_options())
    checked = False
    try:
        for _, element in events:
            if not checked:
                _check_doctype(element.getroottree(), source=source)
                checked = True
            yield element
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, source=source) from None


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
