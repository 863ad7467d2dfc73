"""Bad camt input: each rejected clearly (StatementParseError naming file, line or element), fast,
with nothing fetched and nothing else raised (RELIABILITY.md 3.2 and 6.4, P1-P3, P10, P14)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cashapp.core.errors import InputError, StatementParseError
from cashapp.core.settings import Settings
from cashapp.extractors.read import read_bytes, read_untrusted
from cashapp.extractors.statements import camt, camt_xml

VALID = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S-1</Id>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">12.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2025-11-05</Dt></BookgDt><AcctSvcrRef>BANK-1</AcctSvcrRef>
<NtryDtls><TxDtls><RmtInf><Ustrd>INVOICE 42 M\xc3\xbcller</Ustrd></RmtInf></TxDtls>
</NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""
BODY = VALID.split(b"\n", 1)[1]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
""" + BODY.replace(b"INVOICE 42", b"&f;")


def _settings() -> Settings:
    return Settings(max_file_bytes=10 * 1024 * 1024, sandbox_wall_seconds=30)


def _refused(data: bytes, match: str) -> StatementParseError:
    started = time.monotonic()
    with pytest.raises(StatementParseError, match=match) as caught:
        camt.extract(data, source="bad.xml")
    assert time.monotonic() - started < 1
    assert caught.value.file == "bad.xml"
    return caught.value


def test_the_valid_base_reads() -> None:
    (statement,) = camt.extract(VALID, source="ok.xml").statements
    assert statement.lines[0].remittance_text == "INVOICE 42 Müller"


def test_a_truncated_file_names_the_line() -> None:
    error = _refused(VALID[: len(VALID) // 2], "malformed XML")
    assert error.line is not None and error.line >= 5


def test_a_file_cut_after_the_last_entry_is_refused() -> None:
    _refused(VALID[: VALID.index(b"</Stmt>")], "malformed XML")


def test_wrong_encoding_declared_utf8_with_latin1_bytes() -> None:
    latin1 = VALID.replace("Müller".encode(), "Müller".encode("latin-1"))
    error = _refused(latin1, "malformed XML")
    assert error.line == 7


def test_utf16_files_are_read() -> None:
    data = VALID.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert camt.identify(data[:4096])
    (statement,) = camt.extract(data, source="u16.xml").statements
    assert statement.lines[0].remittance_text == "INVOICE 42 Müller"


def test_billion_laughs_is_refused_before_parsing() -> None:
    _refused(BILLION_LAUGHS, "DTD forbidden")


def test_billion_laughs_in_the_sandbox_is_refused_fast() -> None:
    started = time.monotonic()
    with pytest.raises(StatementParseError, match="DTD forbidden"):
        read_untrusted(BILLION_LAUGHS, source="bomb.xml", settings=_settings())
    assert time.monotonic() - started < 5


def test_xxe_file_entity_is_refused_and_the_secret_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7731")
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file://'
        + str(secret).encode()
        + b'">]>\n'
        + BODY.replace(b"INVOICE 42", b"&x;")
    )
    error = _refused(data, "DTD forbidden")
    assert "TOP-SECRET" not in str(error)
    # the second line of defence (the parser itself) refuses it too, without reading
    with pytest.raises(StatementParseError, match="DTD forbidden"):
        camt_xml.find_message(data, source="bad.xml")


@pytest.fixture
def listener() -> Iterator[tuple[int, list[int]]]:
    """A TCP listener on 127.0.0.1 that counts connections."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.1)
    connections: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join()
    server.close()


def test_external_dtd_is_refused_and_never_fetched(listener: tuple[int, list[int]]) -> None:
    port, connections = listener
    url = f"http://127.0.0.1:{port}/x.dtd".encode()
    data = b'<?xml version="1.0"?>\n<!DOCTYPE Document SYSTEM "' + url + b'">\n' + BODY
    _refused(data, "DTD forbidden")
    for step in (
        camt_xml.find_message,
        lambda d, source: list(
            camt_xml.stream(
                d,
                camt_xml.Message(
                    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", "053", "02", "BkToCstmrStmt"
                ),
                source=source,
            )
        ),
    ):
        with pytest.raises(StatementParseError, match="DTD forbidden"):
            step(data, source="bad.xml")
    with pytest.raises(StatementParseError, match="DTD forbidden"):
        read_untrusted(data, source="ssrf.xml", settings=_settings())
    time.sleep(0.3)
    assert connections == []


@pytest.mark.parametrize(
    "prolog",
    [
        b"<!DOCTYPE Document>\n",
        b"<!-- harmless? -->\n<!doctype Document>\n",
        b"<!DOCTYPE Document [<!ELEMENT Document ANY>]>\n",
    ],
)
def test_any_doctype_is_refused(prolog: bytes) -> None:
    _refused(b'<?xml version="1.0"?>\n' + prolog + BODY, "DTD forbidden")


def test_a_doctype_hidden_in_utf16_is_refused() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE Document>\n' + BODY.decode()
    _refused(text.encode("utf-16"), "DTD forbidden")


def test_an_unknown_namespace_is_refused() -> None:
    data = VALID.replace(b"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", b"urn:weird")
    _refused(data, "not an ISO 20022 camt namespace")


def test_a_message_in_the_wrong_namespace_is_refused() -> None:
    _refused(VALID.replace(b"camt.053.001.02", b"camt.054.001.02"), "in a camt.054 namespace")


@pytest.mark.parametrize(
    ("old", "new", "match", "element"),
    [
        (b">12.50<", b">12..50<", "garbled amount", "Stmt[1]/Ntry[1]/Amt"),
        (b">12.50<", b">-12.50<", "negative amount", "Stmt[1]/Ntry[1]/Amt"),
        (b">12.50<", b">1e3<", "garbled amount", "Stmt[1]/Ntry[1]/Amt"),
        (b">12.50<", b">NaN<", "garbled amount", "Stmt[1]/Ntry[1]/Amt"),
        (b">12.50<", b">12.505<", "more decimals than EUR", "Stmt[1]/Ntry[1]/Amt"),
        (b">12.50<", b">12345678901234567890.00<", "too large", "Stmt[1]/Ntry[1]/Amt"),
        (b' Ccy="EUR">12.50', b">12.50", "without a Ccy", "Stmt[1]/Ntry[1]/Amt"),
        (b"<CdtDbtInd>CRDT</CdtDbtInd>", b"", "missing CdtDbtInd", "Stmt[1]/Ntry[1]/CdtDbtInd"),
        (b"<CdtDbtInd>CRDT<", b"<CdtDbtInd>CREDIT<", "CRDT or DBIT", "Stmt[1]/Ntry[1]/CdtDbtInd"),
        (b"<Dt>2025-11-05</Dt>", b"<Dt>2025-13-05</Dt>", "not a date", "Stmt[1]/Ntry[1]/BookgDt"),
    ],
)
def test_garbled_values_name_the_element(old: bytes, new: bytes, match: str, element: str) -> None:
    assert old in VALID
    error = _refused(VALID.replace(old, new), match)
    assert error.element == element
    assert error.line is not None


def test_a_garbled_batch_detail_names_its_path() -> None:
    batch = VALID.replace(
        b"<NtryDtls><TxDtls>",
        b'<NtryDtls><TxDtls><Amt Ccy="EUR">10.00</Amt></TxDtls>'
        b'<TxDtls><Amt Ccy="EUR">2,50</Amt></TxDtls><TxDtls>',
    )
    error = _refused(batch, "garbled amount '2,50'")
    assert error.element == "Stmt[1]/Ntry[1]/NtryDtls/TxDtls[2]/Amt"


def test_a_huge_text_node_is_refused() -> None:
    data = VALID.replace(b"INVOICE 42", b"x" * (11 * 1024 * 1024))
    _refused(data, "malformed XML")


def test_deep_nesting_is_refused() -> None:
    deep = b"<AddtlNtryInf>" * 3000
    _refused(VALID.replace(b"<AcctSvcrRef>", deep + b"<AcctSvcrRef>"), "malformed XML")


def test_other_camt_messages_are_not_statements() -> None:
    cancellation = VALID.replace(b"camt.053.001.02", b"camt.056.001.08")
    assert not camt.identify(cancellation[:4096])


def test_not_xml_at_all() -> None:
    assert not camt.identify(b":20:STATEMENT\n:25:DE123\n")
    with pytest.raises(InputError):
        read_bytes(b"Document BkToCstmrStmt but not XML", source="x.txt")
