"""OFX reading: headers and encodings, SGML and XML, statement kinds, identification."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cashapp.domain.statements import LineStatus
from cashapp.extractors.registry import pick_reader
from cashapp.extractors.statements import ofx

TRANSACTION = (
    "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20250105120000.000[-5:EST]<DTAVAIL>20250107"
    "<TRNAMT>-12.34<FITID>T1<NAME>Caf\u00e9<MEMO>Order 77</STMTTRN>"
)


def statement_file(
    transactions: str = TRANSACTION, *, header: str = "", curdef: str = "USD"
) -> str:
    return (
        f"{header}<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>{curdef}"
        "<BANKACCTFROM><BANKID>1<ACCTID>A-1<ACCTTYPE>CHECKING</BANKACCTFROM>"
        f"<BANKTRANLIST><DTSTART>20250101<DTEND>20250131{transactions}</BANKTRANLIST>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )


def test_sgml_without_header_and_on_one_line() -> None:
    (statement,) = ofx.extract(statement_file().encode("cp1252"), source="x").statements
    (line,) = statement.lines
    assert (line.amount, line.booking_date, line.value_date) == (
        Decimal("-12.34"),
        date(2025, 1, 5),
        date(2025, 1, 7),
    )
    assert (line.bank_ref, line.counterparty_name, line.remittance_text) == (
        "T1",
        "Café",
        "Order 77",
    )
    assert statement.id == "A-1/20250101-20250131"


def test_header_charset_decides_the_encoding() -> None:
    header = "OFXHEADER:100DATA:OFXSGMLVERSION:102ENCODING:USASCIICHARSET:1252\n"  # run together
    data = statement_file(TRANSACTION.replace("Caf\u00e9", "\u20ac rate"), header=header)
    (statement,) = ofx.extract(data.encode("cp1252"), source="x").statements
    assert statement.lines[0].counterparty_name == "\u20ac rate"


def test_utf8_is_read_as_utf8() -> None:
    (statement,) = ofx.extract(statement_file().encode("utf-8"), source="x").statements
    assert statement.lines[0].counterparty_name == "Café"


def test_comments_and_cdata() -> None:
    transactions = TRANSACTION.replace(
        "<NAME>Caf\u00e9", "<!-- <NAME>hidden --><NAME><![CDATA[A<B]]>"
    )
    (statement,) = ofx.extract(statement_file(transactions).encode(), source="x").statements
    assert statement.lines[0].counterparty_name == "A<B"


def test_transaction_currency_aggregate() -> None:
    transactions = TRANSACTION.replace(
        "</STMTTRN>", "<CURRENCY><CURRATE>1.1<CURSYM>EUR</CURRENCY></STMTTRN>"
    )
    (statement,) = ofx.extract(statement_file(transactions).encode(), source="x").statements
    assert (statement.currency, statement.lines[0].currency) == ("USD", "EUR")


def test_empty_curdef_reads_as_xxx_with_a_warning() -> None:
    (statement,) = ofx.extract(statement_file(curdef="").encode(), source="x").statements
    assert statement.currency == "XXX"
    assert statement.warnings


def test_investment_transactions_are_information() -> None:
    data = (
        "<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><INVSTMTRS><CURDEF>USD"
        "<INVACCTFROM><BROKERID>b<ACCTID>I-1</INVACCTFROM><INVTRANLIST><DTSTART>20250101"
        "<DTEND>20250131<SELLSTOCK><INVSELL><INVTRAN><FITID>S1<DTTRADE>20250110</INVTRAN>"
        "<UNITS>-3<UNITPRICE>10.125<TOTAL>30.375</INVSELL><SELLTYPE>SELL</SELLSTOCK>"
        "</INVTRANLIST></INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>"
    )
    (statement,) = ofx.extract(data.encode(), source="x").statements
    (line,) = statement.lines
    assert (line.bank_ref, line.amount, line.status) == ("S1", Decimal("30.375"), LineStatus.INFO)


def test_signon_only_file_has_no_statements() -> None:
    data = "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</STATUS></SONRS></SIGNONMSGSRSV1></OFX>"
    assert ofx.extract(data.encode(), source="x").statements == []


def test_identify() -> None:
    assert ofx.identify(b"OFXHEADER:100\r\nDATA:OFXSGML\r\n")
    assert ofx.identify(b'<?xml version="1.0"?>\n<?OFX OFXHEADER="200" VERSION="211"?>\n<OFX>')
    assert ofx.identify(b"\xef\xbb\xbf<OFX><SIGNONMSGSRSV1>")
    assert not ofx.identify(b"<?xml version='1.0'?><Document xmlns='urn:iso:std:iso:20022'>")
    assert not ofx.identify(b":20:STARTUMS\n:25:X\n")
    kind, reader = pick_reader(statement_file().encode(), source="x")
    assert (kind, reader.name) == ("statement", "ofx")
