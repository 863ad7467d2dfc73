"""The plain read (camt_xml.plain_root): a file whose root declares the camt namespace as its
only default namespace is parsed with that declaration blanked, for speed. Whatever the file
holds, the result must be what reading it as it is gives: same lines, warnings, errors (with
their line numbers), also when the file turns out not to be plain after lines were given."""

from __future__ import annotations

from pathlib import Path

import pytest

from cashapp.core.errors import StatementParseError
from cashapp.extractors.statements import camt, camt_xml

NS = b"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def _entry(n: int, extra: bytes = b"") -> bytes:
    return (
        b'<Ntry><Amt Ccy="EUR">1%d.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        b"<BookgDt><Dt>2025-11-05</Dt></BookgDt><AcctSvcrRef>R%d</AcctSvcrRef>"
        b"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payer %d</Nm></Dbtr></RltdPties>"
        b"<RmtInf><Ustrd>INV %d 12:30</Ustrd></RmtInf>%s</TxDtls></NtryDtls></Ntry>\n"
    ) % (n % 90, n, n, n, extra)


def _file(entries: list[bytes], root: bytes = b'<Document xmlns="' + NS + b'">') -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment -->\n'
        + root
        + b"\n<BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S</Id>"
        b"<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        + b"".join(entries)
        + b"</Stmt></BkToCstmrStmt></Document>\n"
    )


def _as_is(data: bytes) -> tuple[object, list[object]]:
    """What the reader gives without the plain read (the reference)."""
    try:
        message = camt_xml.find_message(data, source="f.xml")
    except StatementParseError as exc:
        refused = (str(exc), exc.line, exc.element)
        return refused, [refused]
    try:
        whole: object = camt._extract(data, message, "f.xml", None)
    except StatementParseError as exc:
        whole = (str(exc), exc.line, exc.element)
    lines: list[object] = []
    try:
        lines.extend(camt._lines(data, message, "f.xml", None))
    except StatementParseError as exc:
        lines.append((str(exc), exc.line, exc.element))
    return whole, lines


def _read(data: bytes, tmp_path: Path) -> tuple[object, list[object], list[object]]:
    try:
        whole: object = camt.extract(data, source="f.xml")
    except StatementParseError as exc:
        whole = (str(exc), exc.line, exc.element)
    streamed: list[list[object]] = []
    for source in (data, tmp_path / "f.xml"):
        if isinstance(source, Path):
            source.write_bytes(data)
        lines: list[object] = []
        try:
            lines.extend(camt.iter_lines(source, source="f.xml"))
        except StatementParseError as exc:
            lines.append((str(exc), exc.line, exc.element))
        streamed.append(lines)
    return whole, streamed[0], streamed[1]


def test_a_plain_file_is_read_plain_and_as_it_is() -> None:
    data = _file([_entry(n) for n in range(3)])
    message = camt_xml.find_message(data, source="f.xml")
    assert camt_xml.plain_root(camt_xml.head_of(data), message) is not None
    assert camt.extract(data, source="f.xml") == _as_is(data)[0]


@pytest.mark.parametrize(
    "root",
    [
        b'<Document xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="' + NS + b'">',
        b"<Document\n  xmlns\n=\n'" + NS + b"'>",
        b'<Document xmlns="' + NS + b'" xmlns="' + NS + b'">',  # malformed: not plain
        b'<Document xmlns="urn:other">',
        b'<Document xmlns:c="' + NS + b'" xmlns="' + NS + b'">',
    ],
)
def test_roots_plain_or_not_read_as_the_file_reads(root: bytes, tmp_path: Path) -> None:
    data = _file([_entry(n) for n in range(3)], root)
    whole, lines = _as_is(data)
    assert _read(data, tmp_path) == (whole, lines, lines)


@pytest.mark.parametrize(
    "late",
    [
        b'<Purp xmlns="urn:other"><Cd>X</Cd></Purp>',  # another namespace, late in the file
        b'<Purp xmlns="' + NS + b'"><Cd>X</Cd></Purp>',
        b"<x:Purp>undeclared prefix</x:Purp>",
        b"<AddtlTxInf>xmlns in a text</AddtlTxInf>",
        b"<!-- <c:Purp> in a comment -->",
        b"<AddtlTxInf>broken</AddtlTxInfo>",  # a syntax error after lines were given
        b"<AddtlTxInf>a:b, 12:00</AddtlTxInf>",  # colons in text: still plain
    ],
)
def test_a_surprise_late_in_the_file_gives_what_the_file_gives(late: bytes, tmp_path: Path) -> None:
    entries = [_entry(n) for n in range(700)]  # well past iterparse's 32 KB pieces
    entries[650] = _entry(650, late)
    data = _file(entries)
    whole, lines = _as_is(data)
    assert len(lines) >= 650
    assert _read(data, tmp_path) == (whole, lines, lines)


@pytest.mark.parametrize("offset", range(-8, 8))
def test_a_namespace_across_two_pieces_is_seen(offset: int, tmp_path: Path) -> None:
    entries = [_entry(n) for n in range(400)]
    data = _file(entries)
    cut = data.rfind(b"</Ntry>", 0, 65536 + offset) + len(b"</Ntry>")
    for piece in (b'<Ntry xmlns="urn:other"/>', b"<c:Ntry/>"):
        mutated = data[:cut] + piece + data[cut:]
        whole, lines = _as_is(mutated)
        assert _read(mutated, tmp_path) == (whole, lines, lines)


def test_the_fast_referred_document_builder_gives_what_the_class_gives() -> None:
    from datetime import date
    from decimal import Decimal

    from cashapp.domain.statements import Adjustment, ReferredDocument
    from cashapp.extractors.statements.line_builder import referred_document

    every = {
        "number": "INV-1", "type": "CINV", "date": date(2025, 1, 2),
        "due_amount": Decimal("10.00"), "discount_amount": Decimal("1.00"),
        "credit_note_amount": Decimal("2.00"), "tax_amount": Decimal("0.50"),
        "remitted_amount": Decimal("7.00"),
        "adjustments": (Adjustment(amount=Decimal(1), reason="R", text="T", credit=True),),
    }  # fmt: skip
    assert referred_document(**every) == ReferredDocument(**every)
    assert referred_document(number="2") == ReferredDocument(number="2")
