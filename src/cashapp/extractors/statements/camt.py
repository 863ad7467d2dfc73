"""ISO 20022 camt.052 (``Rpt``), camt.053 (``Stmt``) and camt.054 (``Ntfctn``), every version
(.001.01 to .001.14), with or without a namespace, into statements of bank lines.

The file is streamed (``camt_xml``: hardened lxml ``iterparse``, DTDs refused), each entry is
read as it ends (``camt_entries``) and freed, so memory does not grow with the file. The
statement header gives the id, the account (``Acct/Id/IBAN`` or ``Othr/Id``), the currency
(``Acct/Ccy``, else the balances' or first entry's), the opening balance (``OPBD``, else
``PRCD``) and the closing one (``CLBD``, else ``ITBD`` for intraday reports). A statement
that does not balance, or a batch whose details do not sum to the entry, is kept with a
warning; nothing is corrected.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine, LineStatus, Statement, StatementFile
from cashapp.extractors.statements import camt_xml
from cashapp.extractors.statements.camt_entries import EntryReader
from cashapp.extractors.statements.camt_values import Values, first, first_text

name = "camt"

_CAMT_NAMESPACE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\.")
_MARKERS = (b"BkToCstmrStmt", b"BkToCstmrAcctRpt", b"BkToCstmrDbtCdtNtfctn")
_OPENING = ("OPBD", "PRCD")
_CLOSING = ("CLBD", "ITBD")
_AVAILABLE = ("CLAV", "ITAV")
_PRUNE_EVERY = 256  # emptied entries are unlinked in batches (each one is ~100 bytes)


def identify(head: bytes) -> bool:
    """An XML document with a camt namespace or a camt message element in its first bytes."""
    text = camt_xml._ascii_view(head)
    if b"<" not in text[:1024]:
        return False
    if b"urn:iso:std:iso:20022:tech:xsd:" in text:  # another ISO 20022 message is not ours
        return _CAMT_NAMESPACE.search(text) is not None
    return b"Document" in text and any(marker in text for marker in _MARKERS)


def extract(data: bytes, *, source: str) -> StatementFile:
    """Read a camt file; raises ``StatementParseError`` naming the file and element."""
    camt_xml.refuse_dtd(data, source=source)
    message = camt_xml.find_message(data, source=source)
    plain = camt_xml.plain_root(camt_xml.head_of(data), message)
    if plain is not None:
        try:
            return _extract(data, message, source, plain)
        except camt_xml.NotPlain:
            pass  # read again, as the file is
    return _extract(data, message, source, None)


def _extract(
    data: bytes, message: camt_xml.Message, source: str, plain: camt_xml.Plain | None
) -> StatementFile:
    reader = _Reader(message, source, keep=True, plain=plain is not None)
    if message.message_tag is not None:
        for element in camt_xml.stream(data, message, source=source, plain=plain):
            reader.take(element)
    return StatementFile(format=message.format, statements=reader.statements)


def iter_lines(data: bytes | Path, *, source: str) -> Iterator[tuple[int, BankLine]]:
    """(statement index, line) as each entry is read, keeping nothing: memory stays flat
    however large the file (give a path to avoid holding the file in memory too).

    The lines and their keys are those of ``extract``; balances, statement headers and
    warnings are only in ``extract``'s result.
    """
    head = camt_xml.head_of(data)
    camt_xml.refuse_dtd(head, source=source)
    message = camt_xml.find_message(data, source=source)
    plain = camt_xml.plain_root(head, message)
    given = 0
    if plain is not None:
        try:
            for item in _lines(data, message, source, plain):
                yield item
                given += 1
            return
        except camt_xml.NotPlain:
            pass  # read again, as the file is, after the lines already given
    for n, item in enumerate(_lines(data, message, source, None)):
        if n >= given:
            yield item


def _lines(
    data: bytes | Path, message: camt_xml.Message, source: str, plain: camt_xml.Plain | None
) -> Iterator[tuple[int, BankLine]]:
    reader = _Reader(message, source, keep=False, plain=plain is not None)
    if message.message_tag is not None:
        for element in camt_xml.stream(data, message, source=source, plain=plain):
            index = reader.finished
            for line in reader.take(element):
                yield index, line


@dataclass(slots=True)
class _Open:
    """The statement being read: its header, and its lines so far."""

    index: int
    element: etree._Element
    header: dict[str, object]
    keys: _Keys
    lines: list[BankLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entries: int = 0


class _Reader:
    def __init__(self, message: camt_xml.Message, source: str, *, keep: bool, plain: bool) -> None:
        if plain:  # the elements come without a namespace (camt_xml.stream's plain read)
            message = replace(message, namespace="")
        self.message = message
        self.keep = keep  # False: lines are handed out, not kept (iter_lines)
        self.values = Values(message.namespace, source)
        self.entries = EntryReader(self.values)
        self.entry_tag = message.tag("Ntry")
        self.statement_tag = message.statement_tag
        self.statements: list[Statement] = []
        self.finished = 0
        self.open: _Open | None = None

    def take(self, element: etree._Element) -> list[BankLine]:
        """Read an entry (its lines, keyed) or finish a statement (no lines)."""
        if element.tag == self.entry_tag:
            statement = self._statement_of(element.getparent())
            path = f"{self.statement_tag}[{statement.index + 1}]/Ntry[{statement.entries + 1}]"
            result = self.entries.read(element, statement.entries, path)
            lines = [statement.keys.key(line) for line in result.lines]
            if self.keep:
                statement.lines.extend(lines)
                statement.warnings.extend(result.warnings)
            statement.entries += 1
            camt_xml.release_entry(element, prune=statement.entries % _PRUNE_EVERY == 0)
            return lines
        statement = self._statement_of(element)
        if self.keep:
            self.statements.append(self._finish(statement))
        self.finished += 1
        self.open = None
        camt_xml.release_statement(element)
        return []

    def _statement_of(self, element: etree._Element | None) -> _Open:
        if element is None:  # pragma: no cover - an Ntry always has a parent
            raise StatementParseError("entry outside a statement", file=self.values.source)
        current = self.open
        if current is not None and current.element is element:
            return current
        index = self.finished
        header = self._header(element, f"{self.statement_tag}[{index + 1}]")
        self.entries.own_account = str(header["account"]) or None
        self.open = _Open(index, element, header, _Keys(header))
        return self.open

    def _header(self, element: etree._Element, path: str) -> dict[str, object]:
        v = self.values
        kids = v.kids(element)
        account_kids = v.kids(first(kids, "Acct"))
        ident = v.kids(first(account_kids, "Id"))
        account = first_text(ident, "IBAN") or first_text(v.kids(first(ident, "Othr")), "Id")
        balances: dict[str, tuple[Decimal, str, date | None]] = {}
        for n, balance in enumerate(kids.get("Bal", [])):
            where = f"{path}/Bal[{n + 1}]"
            bal = v.kids(balance)
            tp = v.kids(first(bal, "Tp"))
            choice = v.kids(first(tp, "CdOrPrtry")) or tp  # v01 has Tp/Cd
            code = first_text(choice, "Cd")
            amount_node = first(bal, "Amt")
            if code is None or code in balances or amount_node is None:
                continue
            value, balance_currency = v.amount(amount_node, f"{where}/Amt")
            credit = v.credit(first(bal, "CdtDbtInd"), f"{where}/CdtDbtInd", default=True)
            balances[code] = (
                value if credit else -value,
                balance_currency,
                v.date_of(first(bal, "Dt"), f"{where}/Dt"),
            )
        opening = next((balances[c] for c in _OPENING if c in balances), None)
        closing = next((balances[c] for c in _CLOSING if c in balances), None)
        available = next((balances[c] for c in _AVAILABLE if c in balances), None)
        currency: str | None = first_text(account_kids, "Ccy")
        if currency is None and balances:
            currency = next(iter(balances.values()))[1]
        period = v.kids(first(kids, "FrToDt"))
        return {
            "id": first_text(kids, "Id") or "",
            "account": account or "",
            "currency": currency,
            "opening": opening,
            "closing": closing,
            "available": available[0] if available else None,
            "sequence": first_text(kids, "ElctrncSeqNb") or first_text(kids, "LglSeqNb"),
            "from": v.date_of(_either(period, "FrDtTm", "FrDt"), f"{path}/FrToDt"),
            "to": v.date_of(_either(period, "ToDtTm", "ToDt"), f"{path}/FrToDt"),
            "created": first_text(kids, "CreDtTm"),
        }

    def _information(self, element: etree._Element) -> str:
        """``AddtlStmtInf`` (after the entries, so read when the statement ends)."""
        nodes = self.values.kids(element).get("AddtlStmtInf", [])
        return " ".join(text for node in nodes if (text := (node.text or "").strip()))

    def _finish(self, statement: _Open) -> Statement:
        header = statement.header
        lines = statement.lines
        currency = header["currency"] or (lines[0].currency if lines else "")
        opening = header["opening"]
        closing = header["closing"]
        result = Statement(
            id=str(header["id"]),
            account=str(header["account"]),
            currency=str(currency),
            lines=lines,
            opening_balance=opening[0] if opening else None,  # type: ignore[index]
            closing_balance=closing[0] if closing else None,  # type: ignore[index]
            opening_date=(opening[2] if opening else None) or header["from"],  # type: ignore[index,arg-type]
            closing_date=(closing[2] if closing else None) or header["to"],  # type: ignore[index,arg-type]
            sequence=header["sequence"],  # type: ignore[arg-type]
            warnings=tuple(statement.warnings),
            available_balance=header["available"],  # type: ignore[arg-type]
            information=self._information(statement.element),
        )
        if result.balanced is False:
            moved = sum(
                (line.amount for line in lines if line.status is LineStatus.BOOKED), Decimal(0)
            )
            warning = (
                f"does not balance: opening {result.opening_balance} + booked movements {moved} "
                f"= {result.opening_balance + moved}, closing is {result.closing_balance}"  # type: ignore[operator]
            )
            result = replace(result, warnings=(*result.warnings, warning))
        return result


def _either(kids: dict[str, list[etree._Element]], one: str, other: str) -> etree._Element | None:
    found = first(kids, one)
    return found if found is not None else first(kids, other)


class _Keys:
    """Bank references of one statement: lines without one get a key derived from the
    statement and the line, repeated ones are made distinct (``REF``, ``REF#2``...), so two
    genuinely identical payments stay two lines and a re-read gives the same keys."""

    __slots__ = ("seen", "statement_key")

    def __init__(self, header: dict[str, object]) -> None:
        self.statement_key = (
            str(header["id"])
            or hashlib.sha256(
                f"{header['account']}|{header['created']}|{header['from']}|{header['to']}".encode()
            ).hexdigest()[:12]
        )
        self.seen: dict[str, int] = {}

    def key(self, line: BankLine) -> BankLine:
        ref = line.bank_ref
        if not ref:
            detail = line.extra.get("detail", "1")
            content = hashlib.sha256(
                f"{line.booking_date}|{line.amount}|{line.currency}".encode()
            ).hexdigest()[:8]
            ref = f"{self.statement_key}#{line.entry + 1}.{detail}-{content}"
        seen = self.seen.get(ref, 0) + 1
        self.seen[ref] = seen
        if seen > 1:
            ref = f"{ref}#{seen}"
        return line if ref == line.bank_ref else replace(line, bank_ref=ref)
