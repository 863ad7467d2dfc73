"""Bad OFX input (RELIABILITY.md 3.7, P11, P14): refused with the line, or read
deterministically; never another exception."""

from __future__ import annotations

import time

import pytest

from cashapp.core.errors import InputError, StatementParseError
from cashapp.extractors.read import read_bytes
from cashapp.extractors.statements import ofx

HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
    "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)
BODY = """<OFX>
<BANKMSGSRSV1>
<STMTTRNRS>
<TRNUID>1
<STMTRS>
<CURDEF>USD
<BANKACCTFROM>
<BANKID>1
<ACCTID>42
<ACCTTYPE>CHECKING
</BANKACCTFROM>
<BANKTRANLIST>
<DTSTART>20250101
<DTEND>20250131
<STMTTRN>
<TRNTYPE>CREDIT
<DTPOSTED>20250105
<TRNAMT>20.00
<FITID>F1
<NAME>ACME
</STMTTRN>
</BANKTRANLIST>
<LEDGERBAL>
<BALAMT>120.00
<DTASOF>20250131
</LEDGERBAL>
</STMTRS>
</STMTTRNRS>
</BANKMSGSRSV1>
</OFX>
"""
GOOD = HEADER + BODY
TRNAMT_LINE = 28  # the line of <STMTTRN> in GOOD (errors name the transaction's first line)


def error_of(text: str | bytes) -> StatementParseError:
    data = text.encode("cp1252") if isinstance(text, str) else text
    with pytest.raises(StatementParseError) as caught:
        ofx.extract(data, source="bad.ofx")
    return caught.value


def test_the_good_file_reads() -> None:
    (statement,) = ofx.extract(GOOD.encode(), source="good.ofx").statements
    assert [line.amount for line in statement.lines] == [20]


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("<TRNAMT>20.00", "<TRNAMT>$20", "not an amount"),
        ("<TRNAMT>20.00", "<TRNAMT>", "not an amount"),
        ("<TRNAMT>20.00", "<TRNAMT>.", "not an amount"),
        ("<TRNAMT>20.00", "<TRNAMT>NaN", "not an amount"),
        ("<TRNAMT>20.00", "<TRNAMT>1e309", "not an amount"),
        ("<TRNAMT>20.00", "<TRNAMT>12345678901234567890.00", "too many digits"),
        ("<TRNAMT>20.00", "<TRNAMT>1,000", "ambiguous"),
        ("<TRNAMT>20.00", "<TRNAMT>20.001", "ambiguous"),
        ("<DTPOSTED>20250105", "<DTPOSTED>", "not an OFX date"),
        ("<DTPOSTED>20250105", "<DTPOSTED>20250231", "not a calendar date"),
        ("<DTPOSTED>20250105", "<DTPOSTED>00000000", "no posting date"),
        ("<DTPOSTED>20250105\n", "", "not an OFX date"),
    ],
)
def test_transaction_money_and_date_are_strict(old: str, new: str, words: str) -> None:
    error = error_of(GOOD.replace(old, new))
    assert words in error.reason
    assert error.line == TRNAMT_LINE - 3
    assert "STMTTRN 1" in error.reason


def test_minus_zero_is_zero() -> None:
    zero = GOOD.replace("<TRNAMT>20.00", "<TRNAMT>-0.00")
    (statement,) = ofx.extract(zero.encode(), source="z").statements
    assert statement.lines[0].amount == 0


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("<OFX>", '<!DOCTYPE OFX SYSTEM "http://127.0.0.1:9999/x.dtd"><OFX>', "DOCTYPE"),
        ("<OFX>", '<!ENTITY x SYSTEM "file:///etc/passwd"><OFX>', "DOCTYPE/ENTITY"),
        ("VERSION:102", "VERSION:300", "not an OFX 1.x version"),
        ("</OFX>\n", "", "truncated"),
        ("</STMTRS>", "", "damaged"),
        ("<ACCTID>42\n", "", "without an account"),
        ("</STMTTRN>", "</STMTTRN></STMTTRN>", "damaged"),
        ("<STMTRS>\n", "", "damaged"),
        ("<BALAMT>120.00", "<BALAMT>12O.00", "LEDGERBAL"),
    ],
)
def test_structure_and_safety(old: str, new: str, words: str) -> None:
    assert words in error_of(GOOD.replace(old, new)).reason


def test_xml_doctype_is_refused_before_anything_else() -> None:
    xml = '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>\n<OFX>&a;</OFX>'
    error = error_of(xml)
    assert error.line == 2


def test_nul_bytes_are_refused() -> None:
    assert "NUL" in error_of(GOOD.encode().replace(b"ACME", b"AC\x00ME")).reason


def test_invalid_cp1252_bytes_are_read_deterministically() -> None:
    data = GOOD.encode().replace(b"ACME", b"AC\x81\x8dME")
    first = ofx.extract(data, source="x").statements[0].lines[0]
    second = ofx.extract(data, source="x").statements[0].lines[0]
    assert first == second
    assert first.counterparty_name == "AC\x81\x8dME"  # the undefined bytes read as Latin-1


def test_empty_balance_is_no_balance_with_a_warning() -> None:
    (statement,) = ofx.extract(
        GOOD.replace("<BALAMT>120.00", "<BALAMT>").encode(), source="x"
    ).statements
    assert statement.closing_balance is None
    assert any("LEDGERBAL has no amount" in w for w in statement.warnings)


def test_not_an_ofx_file_is_unknown() -> None:
    with pytest.raises(InputError):
        read_bytes(b"This is not an OFX file.\n", source="x.ofx")


def test_duplicate_fitid_goes_to_review_not_away() -> None:
    second = "<STMTTRN>\n<TRNTYPE>CREDIT\n<DTPOSTED>20250105\n<TRNAMT>20.00\n<FITID>F1\n</STMTTRN>"
    twice = GOOD.replace("</STMTTRN>", "</STMTTRN>\n" + second, 1)
    (statement,) = ofx.extract(twice.encode(), source="d.ofx").statements
    assert [line.bank_ref for line in statement.lines] == ["F1", "F1#2"]
    assert any("FITID F1 repeats" in w for w in statement.warnings)
    again = ofx.extract(twice.encode(), source="d.ofx").statements[0]
    assert [line.bank_ref for line in again.lines] == ["F1", "F1#2"]


@pytest.mark.parametrize(
    "hostile",
    [
        b"<OFX>" + b"<!--" * 100_000 + b"</OFX>",  # unclosed comments: quadratic with a lazy regex
        b"<OFX>" + b"<![CDATA[" * 50_000 + b"</OFX>",
        b"<OFX><STMTRS>" + b"<STMTTRN><TRNAMT>1" * 50_000 + b"</STMTRS></OFX>",
    ],
    ids=["comments", "cdata", "unclosed-transactions"],
)
def test_hostile_structure_is_refused_in_linear_time(hostile: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(StatementParseError):
        ofx.extract(hostile, source="hostile.ofx")
    assert time.perf_counter() - started < 2.0


def test_unclosed_comment_names_its_line() -> None:
    error = error_of(GOOD.replace("<NAME>ACME", "<!-- <NAME>ACME"))
    assert error.line == 30 and "never closed" in error.reason
