"""What the MT940 (and OFX) path hands the matcher: the ``:86:`` read once (no raw copy in
``additional_info``), the instructed amount and charges the bank states, and structured
remittance that the renderers pass on as text, as banks do."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from fixtures.render import mt940 as render_mt940
from fixtures.render import ofx as render_ofx

from cashapp.domain.reasons import ReasonCode
from cashapp.domain.statements import Adjustment, BankLine, ReferredDocument, Statement
from cashapp.extractors.nlp.api import find_references, learn_shapes
from cashapp.extractors.statements import mt940, ofx

HEAD = ":20:T1\n:25:DE89370400440532013000\n:28C:5/1\n:60F:C250101EUR100,00\n"


def read_line(body: str) -> BankLine:
    text = f"{HEAD}{body}:62F:C250102EUR100,00\n"
    parsed = mt940.extract(text.encode("latin-1"), source="t.sta")
    (line,) = parsed.statements[0].lines  # type: ignore[attr-defined]
    return line  # type: ignore[no-any-return]


def as_the_run_reads(line: BankLine, invoices: list[str]) -> list[str]:
    """The references ``reconciliation.run`` finds: remittance text plus additional info."""
    text = " ".join(part for part in (line.remittance_text, line.additional_info) if part)
    return [r.normalized for r in find_references(text, shapes=learn_shapes(invoices))]


def test_german_purpose_cut_inside_an_invoice_number_reads_the_whole_number_once() -> None:
    line = read_line(
        ":61:250102C500,00NTRFNONREF//A\n"
        ":86:166?00GUTSCHRIFT?20SVWZ+Betaling INV-2025-0005?2169?31DE9186181524882049\n"
        "9655?32Muster GmbH\n"
    )
    assert line.remittance_text == "Betaling INV-2025-000569"
    assert line.additional_info is None
    refs = as_the_run_reads(line, ["INV-2025-000569", "INV-2025-000005", "INV-1458-316745"])
    assert refs == ["INV-2025-000569"]


@pytest.mark.parametrize(
    "details",
    [
        "/EREF/E2E-9//NAME/Jansen BV//REMI/USTD//INV-7/",
        "?20EREF+E2E-9?21SVWZ+INV-7?32Jansen BV",
    ],
)
def test_structured_details_leave_no_raw_text(details: str) -> None:
    line = read_line(f":61:250102C1,00NTRFNONREF//A\n:86:{details}\n")
    assert (line.end_to_end_id, line.remittance_text, line.counterparty_name) == (
        "E2E-9", "INV-7", "Jansen BV")
    assert line.additional_info is None
    assert line.extra["raw_details"] == details  # as written, for inspection only


def test_free_text_details_are_the_remittance_text_only() -> None:
    line = read_line(":61:250102C1,00NTRFNONREF//A\n:86:Rechnung INV-7 Danke\n")
    assert line.remittance_text == "Rechnung INV-7 Danke"
    assert line.additional_info is None


def test_swift_supplementary_details_give_the_instructed_amount_and_charges() -> None:
    line = read_line(
        ":61:250102C475,00NTRFNONREF//A\n/OCMT/EUR500,00//CHGS/EUR25,00/\n"
        ":86:166?00GUTSCHRIFT?20SVWZ+INV-7\n"
    )
    assert (line.instructed_amount, line.instructed_currency) == (Decimal("500.00"), "EUR")
    assert line.charges == Decimal("25.00")


def test_dutch_ocmt_and_chgs_in_the_details() -> None:
    line = read_line(
        ":61:250102C475,00NTRFNONREF//A\n"
        ":86:/OCMT/USD540,10//CHGS/EUR25,00//REMI/USTD//INV-7/\n"
    )
    assert (line.instructed_amount, line.instructed_currency) == (Decimal("540.10"), "USD")
    assert line.charges == Decimal("25.00")
    assert line.remittance_text == "INV-7"


def test_charges_in_another_currency_are_not_the_lines_charges() -> None:
    line = read_line(":61:250102C475,00NTRFNONREF//A\n/CHGS/USD25,00/\n:86:INV-7\n")
    assert line.charges is None
    assert line.instructed_amount is None


def test_german_oamt_is_the_instructed_amount_in_the_account_currency() -> None:
    line = read_line(
        ":61:250102C11,35NTRFNONREF//A\n"
        ":86:109?00SEPA-LASTSCHR. RETOURE?20EREF+E2E-1 OAMT+11,85 COAM+0,50?21 SVWZ+ENDABRECHNU\n"
        "NG 500106875\n"
    )
    assert (line.instructed_amount, line.instructed_currency) == (Decimal("11.85"), "EUR")
    assert line.charges is None  # COAM+ is a compensation amount, not charges borne
    assert line.extra["sepa_coam"] == "0,50"


def statement(*lines: BankLine) -> Statement:
    return Statement(id="S1", account="DE89370400440532013000", currency="EUR", lines=list(lines),
                     opening_balance=Decimal("0.00"), opening_date=date(2025, 1, 2),
                     closing_date=date(2025, 1, 2))


def charged_line(charges: Decimal | None) -> BankLine:
    return BankLine(bank_ref="B1", entry=0, amount=Decimal("475.00"), currency="EUR",
                    value_date=date(2025, 1, 2), booking_date=date(2025, 1, 2),
                    remittance_text="Re INV-2025-007084", instructed_amount=Decimal("500.00"),
                    instructed_currency="EUR", charges=charges)


@pytest.mark.parametrize("details", ["german", "dutch", "plain"])
@pytest.mark.parametrize("charges", [None, Decimal("25.00")])
def test_instructed_amount_and_charges_survive_render_then_read(
    details: str, charges: Decimal | None
) -> None:
    text = render_mt940.render([statement(charged_line(charges))], details=details)
    expected = "/OCMT/EUR500,00/" + ("/CHGS/EUR25,00/" if charges else "")
    assert expected in text.splitlines()
    (line,) = mt940.extract(text.encode(), source="t.sta").statements[0].lines
    assert (line.instructed_amount, line.instructed_currency, line.charges) == (
        Decimal("500.00"), "EUR", charges)
    assert line.remittance_text == "Re INV-2025-007084"


def structured_line(documents: int) -> BankLine:
    docs = tuple(ReferredDocument(number=f"INV-2025-{n:06d}", type="CINV",
                                  due_amount=Decimal("1000.00"),
                                  remitted_amount=Decimal(f"{900 + n}.50"))
                 for n in range(1, documents + 1))
    total = sum((d.remitted_amount or Decimal(0) for d in docs), Decimal(0))
    return BankLine(bank_ref="B2", entry=0, amount=total, currency="EUR",
                    value_date=date(2025, 1, 2), booking_date=date(2025, 1, 2),
                    counterparty_name="Muster GmbH", referred_documents=docs)


INVOICES = [f"INV-2025-{n:06d}" for n in range(1, 200)]


def test_referred_documents_are_passed_on_as_german_purpose_text() -> None:
    text = render_mt940.render([statement(structured_line(2))], details="german")
    (line,) = mt940.extract(text.encode(), source="t.sta").statements[0].lines
    assert line.remittance_text == "INV-2025-000001 901,50 INV-2025-000002 902,50"
    assert as_the_run_reads(line, INVOICES) == ["INV-2025-000001", "INV-2025-000002"]


def test_many_referred_documents_are_cut_at_ten_purpose_subfields() -> None:
    text = render_mt940.render([statement(structured_line(12))], details="german")
    (line,) = mt940.extract(text.encode(), source="t.sta").statements[0].lines
    assert len("SVWZ+" + line.remittance_text) <= 10 * 27
    found = find_references(line.remittance_text, shapes=learn_shapes(INVOICES))
    # 22 characters a document: 11 of the 12 fit whole and are read with their amounts; the
    # cut tail ("INV-2025-000") is at most an unsure guess at a number nobody owes.
    sure = [(r.normalized, r.amount) for r in found if r.confidence >= 0.5]
    assert sure == [(f"INV-2025-{n:06d}", Decimal(f"{900 + n}.50")) for n in range(1, 12)]
    assert all(r.normalized not in INVOICES for r in found if r.confidence < 0.5)


def test_referred_documents_are_passed_on_in_the_ofx_memo() -> None:
    text = render_ofx.render([statement(structured_line(3))])
    parsed = ofx.extract(text.encode("cp1252"), source="t.ofx")
    (line,) = parsed.statements[0].lines  # type: ignore[attr-defined]
    assert line.remittance_text == (
        "INV-2025-000001 901.50 INV-2025-000002 902.50 INV-2025-000003 903.50")
    assert as_the_run_reads(line, INVOICES) == [f"INV-2025-{n:06d}" for n in (1, 2, 3)]
    assert line.instructed_amount is None  # OFX has no field for it


def test_ofx_memo_is_cut_at_255_characters() -> None:
    text = render_ofx.render([statement(structured_line(14))])
    memo = next(row for row in text.splitlines() if "<MEMO>" in row)
    assert len(memo.split("<MEMO>", 1)[1].split("<", 1)[0]) == 255


def test_adjusted_document_is_passed_on_with_its_reason_code_and_read_back() -> None:
    doc = ReferredDocument(number="INV-2025-000007", type="CINV", due_amount=Decimal("500.00"),
                           remitted_amount=Decimal("450.00"),
                           adjustments=(Adjustment(amount=Decimal("50.00"), reason="DAMG"),))
    line = dataclasses.replace(structured_line(1), amount=Decimal("450.00"),
                               referred_documents=(doc,))
    text = render_mt940.render([statement(line)], details="german")
    (read,) = mt940.extract(text.encode(), source="t.sta").statements[0].lines
    assert read.remittance_text == "INV-2025-000007 450,00 DAMG 50,00"
    (ref,) = find_references(read.remittance_text, shapes=learn_shapes(INVOICES))
    assert (ref.normalized, ref.amount, ref.reason) == (
        "INV-2025-000007", Decimal("450.00"), ReasonCode.DAMAGED)
