"""Remittance emails: ``.eml`` (stdlib ``email``, ``policy.default``) and Outlook ``.msg``.

Order of work, cheapest and safest first:
1. ``mime_caps.prescan`` refuses an email over 25 MB, 200 parts or 10 levels BEFORE parsing;
2. the message is parsed (``raise_on_defect`` off) and its defects counted;
3. the sender is checked (``email_trust``): unverified or defective means ``trusted=False``;
4. bodies are read: plain text (columns split on tabs, ``|`` or runs of blanks) and HTML
   (sanitised with nh3, then its tables); their ``Label: value`` facts (payment reference,
   date, total...) complete the attachments' remittances;
5. attachments: PDF (sandboxed ``pdf`` reader), CSV, XLSX; a forwarded message
   (``message/rfc822``) is read the same way, as sent by its own From.

An attachment that cannot be read does not lose the rest of the email: it is recorded as a
defect of the email's remittances (and only raised when nothing else could be read).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

from cashapp.core.errors import InputError, RemittanceParseError
from cashapp.domain.remittances import Remittance, RemittanceFile
from cashapp.extractors.remittance import pdf, tables
from cashapp.extractors.remittance.advice_rows import (
    AdviceFacts,
    NoAdviceFound,
    labels_only,
    rows_to_remittance,
)
from cashapp.extractors.remittance.email_trust import Sender, message_defects, sender_of
from cashapp.extractors.remittance.html_tables import read_html
from cashapp.extractors.remittance.listed_lines import listed_remittance
from cashapp.extractors.remittance.mime_caps import MAX_DEPTH, prescan
from cashapp.extractors.remittance.positioned_rows import align
from cashapp.extractors.remittance.totals import checked

name = "email"

_HEADER_LINE = re.compile(
    rb"^(from|to|subject|date|received|return-path|message-id|mime-version|delivered-to|"
    rb"reply-to|content-type|authentication-results|x-[a-z0-9-]+|dkim-signature|cc):",
    re.IGNORECASE | re.MULTILINE,
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSG_STREAM = "__substg1.0_".encode("utf-16-le")
_DELIMITED = re.compile(r"\t|\|")
_SPACED_CELL = re.compile(r"\S+(?:[ \u00a0\u202f]\S+)*")


def identify(head: bytes) -> bool:
    """An RFC 5322 message (a From header among several known headers), or an Outlook .msg."""
    if head.startswith(_OLE_MAGIC):
        # the directory (with the .msg stream names) may lie beyond the sniffed head
        directory = (int.from_bytes(head[48:52], "little") + 1) * 512
        return _MSG_STREAM in head or directory + 512 > len(head)
    top = head[:8192].lstrip()
    if top.startswith((b"<", b"%PDF", b"ISA", b"PK")):
        return False
    headers = {
        m.group(1).lower()
        for m in _HEADER_LINE.finditer(top.split(b"\r\n\r\n")[0].split(b"\n\n")[0])
    }
    return b"from" in headers and len(headers) >= 2


def text_rows(text: str) -> list[list[str]]:
    """Plain text as rows of cells: columns split on tabs or ``|`` (cells kept by position),
    or on runs of two blanks or more (cells put back under their header by offset)."""
    positioned: list[list[tuple[float, float, str]]] = []
    for line in text.splitlines()[:5000]:
        if line.lstrip().startswith(">"):
            line = line.lstrip().lstrip("> ")
        if "\t" in line or "|" in line:
            cells = [c.strip() for c in _DELIMITED.split(line.strip().strip("|"))]
            positioned.append([(1000.0 * i, 1000.0 * i + 1, c) for i, c in enumerate(cells)])
            continue
        positioned.append(
            [(float(m.start()), float(m.end()), m.group()) for m in _SPACED_CELL.finditer(line)]
        )
    return align(positioned)


@dataclass
class _Leaf:
    """One readable piece of a message: a body or an attachment."""

    kind: str  # "text" | "html" | "pdf" | "table"
    content: str | bytes
    where: str
    sender: Sender
    defects: tuple[str, ...]


@dataclass
class _Found:
    remittances: list[Remittance] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    first_error: InputError | None = None


def _safe_name(raw: str | None, fallback: str) -> str:
    if not raw:
        return fallback
    printable = "".join(c for c in raw if c.isprintable() and c not in "/\\")
    return printable[:100] or fallback


def _attachment_kind(content_type: str, filename: str, payload: bytes) -> str | None:
    lowered = filename.lower()
    if content_type == "application/pdf" or lowered.endswith(".pdf") or payload[:5] == b"%PDF-":
        return "pdf"
    if lowered.endswith((".csv", ".xlsx", ".txt", ".tsv")) or content_type in {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }:
        return "table"
    return None


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _eml_leaves(
    message: EmailMessage, sender: Sender, defects: tuple[str, ...], depth: int
) -> Iterator[_Leaf]:
    if depth > MAX_DEPTH:
        raise RemittanceParseError(f"email nests deeper than {MAX_DEPTH}")
    stack: list[tuple[Message, int]] = [(message, depth)]
    while stack:
        part, level = stack.pop(0)
        if level > MAX_DEPTH:
            raise RemittanceParseError(f"email nests deeper than {MAX_DEPTH}")
        content_type = part.get_content_type()
        if content_type in {"message/rfc822", "message/global"}:
            inner = part.get_payload()
            inner_message = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner_message, EmailMessage):
                inner_sender = sender_of(inner_message)
                inner_sender = dataclasses.replace(
                    inner_sender, verified=inner_sender.verified and sender.verified
                )
                inner_defects = defects + tuple(
                    f"forwarded: {d}" for d in message_defects(inner_message)
                )
                yield from _eml_leaves(inner_message, inner_sender, inner_defects, level + 1)
            continue
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack[0:0] = [(c, level + 1) for c in children if isinstance(c, Message)]
            continue
        if content_type.startswith("multipart/"):  # a broken multipart: its body as text
            yield _Leaf("text", _text_of(part), "body (broken multipart)", sender, defects)
            continue
        disposition = part.get_content_disposition()
        filename = _safe_name(part.get_filename(), content_type)
        if content_type in {"text/plain", "text/html"} and disposition != "attachment":
            kind = "html" if content_type == "text/html" else "text"
            yield _Leaf(kind, _text_of(part), f"body {content_type}", sender, defects)
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        attachment_kind = _attachment_kind(content_type, filename, payload)
        if attachment_kind is not None:
            yield _Leaf(attachment_kind, payload, f"attachment {filename}", sender, defects)


def _body_remittances(leaf: _Leaf, source: str) -> tuple[list[Remittance], AdviceFacts]:
    text = (
        leaf.content if isinstance(leaf.content, str) else leaf.content.decode("utf-8", "replace")
    )
    found: list[Remittance] = []
    if leaf.kind == "html":
        html_tables, lines = read_html(text)
        rows = [[line] for line in lines]
        for table in html_tables:
            remittance = rows_to_remittance(table, format="email", source=source, where=leaf.where)
            if remittance is not None:
                found.append(remittance)
        rows.extend(row for table in html_tables for row in table)
        text_table = rows_to_remittance(
            text_rows("\n".join(lines)), format="email", source=source, where=leaf.where
        )
        if text_table is not None and not found:
            found.append(text_table)
        facts = labels_only(rows + text_rows("\n".join(lines)))
    else:
        rows = text_rows(text)
        remittance = rows_to_remittance(rows, format="email", source=source, where=leaf.where)
        if remittance is not None:
            found.append(remittance)
        facts = labels_only(rows)
    return found, facts


def _listed_fallback(bodies: list[_Leaf]) -> list[tuple[Remittance, _Leaf]]:
    """No table anywhere in the message: invoices listed line by line in a body."""
    for leaf in sorted(bodies, key=lambda body: body.kind != "text"):
        text = leaf.content if isinstance(leaf.content, str) else leaf.content.decode("utf-8")
        lines = read_html(text)[1] if leaf.kind == "html" else text.splitlines()[:5000]
        listed = listed_remittance(lines, format="email", where=leaf.where)
        if listed is not None:
            return [(listed, leaf)]
    return []


def _attachment_remittances(leaf: _Leaf, source: str, facts: AdviceFacts) -> list[Remittance]:
    data = leaf.content if isinstance(leaf.content, bytes) else leaf.content.encode()
    label = f"{source}: {leaf.where}"
    if leaf.kind == "pdf":
        return list(pdf.extract(data, source=label, defaults=facts, where=leaf.where).remittances)
    return list(tables.extract(data, source=label, defaults=facts, where=leaf.where).remittances)


def _finish(
    remittance: Remittance, leaf: _Leaf, facts: AdviceFacts, problems: list[str]
) -> Remittance:
    sender = leaf.sender
    filled = dataclasses.replace(
        remittance,
        format="email",
        payer=remittance.payer or facts.payer or sender.name,
        payer_email_domain=sender.domain,
        payer_account=remittance.payer_account or facts.account,
        payment_id=remittance.payment_id or facts.payment_id,
        date=remittance.date or facts.date or sender.sent,
        currency=remittance.currency or facts.currency,
        total=remittance.total if remittance.total is not None else facts.total,
        trusted=remittance.trusted and sender.verified,
    )
    extra = (
        tuple(sender.problems) + tuple(f"MIME defect: {d}" for d in leaf.defects) + tuple(problems)
    )
    return checked(filled, extra_defects=extra)


def _from_leaves(leaves: list[_Leaf], source: str) -> list[Remittance]:
    found = _Found()
    pending: list[tuple[Remittance, _Leaf, AdviceFacts]] = []
    facts = AdviceFacts()
    bodies = [leaf for leaf in leaves if leaf.kind in {"text", "html"}]
    # multipart/alternative: the HTML table is preferred; the same lines again in the plain
    # text alternative are dropped, while distinct advices (two forwarded messages) stay
    bodies.sort(key=lambda leaf: leaf.kind != "html")
    body_found = False
    seen: set[tuple[tuple[str, object], ...]] = set()
    by_message: dict[int, AdviceFacts] = {}  # the alternatives of one message share facts
    for leaf in bodies:
        remittances, body_facts = _body_remittances(leaf, source)
        facts.fill_from(body_facts)
        by_message.setdefault(id(leaf.sender), AdviceFacts()).fill_from(body_facts)
        body_facts = by_message[id(leaf.sender)]
        for remittance in remittances:
            signature = tuple((line.reference, line.contribution()) for line in remittance.lines)
            if signature in seen:
                continue
            seen.add(signature)
            body_found = True
            pending.append((remittance, leaf, body_facts))
    attachment_facts = AdviceFacts()
    attachment_facts.fill_from(facts)
    if body_found:  # the body has its own table: its total and payment are not the attachments'
        attachment_facts.total = None
        attachment_facts.payment_id = None
    for leaf in leaves:
        if leaf.kind in {"text", "html"}:
            continue
        try:
            for remittance in _attachment_remittances(leaf, source, attachment_facts):
                pending.append((remittance, leaf, attachment_facts))
        except NoAdviceFound:
            continue  # an attachment that is not an advice (a delivery note, a logo...)
        except InputError as exc:
            found.problems.append(f"{leaf.where} unreadable: {exc.reason}")
            found.first_error = found.first_error or exc
    if not pending and found.first_error is not None:
        raise found.first_error
    if not pending:
        pending.extend((r, leaf, facts) for r, leaf in _listed_fallback(bodies))
    for remittance, leaf, leaf_facts in pending:
        merged = AdviceFacts()
        merged.fill_from(leaf_facts)
        found.remittances.append(_finish(remittance, leaf, merged, found.problems))
    return found.remittances


def _read_message(message: EmailMessage, source: str) -> RemittanceFile:
    sender = sender_of(message)
    defects = tuple(message_defects(message))
    try:
        leaves = list(_eml_leaves(message, sender, defects, 0))
    except RecursionError as exc:
        raise RemittanceParseError("email nests too deeply", file=source) from exc
    except RemittanceParseError as exc:
        raise exc.located(source) from exc
    return RemittanceFile(format="email", remittances=_from_leaves(leaves, source))


def extract(data: bytes, *, source: str) -> RemittanceFile:
    """Every remittance an email holds (bodies, attachments, forwarded messages)."""
    if data.startswith(_OLE_MAGIC):
        from cashapp.extractors.remittance.outlook_msg import msg_as_email

        prescan(data, source=source)  # the size cap; a .msg has no MIME boundaries
        return _read_message(msg_as_email(data, source), source)
    prescan(data, source=source)
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
    except RecursionError as exc:  # the pre-scan should have refused it; never let it escape
        raise RemittanceParseError("email nests too deeply", file=source) from exc
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default builds these
        raise RemittanceParseError("not an email message", file=source)
    return _read_message(message, source)
