"""OFX / QFX reader: OFX 1.x SGML (value tags left unclosed), OFX 2.x XML, and files without
a header; bank (``STMTRS``), credit-card (``CCSTMTRS``) and investment (``INVSTMTRS``)
statements, any number per file.

A linear two-level scan with regular expressions, never a tree: the statement aggregates
are found first, then in each the ``<STMTTRN>`` blocks (and, for investment accounts,
the ``<INVTRAN>`` aggregates), whose leaf elements become a dict in one ``findall``.
Time and memory grow linearly with the file (``ofxparse`` is quadratic).

A file must end with ``</OFX>`` and close every statement: OFX has no opening balance to
check a statement against, so this is how a truncated file is caught.

Safety: a ``<!DOCTYPE`` or ``<!ENTITY`` is refused (the same DTD ban as camt), NUL bytes
are refused, the header's ``CHARSET`` is honoured (CP1252, Latin-1, UTF-8; undecodable
bytes fall back deterministically), and at most ``MAX_TRANSACTIONS`` are read.

Strict where money is at stake: a transaction without a readable ``TRNAMT`` or
``DTPOSTED`` (``$20``, empty, ``20230231``) and a balance with an empty ``BALAMT`` are
errors naming the line. ``FITID`` is the ``bank_ref``; a ``FITID`` that repeats in one
file is kept on every line, suffixed ``#2``..., with a warning on the statement.
Investment transactions are kept as ``info`` lines (not cash to apply), amounts exact.

``iter_lines`` reads the same statements from a path in pieces, one statement at a time, in
memory that does not grow with the file (its docstring says what it holds and when lines
are handed out).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine, LineStatus, Statement, StatementFile
from cashapp.extractors.statements.line_builder import bank_line
from cashapp.extractors.statements.ofx_values import (
    OfxValueError,
    parse_amount,
    parse_date,
    text_value,
)
from cashapp.extractors.statements.statement_text import SeenKeys, decode_text, gc_paused
from cashapp.extractors.statements.text_stream import (
    head_of,
    sniff,
    statement_lines,
    text_chunks,
)

name = "ofx"

MAX_TRANSACTIONS = 2_000_000

_IDENTIFY = re.compile(rb"^\s*OFXHEADER\s*:|<\?OFX\b|<OFX>", re.I)
_HEADER_NAMES = "OFXHEADER|DATA|VERSION|SECURITY|ENCODING|CHARSET|COMPRESSION|OLDFILEUID|NEWFILEUID"
# Header fields, one a line or (seen in the wild) all run together on one line.
_HEADER_FIELD = re.compile(rf"({_HEADER_NAMES})\s*:\s*(.*?)\s*(?=(?:{_HEADER_NAMES})\s*:|$)", re.S)
_XML_DECL_ENCODING = re.compile(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9_.-]+)[\"']")
_OFX_PI_VERSION = re.compile(r"<\?OFX[^>]*VERSION=\"(\d+)\"")
_DTD = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.I)
_END = re.compile(r"</OFX>\s*$")
_STATEMENT = re.compile(r"<(STMTRS|CCSTMTRS|INVSTMTRS)>")
_TRANSACTION = re.compile(r"<(STMTTRN|INVTRAN)>")
_TRANSACTION_END = re.compile(
    r"</STMTTRN>|<STMTTRN>|<INVTRAN>|</BANKTRANLIST>|</INVTRANLIST>|</INVBANKTRAN>"
)
_DTSTART = re.compile(r"<DTSTART>\s*(\d{8})")
_DTEND = re.compile(r"<DTEND>\s*(\d{8})")
_LEAF = re.compile(r"<([A-Z0-9.]+)>([^<]*)")
_NUL = re.compile(rb"\x00")
Block = tuple[str, int, dict[str, str]]  # (STMTTRN | INVTRAN, offset, leaf values)
_CURRENCY = re.compile(r"[A-Z]{3}")
_LINE_EXTRAS = frozenset({"TRNTYPE", "CHECKNUM", "REFNUM", "DTUSER", "SIC", "PAYEEID", "SRVRTID"})
_CHARSETS = {"1252": "cp1252", "ISO-8859-1": "latin-1", "8859-1": "latin-1", "UTF-8": "utf-8"}


def identify(head: bytes) -> bool:
    """An OFX header, an ``<?OFX ...?>`` instruction or an ``<OFX>`` root."""
    return _IDENTIFY.search(head.lstrip(b"\xef\xbb\xbf")) is not None


def extract(data: bytes, *, source: str) -> StatementFile:
    """Read every bank, credit-card and investment statement of an OFX file."""
    with gc_paused():
        return _Reader(data, source).read()


def iter_lines(data: bytes | Path, *, source: str) -> Iterator[tuple[int, BankLine]]:
    """(statement index, line), the lines and keys of ``extract``, read incrementally (give a
    path to avoid holding the file in memory). Balances, headers and warnings are only in
    ``extract``'s result.

    The file is read twice, in pieces cut after a tag: once for the checks on the whole
    file (DTD, version, ``</OFX>`` at the end, every statement closed), then statement by
    statement, each read by the same code as ``extract`` on its own text. Memory holds the
    text and lines of at most two statements, not the file, and the file's bank refs so far
    (a repeated FITID gets ``#2``: about 100 bytes a line). A file with comments or CDATA
    sections (rare) is read whole, as ``extract`` does.

    Contract: a truncated or unclosed file raises before any line is handed out; a
    statement's lines are handed out once it is read and the next one is read too, or the
    file has ended. An error in a later statement (a bad amount) still raises after
    earlier statements' lines were handed out: a consumer that imports must discard what
    it received when the iterator raises (no partial import).
    """
    return statement_lines(_statements(data, source))


def _statements(data: bytes | Path, source: str) -> Iterator[Statement]:
    head = head_of(data, 2048)
    sniffed = sniff(data, source=source, refuse=_NUL, declared=_declared_encoding(head))
    scan = _Scan(source)
    for piece in text_chunks(data, sniffed.encoding, cut_after=b">"):
        if not scan.take(piece):
            break
    if scan.whole:  # comments or CDATA: blanked out over the whole text, as extract does
        yield from extract(data if isinstance(data, bytes) else data.read_bytes(), source=source).statements
        return
    scan.finish()
    seen = SeenKeys()
    pieces = text_chunks(data, sniffed.encoding, cut_after=b">")
    for index, (kind, line, text) in enumerate(_statement_texts(pieces, source)):
        with gc_paused():
            reader = _Reader.of_text(text, source, line - 1)
            statement = reader.statement(kind, len(kind) + 2, len(text) - len(kind) - 3, index)
            statement = _keyed(statement, seen)
        yield statement


class _Scan:
    """The whole-file checks of ``_Reader.read``, made on the text piece by piece, in the
    same order: a DTD, the version, ``</OFX>`` at the end, as many closings as openings."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.head = ""  # the text up to the first tag (and 4096 characters at least)
        self.head_done = False
        self.lines = 0  # line breaks before the current piece
        self.tail = ""  # the last piece that is not blank
        self.opened: Counter[str] = Counter()
        self.closed: Counter[str] = Counter()
        self.whole = False

    def take(self, piece: str) -> bool:
        """False: stop scanning (the file is to be read whole)."""
        if "<!--" in piece or "<![CDATA[" in piece:
            self.whole = True
            return False
        dtd = _DTD.search(piece)
        if dtd:
            line = self.lines + piece.count("\n", 0, dtd.start()) + 1
            self._fail(line, "DOCTYPE/ENTITY declarations are forbidden")
        if not self.head_done:
            self.head += piece
            self.head_done = "<" in self.head and len(self.head) >= 4096
        for found in _STATEMENT.finditer(piece):
            self.opened[found.group(1)] += 1
        for kind in ("STMTRS", "CCSTMTRS", "INVSTMTRS"):
            self.closed[kind] += piece.count(f"</{kind}>")
        if piece.strip():
            self.tail = piece
        self.lines += piece.count("\n")
        return True

    def _fail(self, line: int, message: str) -> NoReturn:
        raise StatementParseError(message, file=self.source, line=line)

    def finish(self) -> None:
        _Reader.of_text(self.head, self.source, 0).check_version()
        if not _END.search(self.tail):
            self._fail(self.lines + 1, "no closing </OFX>: the file is truncated")
        for kind in ("STMTRS", "CCSTMTRS", "INVSTMTRS"):
            opened, closed = self.opened[kind], self.closed[kind]
            if closed != opened:
                self._fail(1, f"{opened} <{kind}> but {closed} </{kind}>: damaged")


def _statement_texts(pieces: Iterator[str], source: str) -> Iterator[tuple[str, int, str]]:
    """``(kind, line of its start, text from <KIND> to </KIND>)`` of each statement, as the
    pieces come; a statement not closed before the next one starts is refused."""
    buffer = ""
    line = 1  # of the buffer's start
    start: re.Match[str] | None = None
    scanned = 0  # where the search for the open statement's end goes on
    ended = False
    while True:
        piece = next(pieces, None)
        if piece is None:
            ended = True
        else:
            buffer += piece
        while True:
            if start is None:
                start = _STATEMENT.search(buffer)
                if start is None:
                    keep = max(len(buffer) - 16, 0)  # a tag may be cut: never, but cheap
                    line += buffer.count("\n", 0, keep)
                    buffer = buffer[keep:]
                    break
                line += buffer.count("\n", 0, start.start())
                buffer = buffer[start.start() :]
                start = _STATEMENT.match(buffer)
                assert start is not None
                scanned = start.end()
            kind = start.group(1)
            closing = f"</{kind}>"
            close = buffer.find(closing, scanned)
            following = _STATEMENT.search(buffer, scanned, close if close >= 0 else len(buffer))
            if following is not None or (close < 0 and ended):
                raise StatementParseError(
                    f"<{kind}> is never closed: the file is truncated", file=source, line=line
                )
            if close < 0:
                scanned = max(start.end(), len(buffer) - len(closing))
                break
            end = close + len(closing)
            yield kind, line, buffer[:end]
            line += buffer.count("\n", 0, end)
            buffer = buffer[end:]
            start = None
        if ended:
            return


class _Reader:
    def __init__(self, data: bytes, source: str) -> None:
        self.source = source
        self.text = decode_text(data, source=source, declared=_declared_encoding(data))
        self.line_base = 0

    @classmethod
    def of_text(cls, text: str, source: str, line_base: int) -> _Reader:
        """A reader of a part of a file's text, ``line_base`` lines into it."""
        reader = cls.__new__(cls)
        reader.source, reader.text, reader.line_base = source, text, line_base
        return reader

    def fail(self, offset: int, message: str) -> NoReturn:
        line = self.line_base + self.text.count("\n", 0, offset) + 1
        raise StatementParseError(message, file=self.source, line=line)

    def read(self) -> StatementFile:
        text = self.text
        dtd = _DTD.search(text)
        if dtd:
            self.fail(dtd.start(), "DOCTYPE/ENTITY declarations are forbidden")
        self.check_version()
        if "<!--" in text:  # keep offsets (line numbers): blank comments out, same length
            text = self.replace_sections(text, "<!--", "-->", _blank)
        if "<![CDATA[" in text:
            text = self.replace_sections(text, "<![CDATA[", "]]>", _cdata_text)
        self.text = text
        if not _END.search(text):
            self.fail(len(text), "no closing </OFX>: the file is truncated")
        starts = list(_STATEMENT.finditer(text))
        for kind in ("STMTRS", "CCSTMTRS", "INVSTMTRS"):
            opened = sum(1 for start in starts if start.group(1) == kind)
            if text.count(f"</{kind}>") != opened:
                self.fail(0, f"{opened} <{kind}> but {text.count(f'</{kind}>')} </{kind}>: damaged")
        statements = []
        for i, start in enumerate(starts):
            kind = start.group(1)
            end = text.find(f"</{kind}>", start.end())
            limit = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            if not 0 <= end < limit:
                self.fail(start.start(), f"<{kind}> is never closed: the file is truncated")
            statements.append(self.statement(kind, start.end(), end, i))
        return StatementFile(format="ofx", statements=_distinct_refs(statements))

    def replace_sections(
        self, text: str, opening: str, closing: str, replace_with: Callable[[str], str]
    ) -> str:
        """Each ``opening...closing`` section replaced, found by a linear scan (a lazy regex
        is quadratic on many unclosed openings); an unclosed one is an error."""
        out: list[str] = []
        position = 0
        while (start := text.find(opening, position)) >= 0:
            stop = text.find(closing, start + len(opening))
            if stop < 0:
                self.fail(start, f"{opening} is never closed")
            stop += len(closing)
            out += (text[position:start], replace_with(text[start:stop]))
            position = stop
        out.append(text[position:])
        return "".join(out)

    def check_version(self) -> None:
        if re.match(r"\s*OFXHEADER\s*:", self.text):
            fields = dict(_HEADER_FIELD.findall(self.text[: self.text.find("<")]))
            version = fields.get("VERSION", "")
            if not re.fullmatch(r"1\d\d", version):
                self.fail(0, f"OFX header VERSION {version!r} is not an OFX 1.x version")
            return
        pi = _OFX_PI_VERSION.search(self.text[:4096])
        if pi and not re.fullmatch(r"2\d\d", pi.group(1)):
            self.fail(pi.start(), f"OFX VERSION {pi.group(1)!r} is not an OFX 2.x version")

    def statement(self, kind: str, start: int, end: int, index: int) -> Statement:
        text = self.text
        warnings: list[str] = []
        blocks = self.transaction_blocks(start, end)
        outside = _outside(text, start, end, blocks)
        head = _head_values(outside)
        currency = head.get("CURDEF", "")
        if not re.fullmatch(r"[A-Z]{3}", currency):
            warnings.append(f"no statement currency (CURDEF {currency!r}); amounts read as XXX")
            currency = "XXX"
        account = head.get("ACCTID", "")
        if not account:
            self.fail(start, f"{kind} without an account (ACCTID)")
        investment = kind == "INVSTMTRS"
        ledger = self.balance(outside, "LEDGERBAL", currency, start, warnings)
        available = self.balance(outside, "AVAILBAL", currency, start, warnings)
        extra = {
            key.lower(): head[key]
            for key in ("BANKID", "BRANCHID", "ACCTTYPE", "BROKERID")
            if head.get(key)
        }
        extra["kind"] = {"STMTRS": "bank", "CCSTMTRS": "creditcard"}.get(kind, "investment")
        lines = [
            self.line(block_kind, offset, values, n, currency, investment)
            for n, (block_kind, offset, values) in enumerate(blocks)
        ]
        period_text = text[start : blocks[0][1] if blocks else end]
        period = "-".join(
            found.group(1)[:8] if found else ""
            for found in (_DTSTART.search(period_text), _DTEND.search(period_text))
        )
        return Statement(
            id=f"{account}/{period}" if period != "-" else f"{account}/{index}",
            account=account,
            currency=currency,
            lines=lines,
            closing_balance=ledger[0] if ledger else None,
            closing_date=ledger[1] if ledger else None,
            available_balance=available[0] if available else None,
            warnings=tuple(warnings),
            extra=extra,
        )

    def transaction_blocks(self, start: int, end: int) -> list[Block]:
        """``(STMTTRN | INVTRAN, offset, leaf values)`` of each transaction in the statement."""
        text = self.text
        blocks: list[Block] = []
        append = blocks.append
        search, end_search, leaves = _TRANSACTION.search, _TRANSACTION_END.search, _LEAF.findall
        position = start
        invlist_end = text.find("</INVTRANLIST>", start, end)
        invlist_end = end if invlist_end < 0 else invlist_end
        while True:
            match = search(text, position, end)
            if match is None:
                self.check_closed(blocks, start, end)
                return blocks
            block_kind = match[1]
            block_start, block_body = match.span()
            stop = end_search(text, block_body, end)
            block_end = stop.start() if stop else end
            if block_kind == "INVTRAN":  # TOTAL and the like follow </INVTRAN>
                following = search(text, block_end, end)
                list_end = invlist_end if invlist_end > block_body else end
                block_end = min(following.start() if following else end, list_end)
            append((block_kind, block_start, dict(leaves(text, block_body, block_end))))
            if len(blocks) > MAX_TRANSACTIONS:
                self.fail(block_start, f"more than {MAX_TRANSACTIONS} transactions")
            position = block_end if block_end > block_body else block_body

    def check_closed(self, blocks: list[Block], start: int, end: int) -> None:
        """When the bank closes ``STMTTRN`` aggregates, every one must be closed: a lost or
        doubled tag would otherwise merge two transactions or drop one silently."""
        opened = sum(1 for kind, _, _ in blocks if kind == "STMTTRN")
        closed = self.text.count("</STMTTRN>", start, end)
        if closed and closed != opened:
            self.fail(start, f"{opened} <STMTTRN> but {closed} </STMTTRN>: the file is damaged")

    def balance(
        self, outside: list[str], tag: str, currency: str, offset: int, warnings: list[str]
    ) -> tuple[Decimal, date | None] | None:
        """``LEDGERBAL``/``AVAILBAL``: information (OFX has no opening balance to check).

        An empty ``BALAMT`` means no balance (with a warning); text that is not an amount
        is an error. More decimals than the currency has are kept exactly, with a warning.
        """
        for piece in outside:
            at = piece.find(f"<{tag}>")
            if at < 0:
                continue
            close = piece.find(f"</{tag}>", at)
            values: dict[str, str] = {}
            for key, raw in _LEAF.findall(piece, at, close if close > 0 else at + 400):
                values.setdefault(key, raw.strip())
            where = self.text.find(f"<{tag}>", offset)
            if not values.get("BALAMT"):
                warnings.append(f"{tag} has no amount")
                return None
            try:
                try:
                    amount = parse_amount(values["BALAMT"], currency)
                except OfxValueError:
                    amount = _exact(values["BALAMT"])
                    warnings.append(f"{tag} {amount} has more decimals than {currency}")
                when = parse_date(values["DTASOF"]) if values.get("DTASOF") else None
            except OfxValueError as exc:
                self.fail(where, f"{tag}: {exc}")
            return amount, when
        return None

    def line(
        self,
        kind: str,
        offset: int,
        values: dict[str, str],
        entry: int,
        currency: str,
        investment: bool,
    ) -> BankLine:
        get = values.get
        extra: dict[str, str] = {}
        line_currency = currency
        if "CURRENCY" in values:  # amounts of this transaction are in another currency
            written = get("CURSYM", "").strip()
            line_currency = written if _CURRENCY.fullmatch(written) else currency
        try:
            if kind == "INVTRAN":
                amount_text = get("TOTAL") or get("TRNAMT") or "0"
                amount = _exact(amount_text)
                posted = parse_date(get("DTTRADE") or get("DTSETTLE") or "")
            else:
                amount_text = get("TRNAMT", "")
                if investment:
                    amount = _exact(amount_text)
                else:
                    amount = parse_amount(amount_text, line_currency)
                posted = parse_date(get("DTPOSTED", ""))
            if posted is None:
                raise OfxValueError("no posting date")
            available = parse_date(values["DTAVAIL"]) if "DTAVAIL" in values else None
        except OfxValueError as exc:
            self.fail(offset, f"{kind} {entry + 1}: {exc}")
        for key in _LINE_EXTRAS.intersection(values):
            value = values[key].strip()
            if not value.isprintable() or "  " in value or "&" in value:  # else text_value's
                value = text_value(value)
            if value:
                extra[key.lower()] = value
        if "ORIGCURRENCY" in values and get("CURSYM", "").strip():
            # amounts stay in the statement currency; the original one is information
            extra["original_currency"] = text_value(values["CURSYM"])
            if get("CURRATE", "").strip():
                extra["currency_rate"] = text_value(values["CURRATE"])
        # text_value's result without the call when the text needs nothing but a strip
        # (no whitespace but single spaces: every other whitespace character is unprintable)
        fitid = get("FITID", "").strip()
        if not fitid.isprintable() or "  " in fitid or "&" in fitid:
            fitid = text_value(fitid)
        if fitid:
            extra["fitid"] = fitid
        name_text = get("NAME", "").strip()
        if not name_text.isprintable() or "  " in name_text or "&" in name_text:
            name_text = text_value(name_text)
        memo = get("MEMO", "").strip()
        if not memo.isprintable() or "  " in memo or "&" in memo:
            memo = text_value(memo)
        return bank_line(
            bank_ref=fitid,
            entry=entry,
            amount=amount,
            currency=line_currency,
            booking_date=posted,
            value_date=available or posted,
            status=LineStatus.INFO if investment else LineStatus.BOOKED,
            counterparty_name=name_text or None,
            remittance_text=memo or name_text,
            bank_transaction_code=extra.get("trntype"),
            extra=extra,
        )


def _cdata_text(section: str) -> str:
    """A CDATA section as plain element text, padded to keep later offsets (line numbers)."""
    return section[9:-3].replace("&", "&amp;").replace("<", "&lt;").ljust(len(section))


def _blank(comment: str) -> str:
    """A comment blanked out, its newlines kept (line numbers stay right)."""
    return re.sub(r"[^\n]", " ", comment)


def _exact(text: str) -> Decimal:
    """Investment amounts: exact, any number of decimals (units and prices, not cash to apply)."""
    match = re.fullmatch(r"\s*([+-]?\d*\.?\d+)\s*", text)
    if match is None:
        raise OfxValueError(f"not an amount: {text.strip()!r}")
    return Decimal(match.group(1))


def _declared_encoding(data: bytes) -> str | None:
    head = data[:2048]
    xml = _XML_DECL_ENCODING.search(head)
    if xml:
        declared = xml.group(1).decode("ascii")
        # a declaration read in single-byte text cannot be right about UTF-16/32 (seen in the wild)
        return None if declared.lower().startswith(("utf-16", "utf-32", "ucs")) else declared
    charset = re.search(rb"CHARSET\s*:\s*([A-Za-z0-9-]+)", head)
    if charset:
        declared = charset.group(1).decode("ascii").upper()
        if declared in _CHARSETS:
            return _CHARSETS[declared]
    if re.search(rb"ENCODING\s*:\s*UTF-?8", head, re.I):
        return "utf-8"
    return None


def _outside(
    text: str, start: int, end: int, blocks: list[Block]
) -> list[str]:
    """The statement's text outside its transaction list (account, currency, balances)."""
    for tag in ("BANKTRANLIST", "INVTRANLIST"):
        at = text.find(f"<{tag}>", start, end)
        if at >= 0:
            close = text.find(f"</{tag}>", at, end)
            if close < 0:
                close = blocks[-1][1] if blocks else at
                close = text.find("</STMTTRN>", close, end)
            if close >= 0:
                return [text[start:at], text[close:end]]
    return [text[start:end]]


def _head_values(outside: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for piece in outside:
        for tag, raw in _LEAF.findall(piece):
            value = text_value(raw)
            if value and tag not in values:
                values[tag] = value
    return values


def _distinct_refs(statements: list[Statement]) -> list[Statement]:
    """Every line's ``bank_ref`` distinct per account: a repeated or empty FITID gets a suffix
    (``#2``) or a key from the statement and the line's ordinal, and the statement a warning."""
    seen = SeenKeys()
    return [_keyed(statement, seen) for statement in statements]


def _keyed(statement: Statement, seen: SeenKeys) -> Statement:
    """One statement's lines keyed (``seen``: the file's keys so far, updated)."""
    warnings = list(statement.warnings)
    lines: list[BankLine] = []
    changed = False
    for n, line in enumerate(statement.lines):
        ref = line.bank_ref
        if not ref:
            ref = f"{statement.id}#{n + 1}"
            warnings.append(f"transaction {n + 1} has no FITID; keyed {ref}")
        count = seen.add(statement.account, ref)
        if count > 1:
            warnings.append(f"FITID {ref} repeats in the file; line {n + 1} is {ref}#{count}")
            ref = f"{ref}#{count}"
        if ref != line.bank_ref:
            changed = True
            line = replace(line, bank_ref=ref)
        lines.append(line)
    if changed:
        statement = replace(statement, lines=lines, warnings=tuple(warnings))
    return statement


