"""Email safety: MIME bombs refused before parsing (P8), spoofed senders untrusted (P9),
HTML sanitised, defects and forwarded messages handled."""

from __future__ import annotations

import time

import pytest

from cashapp.core.errors import FileTooLargeError, RemittanceParseError
from cashapp.extractors.remittance import email as email_reader
from cashapp.extractors.remittance.email_trust import dmarc_pass_for
from cashapp.extractors.remittance.html_tables import read_html, sanitize_html
from cashapp.extractors.remittance.mime_caps import prescan

TABLE = (
    "Payment reference: PAY-77\n"
    "Payment date: 2025-11-05\n"
    "Currency: EUR\n\n"
    "Invoice No.    Amount paid\n"
    "INV-1001       1,200.00\n"
    "INV-1002         300.00\n"
    "Total          1,500.00\n"
)


def _message(
    *,
    sender: str = '"Acme AP" <ap@acme.example>',
    results: list[str] | None = None,
    body: str = TABLE,
) -> bytes:
    if results is None:
        results = ["mx.seller.example; spf=pass; dmarc=pass (p=reject) header.from=acme.example"]
    headers = [f"Authentication-Results: {r}" for r in results]
    return "\r\n".join(
        [
            f"From: {sender}",
            "To: ar@seller.example",
            "Subject: remittance",
            "Date: Wed, 05 Nov 2025 10:00:00 +0000",
            *headers,
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            body.replace("\n", "\r\n"),
        ]
    ).encode()


def _deep(depth: int) -> bytes:
    head = ["From: a@acme.example", "Subject: deep", "MIME-Version: 1.0"]
    lines = [*head, 'Content-Type: multipart/mixed; boundary="b0"', ""]
    for level in range(1, depth):
        lines += [f"--b{level - 1}", f'Content-Type: multipart/mixed; boundary="b{level}"', ""]
    lines += [f"--b{depth - 1}", "Content-Type: text/plain", "", "x"]
    for level in reversed(range(depth)):
        lines.append(f"--b{level}--")
    return "\r\n".join(lines).encode()


def _wide(parts: int) -> bytes:
    chunks = [
        b"From: a@acme.example\r\nSubject: wide\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="w"\r\n\r\n'
    ]
    chunks.append(b"--w\r\nContent-Type: text/plain\r\n\r\nx\r\n" * parts)
    chunks.append(b"--w--\r\n")
    return b"".join(chunks)


def test_verified_sender_gives_a_trusted_remittance() -> None:
    remittance = email_reader.extract(_message(), source="ok.eml").remittances[0]
    assert remittance.trusted
    assert remittance.payer == "Acme AP"
    assert remittance.payer_email_domain == "acme.example"
    assert [line.reference for line in remittance.lines] == ["INV-1001", "INV-1002"]


def test_three_thousand_deep_message_is_refused_fast_without_recursion_error() -> None:
    data = _deep(3000)
    started = time.perf_counter()
    with pytest.raises(RemittanceParseError, match=r"deeper than 10|more than 200"):
        email_reader.extract(data, source="deep.eml")
    assert time.perf_counter() - started < 2.0


def test_nesting_over_the_depth_cap_is_refused_by_depth() -> None:
    with pytest.raises(RemittanceParseError, match="deeper than 10"):
        email_reader.extract(_deep(50), source="deep50.eml")


def test_two_hundred_thousand_parts_are_refused_fast() -> None:
    data = _wide(200_000)
    assert len(data) > 7_000_000
    started = time.perf_counter()
    with pytest.raises(RemittanceParseError, match="more than 200 MIME parts"):
        email_reader.extract(data, source="wide.eml")
    assert time.perf_counter() - started < 2.0


def test_moderate_nesting_and_part_counts_pass_the_prescan() -> None:
    assert prescan(_deep(9), source="x").depth == 9
    assert prescan(_wide(150), source="x").parts == 150


def test_forwarded_message_chain_is_capped() -> None:
    layer = _message()
    for _ in range(12):
        layer = (
            b"From: fwd@seller.example\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: message/rfc822\r\n\r\n" + layer
        )
    with pytest.raises(RemittanceParseError, match="forwarded"):
        email_reader.extract(layer, source="chain.eml")


def test_size_cap_refuses_before_parsing() -> None:
    with pytest.raises(FileTooLargeError):
        prescan(b"x" * 101, source="big.eml", max_bytes=100)


@pytest.mark.parametrize(
    ("sender", "results", "problem"),
    [
        # P9: a display name that looks like the customer's address
        (
            '"billing@bigco.com" <x@evil.test>',
            ["mx; dmarc=fail header.from=evil.test"],
            "evil.test",
        ),
        ('"Acme AP" <ap@acme.example>', [], "no dmarc=pass for acme.example"),
        ('"Acme AP" <ap@acme.example>', ["mx; dmarc=pass header.from=other.example"], "acme"),
        ('"Acme AP" <ap@acme.example>', ["mx; dmarc=fail header.from=acme.example"], "acme"),
        # a forged pass below the receiving MTA's own verdict is ignored
        (
            '"Acme AP" <ap@acme.example>',
            ["mx; dmarc=fail header.from=acme.example", "mx; dmarc=pass header.from=acme.example"],
            "acme",
        ),
        (
            "a@acme.example, b@acme.example",
            ["mx; dmarc=pass header.from=acme.example"],
            "2 addresses",
        ),
        ("<<>>@@", ["mx; dmarc=pass header.from=acme.example"], "From"),
    ],
)
def test_unverified_or_malformed_senders_are_never_trusted(
    sender: str, results: list[str], problem: str
) -> None:
    parsed = email_reader.extract(_message(sender=sender, results=results), source="p9.eml")
    remittance = parsed.remittances[0]
    assert not remittance.trusted
    assert any(problem in defect for defect in remittance.defects)


def test_spoofed_display_name_does_not_lend_its_domain() -> None:
    data = _message(
        sender='"billing@bigco.com" <x@evil.test>',
        results=["mx; dmarc=pass header.from=evil.test"],
    )
    remittance = email_reader.extract(data, source="p9.eml").remittances[0]
    assert remittance.payer_email_domain == "evil.test"


def test_message_with_defects_is_untrusted() -> None:
    broken = _message().replace(
        b"Content-Type: text/plain; charset=utf-8",
        b'Content-Type: multipart/mixed; boundary="never-used"\r\n\r\n' + TABLE.encode(),
    )
    remittance = email_reader.extract(broken, source="defect.eml").remittances[0]
    assert not remittance.trusted
    assert any(defect.startswith("MIME defect") for defect in remittance.defects)


def test_dmarc_verdict_is_read_from_its_own_clause() -> None:
    value = (
        "mx.example; spf=pass smtp.mailfrom=a.example; dmarc=pass (p=none) header.from=a.example"
    )
    assert dmarc_pass_for("a.example", value)
    assert not dmarc_pass_for("b.example", value)
    assert not dmarc_pass_for("a.example", "mx.example; dmarc=pass")
    assert not dmarc_pass_for("a.example", None)


def test_sanitised_html_keeps_tables_and_drops_active_content() -> None:
    html = (
        '<html><head><script>steal()</script><style>p{}</style></head><body onload="x()">'
        '<img src="http://tracker.example/p.gif" onerror="alert(1)">'
        '<a href="javascript:alert(1)">pay</a><a href="https://ok.example/">ok</a>'
        "<iframe src='http://evil.example'></iframe><form action='http://evil.example'></form>"
        "<table><tr><td onclick='x()'>INV-1</td><td>10,00</td></tr></table></body></html>"
    )
    clean = sanitize_html(html)
    for forbidden in (
        "script",
        "steal",
        "<img",
        "onerror",
        "onload",
        "onclick",
        "javascript:",
        "iframe",
        "<form",
        "tracker.example",
        "<style",
    ):
        assert forbidden not in clean
    assert "<table>" in clean and "INV-1" in clean and 'href="https://ok.example/"' in clean


def test_script_text_never_reaches_the_extracted_cells() -> None:
    html = (
        "<table><tr><th>Invoice</th><th>Paid</th></tr>"
        "<tr><td>INV-9<script>document.write('INV-666')</script></td><td>5.00</td></tr></table>"
    )
    tables, _ = read_html(html)
    assert tables == [[["Invoice", "Paid"], ["INV-9", "5.00"]]]


def test_forwarded_message_is_read_as_sent_by_its_author() -> None:
    inner = _message(
        sender='"Customer AP" <ap@customer.example>',
        results=["mx; dmarc=pass header.from=customer.example"],
    )
    outer = (
        b"From: AR <ar@seller.example>\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
        b"Authentication-Results: mx; dmarc=pass header.from=seller.example\r\n"
        b'Content-Type: multipart/mixed; boundary="f"\r\n\r\n'
        b"--f\r\nContent-Type: text/plain\r\n\r\nFYI\r\n"
        b"--f\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--f--\r\n"
    )
    remittance = email_reader.extract(outer, source="fwd.eml").remittances[0]
    assert remittance.payer_email_domain == "customer.example"
    assert remittance.payer == "Customer AP"
    assert remittance.trusted
    assert remittance.total is not None and str(remittance.total) == "1500.00"


def test_unreadable_attachment_is_recorded_not_fatal() -> None:
    data = (
        b"From: AP <ap@acme.example>\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Authentication-Results: mx; dmarc=pass header.from=acme.example\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/plain\r\n\r\n" + TABLE.encode() + b"\r\n"
        b"--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        b'filename="../../etc/passwd.pdf"\r\n\r\n%PDF-1.4 garbage\r\n--m--\r\n'
    )
    remittance = email_reader.extract(data, source="att.eml").remittances[0]
    assert not remittance.trusted
    assert any("..etc" in d or "passwd.pdf unreadable" in d for d in remittance.defects)


def test_not_an_email_is_not_identified() -> None:
    assert not email_reader.identify(b"Invoice;Amount\nA;1\n")
    assert email_reader.identify(_message())


def test_an_attachment_that_is_no_advice_is_skipped_without_a_defect() -> None:
    data = (
        b"From: AP <ap@acme.example>\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Authentication-Results: mx; dmarc=pass header.from=acme.example\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/plain\r\n\r\n" + TABLE.encode() + b"\r\n"
        b"--m\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; "
        b'filename="delivery.csv"\r\n\r\nArticle;Quantity\r\nBolt;12\r\n--m--\r\n'
    )
    [remittance] = email_reader.extract(data, source="note.eml").remittances
    assert remittance.trusted and remittance.defects == ()


def test_two_forwarded_advices_in_one_email_are_both_read() -> None:
    first = _message(body=TABLE)
    second = _message(body=TABLE.replace("INV-1001", "INV-2001").replace("PAY-77", "PAY-88"))
    outer = (
        b"From: AR <ar@seller.example>\r\nSubject: Fwd x2\r\nMIME-Version: 1.0\r\n"
        b"Authentication-Results: mx; dmarc=pass header.from=seller.example\r\n"
        b'Content-Type: multipart/mixed; boundary="f"\r\n\r\n'
        b"--f\r\nContent-Type: message/rfc822\r\n\r\n" + first + b"\r\n"
        b"--f\r\nContent-Type: message/rfc822\r\n\r\n" + second + b"\r\n--f--\r\n"
    )
    remittances = email_reader.extract(outer, source="fwd2.eml").remittances
    assert [r.payment_id for r in remittances] == ["PAY-77", "PAY-88"]


def test_html_and_text_alternatives_give_one_remittance() -> None:
    html = (
        "<p>Payment reference: PAY-77</p><table><tr><th>Invoice No.</th><th>Amount paid</th></tr>"
        "<tr><td>INV-1001</td><td>1,200.00</td></tr><tr><td>INV-1002</td><td>300.00</td></tr>"
        "</table>"
    )
    data = (
        b"From: AP <ap@acme.example>\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Authentication-Results: mx; dmarc=pass header.from=acme.example\r\n"
        b'Content-Type: multipart/alternative; boundary="a"\r\n\r\n'
        b"--a\r\nContent-Type: text/plain\r\n\r\n" + TABLE.encode() + b"\r\n"
        b"--a\r\nContent-Type: text/html\r\n\r\n" + html.encode() + b"\r\n--a--\r\n"
    )
    [remittance] = email_reader.extract(data, source="alt.eml").remittances
    assert remittance.source == "body text/html"
    assert str(remittance.total) == "1500.00"  # stated only in the plain-text alternative


def test_invoices_listed_without_a_table_are_read_but_only_suggest() -> None:
    body = (
        "Hello,\n\nwe paid today (payment reference PAY-5):\n"
        "- INV-2025-0001: 1.234,56 EUR\n"
        "- INV-2025-0002: 99,00 EUR\n"
        "Total: 1.333,56 EUR\n\nRegards\n"
    )
    remittance = email_reader.extract(_message(body=body), source="list.eml").remittances[0]
    assert [(line.reference, str(line.paid)) for line in remittance.lines] == [
        ("INV-2025-0001", "1234.56"),
        ("INV-2025-0002", "99.00"),
    ]
    assert str(remittance.total) == "1333.56"
    assert remittance.currency == "EUR"
    assert not remittance.trusted
    assert remittance.defects == ("lines read from a list without a table header",)


def test_prose_with_numbers_is_not_a_list_of_invoices() -> None:
    body = "Dear team,\nour order 4711 of 12 boxes arrives on 05.11.2025 at 10:30.\nThanks\n"
    assert email_reader.extract(_message(body=body), source="prose.eml").remittances == []
