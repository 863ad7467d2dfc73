"""CSV/XLSX advices: header words in six languages, locale amounts read exactly, strict errors."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from fixtures.remittance.vocabulary import format_amount
from hypothesis import given
from hypothesis import strategies as st

from cashapp.core.errors import RemittanceParseError
from cashapp.domain.money import AmountError
from cashapp.domain.reasons import ReasonCode
from cashapp.extractors.remittance import tables
from cashapp.extractors.remittance.amount_columns import amount_cell, column_role, label_role
from cashapp.extractors.remittance.dates_text import parse_date_text


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("1.234,56", "1234.56", None),
        ("1 234,56 €", "1234.56", "EUR"),
        ("1\u202f234,56", "1234.56", None),
        ("1,234.56", "1234.56", None),
        ("£1,234.56", "1234.56", "GBP"),
        ("CHF 1'234.50", "1234.50", "CHF"),
        ("-250,00", "-250.00", None),
        ("250,00-", "-250.00", None),
        ("(12.50)", "-12.50", None),
        ("EUR 0,99", "0.99", "EUR"),
        ("", None, None),
    ],
)
def test_amount_cells_in_any_locale(text: str, value: str | None, currency: str | None) -> None:
    parsed, found_currency = amount_cell(text)
    assert parsed == (Decimal(value) if value else None)
    assert found_currency == currency


@pytest.mark.parametrize("text", ["NaN", "1e5", "12,34,5x", "inf"])
def test_non_amounts_are_refused(text: str) -> None:
    with pytest.raises(AmountError):
        amount_cell(text)


@given(
    st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2),
    st.sampled_from(["en", "fr", "de", "nl", "es", "it"]),
    st.booleans(),
)
def test_locale_written_amounts_round_trip_exactly(
    value: Decimal, language: str, grouping: bool
) -> None:
    written = format_amount(value, language, grouping=grouping)
    assert amount_cell(written)[0] == value


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("Invoice No.", "reference"),
        ("N° facture", "reference"),
        ("Rechnungsnr.", "reference"),
        ("Nº factura", "reference"),
        ("Numero fattura", "reference"),
        ("Factuurnummer", "reference"),
        ("Invoice amount", "gross"),
        ("Montant facture", "gross"),
        ("Rechnungsbetrag", "gross"),
        ("Skonto", "discount"),
        ("Escompte", "discount"),
        ("Sconto", "discount"),
        ("Abzug", "deduction"),
        ("Deducción", "deduction"),
        ("Inhouding", "deduction"),
        ("Grund", "reason"),
        ("Motif", "reason"),
        ("Causale", "reason"),
        ("Montant payé", "paid"),
        ("Zahlbetrag", "paid"),
        ("Importe pagado", "paid"),
        ("Betrag", "amount"),
        ("Bedrag", "amount"),
        ("Invoice date", "date"),
        ("Total amount due on this advice", None),
    ],
)
def test_column_headers_in_six_languages(header: str, role: str | None) -> None:
    assert column_role(header) == role


def test_labels() -> None:
    assert label_role("Référence du paiement") == "payment_id"
    assert label_role("Zahlungsdatum") == "date"
    assert label_role("Totaal betaald") == "total"
    assert label_role("Betaler") == "payer"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("05.11.2025", "2025-11-05"),
        ("05/11/2025", "2025-11-05"),
        ("11/25/2025", "2025-11-25"),
        ("5 novembre 2025", "2025-11-05"),
        ("5. November 2025", "2025-11-05"),
        ("November 5, 2025", "2025-11-05"),
        ("2025-11-05T10:00", "2025-11-05"),
        ("32.13.2025", None),
    ],
)
def test_dates_as_written(text: str, iso: str | None) -> None:
    parsed = parse_date_text(text)
    assert (parsed.isoformat() if parsed else None) == iso


def test_bad_amount_in_a_csv_names_line_and_column() -> None:
    data = b"Invoice;Paid\nINV-1;12,00\nINV-2;twelve\n"
    with pytest.raises(RemittanceParseError) as caught:
        tables.extract(data, source="bad.csv")
    assert str(caught.value) == "bad.csv:3: column paid: paid is not an amount: 'twelve'"


def test_totals_mismatch_is_a_defect_not_a_fix() -> None:
    data = "Facture;Montant payé\nFA-1;100,00\nFA-2;50,00\nTotal;160,00\n".encode("cp1252")
    remittance = tables.extract(data, source="m.csv").remittances[0]
    assert remittance.total == Decimal("160.00")
    assert [line.paid for line in remittance.lines] == [Decimal("100.00"), Decimal("50.00")]
    assert not remittance.trusted
    assert remittance.defects == ("lines add up to 150.00, the total is 160.00",)


def test_line_that_does_not_add_up_is_a_defect() -> None:
    data = b"Invoice,Gross,Discount,Paid\nINV-1,100.00,2.00,97.00\n"
    remittance = tables.extract(data, source="l.csv").remittances[0]
    assert not remittance.trusted
    assert "line 1 (INV-1)" in remittance.defects[0]


def test_reason_code_column_maps_to_canonical_codes() -> None:
    data = b"Invoice,Amount due,Deduction,Reason code,Paid\nINV-1,100.00,10.00,FRGT,90.00\n"
    line = tables.extract(data, source="r.csv").remittances[0].lines[0]
    assert line.reason_code is ReasonCode.FREIGHT


def test_xlsx_numbers_are_exact_and_formulas_are_not_evaluated() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Rechnung", "Betrag"])
    sheet.append(["RE-1", 12345678.91])  # binary floats, read back through their repr
    sheet.append(["RE-2", 1209.87])
    sheet.append(["RE-3", "=1+1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    remittance = tables.extract(buffer.getvalue(), source="f.xlsx").remittances[0]
    # the formula has no cached value: never evaluated, the line is reported, not invented
    assert remittance.defects == ("row 4: 'RE-3' has no amount",)
    assert not remittance.trusted
    assert [line.paid for line in remittance.lines] == [
        Decimal("12345678.91"),
        Decimal("1209.87"),
    ]


def test_text_that_is_no_advice_is_not_identified() -> None:
    assert not tables.identify(b"hello world\nthis is a letter\n")
    assert tables.identify(b"Invoice;Amount\nINV-1;5,00\n")


def test_a_five_thousand_line_advice_reads_in_well_under_a_few_seconds() -> None:
    import time

    rows = ["Invoice;Gross;Deduction;Reason;Paid"]
    rows += [f"INV-{i:06d};1.234,56;10,00;Ware beschädigt;1.224,56" for i in range(5000)]
    started = time.perf_counter()
    remittance = tables.extract("\n".join(rows).encode(), source="big.csv").remittances[0]
    assert len(remittance.lines) == 5000
    assert time.perf_counter() - started < 5.0
