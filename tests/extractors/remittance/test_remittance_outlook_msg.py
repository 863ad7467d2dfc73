"""Outlook .msg advices (built offline by fixtures.remittance.msg_writer): trust and caps."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fixtures.remittance.msg_writer import outlook_msg

from cashapp.core.errors import RemittanceParseError
from cashapp.extractors.read import read_bytes
from cashapp.extractors.remittance import email as email_reader

BODY = "Payment reference: PAY-MSG-1\r\n\r\nInvoice No.   Amount paid\r\nINV-1         100.00\r\n"


def _msg(auth: str | None, attachments: list[tuple[str, str, bytes]] | None = None) -> bytes:
    headers = (
        "From: AP <ap@acme.example>\r\nSubject: x\r\nDate: Wed, 05 Nov 2025 10:00:00 +0000\r\n"
    )
    if auth:
        headers += f"Authentication-Results: {auth}\r\n"
    return outlook_msg(
        subject="x",
        sender_name="AP",
        sender_email="ap@acme.example",
        headers=headers + "\r\n",
        body=BODY,
        attachments=attachments or [],
    )


def test_msg_with_dmarc_pass_is_trusted() -> None:
    data = _msg("mx.seller.example; dmarc=pass header.from=acme.example")
    assert email_reader.identify(data[:65536])
    remittance = read_bytes(data, source="a.msg").remittances[0]  # type: ignore[union-attr]
    assert remittance.trusted
    assert remittance.payment_id == "PAY-MSG-1"
    assert remittance.lines[0].paid == Decimal("100.00")


def test_msg_without_authentication_results_is_untrusted() -> None:
    remittance = email_reader.extract(_msg(None), source="b.msg").remittances[0]
    assert not remittance.trusted
    assert remittance.defects == ("sender unverified: no dmarc=pass for acme.example",)


def test_msg_with_too_many_attachments_is_refused() -> None:
    many = [(f"a{i}.txt", "text/plain", b"x") for i in range(201)]
    with pytest.raises(RemittanceParseError, match="more than 200 attachments"):
        email_reader.extract(_msg(None, many), source="c.msg")


def test_broken_compound_file_is_an_input_error() -> None:
    data = _msg(None)[:1536]
    with pytest.raises(RemittanceParseError, match=r"unreadable \.msg"):
        email_reader.extract(data, source="d.msg")
