"""PDF advices are parsed in the sandbox: malicious PDFs fail cleanly and quickly (P6, P7)."""

from __future__ import annotations

import time

import pytest
from fixtures.remittance.pdf_writer import circular_xobject_pdf, operator_bomb_pdf, text_pdf

from cashapp.core.errors import RemittanceParseError
from cashapp.core.settings import Settings
from cashapp.domain.remittances import RemittanceFile
from cashapp.extractors.inspect_json import remittance_file_json
from cashapp.extractors.read import read_bytes, read_untrusted
from cashapp.extractors.remittance import pdf
from cashapp.extractors.sandbox import SandboxLimits, run_sandboxed


def test_circular_form_xobjects_fail_cleanly() -> None:
    with pytest.raises(RemittanceParseError):
        pdf.extract(circular_xobject_pdf(), source="loop.pdf")


@pytest.mark.parametrize("operators", [150_000, 2_000_000])
def test_operator_bomb_is_refused_quickly_naming_the_page(operators: int) -> None:
    started = time.perf_counter()
    with pytest.raises(RemittanceParseError) as caught:
        pdf.extract(operator_bomb_pdf(operators), source="bomb.pdf")
    assert time.perf_counter() - started < 5.0
    assert "bomb.pdf: page 1:" in str(caught.value)


def test_wall_clock_limit_stops_a_slow_parser() -> None:
    started = time.perf_counter()
    with pytest.raises(RemittanceParseError, match="timed out"):
        run_sandboxed(
            "cashapp.extractors.sandbox_worker:idle",
            b"30",
            SandboxLimits(wall_seconds=1.0),
            source="slow",
        )
    assert time.perf_counter() - started < 3.0


def test_memory_limit_applies_in_the_child() -> None:
    limits = SandboxLimits(memory_bytes=300 * 1024 * 1024)
    target = "cashapp.extractors.sandbox_worker:hog"
    assert run_sandboxed(target, b"1000000", limits, source="small") == 1_000_000
    with pytest.raises(RemittanceParseError, match="MemoryError"):
        run_sandboxed(target, str(600 * 1024 * 1024).encode(), limits, source="big")


def test_a_crash_in_the_child_is_an_input_error() -> None:
    with pytest.raises(RemittanceParseError, match="parser failed"):
        pdf.extract(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", source="broken.pdf")


def test_not_a_pdf() -> None:
    with pytest.raises(RemittanceParseError, match="not a PDF"):
        pdf.extract(b"hello", source="x.pdf")


def test_right_aligned_amounts_and_blank_cells_land_in_their_columns() -> None:
    page = [
        (40, 40, "Payment reference: PR-1"),
        (40, 60, "Invoice"),
        (150, 60, "Gross"),
        (230, 60, "Discount"),
        (320, 60, "Paid"),
        (40, 75, "INV-1"),
        (150, 75, "100.00"),
        (230, 75, "2.00"),
        (320, 75, "98.00"),
        (40, 90, "INV-2"),
        (150, 90, "50.00"),
        (320, 90, "50.00"),
    ]
    remittance = pdf.extract(text_pdf([page]), source="a.pdf").remittances[0]
    second = remittance.lines[1]
    assert (second.reference, second.gross, second.discount, second.paid) == (
        "INV-2",
        50,
        None,
        50,
    )
    assert remittance.payment_id == "PR-1"


def _email_with_pdf(attachment: bytes) -> bytes:
    body = (
        "Payment reference: PAY-77\r\nCurrency: EUR\r\n\r\n"
        "Invoice No.    Amount paid\r\nINV-1001       1,200.00\r\nTotal          1,200.00\r\n"
    )
    return (
        b"From: AP <ap@acme.example>\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/plain\r\n\r\n" + body.encode() + b"\r\n"
        b"--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        b'filename="advice.pdf"\r\n\r\n' + attachment + b"\r\n--m--\r\n"
    )


@pytest.mark.parametrize(
    ("attachment", "says"),
    [(b"%PDF-1.4 garbage", "advice.pdf unreadable"), (operator_bomb_pdf(150_000), "page 1")],
)
def test_a_bad_pdf_attachment_costs_that_attachment_only_in_the_sandbox(
    attachment: bytes, says: str
) -> None:
    """Read as the CLI reads it: the email in a worker, its PDF in a sub-worker forked from it."""
    read = read_untrusted(_email_with_pdf(attachment), source="mail.eml", settings=Settings())
    assert isinstance(read, RemittanceFile)
    (remittance,) = read.remittances
    assert [line.reference for line in remittance.lines] == ["INV-1001"]
    assert any(says in defect for defect in remittance.defects), remittance.defects


def test_a_pdf_attachment_reads_the_same_in_the_sandbox_as_in_process() -> None:
    page = [(40, 40, "Invoice"), (150, 40, "Paid"), (40, 55, "INV-9"), (150, 55, "10.00")]
    data = _email_with_pdf(text_pdf([page]))
    boxed, direct = read_untrusted(data, source="m.eml", settings=Settings()), read_bytes(
        data, source="m.eml"
    )
    assert isinstance(boxed, RemittanceFile) and isinstance(direct, RemittanceFile)
    assert remittance_file_json(boxed) == remittance_file_json(direct)
    assert [r.lines[0].reference for r in boxed.remittances] == ["INV-1001", "INV-9"]
