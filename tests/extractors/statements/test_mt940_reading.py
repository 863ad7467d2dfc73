"""MT940/MT942 reading: signs, dates, references, dialects, framing and identification."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cashapp.domain.statements import LineStatus
from cashapp.extractors.registry import pick_reader
from cashapp.extractors.statements import mt940

HEAD = ":20:T1\n:25:CH9300762011623852957\n:28C:5/1\n"


def read(body: str, *, opening: str = "C250101CHF100,00", closing: str | None = None) -> object:
    text = f"{HEAD}:60F:{opening}\n{body}"
    if closing:
        text += f":62F:{closing}\n"
    return mt940.extract(text.encode("latin-1"), source="t.sta")


def lines_of(body: str, closing: str) -> list:
    parsed = read(body, closing=closing)
    return list(parsed.statements[0].lines)  # type: ignore[attr-defined]


def test_reversal_marks_have_the_right_sign() -> None:
    lines = lines_of(
        ":61:2501020102RD50,00NRTINONREF//R1\n"
        ":61:2501020102RC25,00NRTINONREF//R2\n"
        ":61:2501020102CR100,00NMSCNONREF//R3\n"
        ":61:2501020102DD7,00NMSCNONREF//R4\n",
        "C250102CHF218,00",
    )
    assert [(line.amount, line.reversal) for line in lines] == [
        (Decimal("50.00"), True),  # RD: reversal of a debit gives money back
        (Decimal("-25.00"), True),  # RC: reversal of a credit takes it away
        (Decimal("100.00"), False),  # C + funds code R
        (Decimal("-7.00"), False),  # D + funds code D
    ]
    assert lines[2].extra["funds_code"] == "R"


def test_entry_date_takes_the_year_nearest_the_value_date() -> None:
    lines = lines_of(
        ":61:2601021231D300,00NTRFNONREF//A\n:61:2512310102C25,00NTRFNONREF//B\n",
        "D260102CHF175,00",
    )
    assert (lines[0].value_date, lines[0].booking_date) == (date(2026, 1, 2), date(2025, 12, 31))
    assert (lines[1].value_date, lines[1].booking_date) == (date(2025, 12, 31), date(2026, 1, 2))


def test_missing_entry_date_books_on_the_value_date() -> None:
    (line,) = lines_of(":61:250102C1,00NTRFNONREF//A\n", "C250102CHF101,00")
    assert line.booking_date == line.value_date == date(2025, 1, 2)


def test_february_30_interest_value_date_is_clamped_with_a_warning() -> None:
    parsed = read(":61:2502300301C1,00NTRFNONREF//A\n", closing="C250301CHF101,00")
    statement = parsed.statements[0]  # type: ignore[attr-defined]
    assert statement.lines[0].value_date == date(2025, 2, 28)
    assert any("not a calendar date" in w for w in statement.warnings)


def test_bank_reference_customer_reference_then_a_stable_key() -> None:
    body = (
        ":61:250102C1,00NTRFCUST-1//BANK-1\n"
        ":61:250102C1,00NTRFCUST-2\n"
        ":61:250102C1,00NTRFNONREF\n"
        ":61:250102C1,00NTRFNONREF\n"
    )
    first = [line.bank_ref for line in lines_of(body, "C250102CHF104,00")]
    again = [line.bank_ref for line in lines_of(body, "C250102CHF104,00")]
    assert first[:2] == ["BANK-1", "CUST-2"]
    assert first[2] != first[3], "two identical payments stay two lines"
    assert first == again, "the same file gives the same keys"


def test_repeated_customer_reference_is_not_an_identifier() -> None:
    lines = lines_of(":61:250102C1,00NTRFEREF\n:61:250102C2,00NTRFEREF\n", "C250102CHF103,00")
    assert len({line.bank_ref for line in lines}) == 2
    assert all(line.bank_ref != "EREF" for line in lines)


def test_unbalanced_statement_is_read_with_a_warning() -> None:
    parsed = read(":61:250102C1,00NTRFNONREF//A\n", closing="C250102CHF999,00")
    statement = parsed.statements[0]  # type: ignore[attr-defined]
    assert statement.balanced is False
    assert statement.closing_balance == Decimal("999.00")  # as sent, never "fixed"
    assert any("does not balance" in w for w in statement.warnings)


def test_line_endings_and_framing_do_not_matter() -> None:
    text = f"{HEAD}:60F:C250101CHF100,00\n:61:250102C1,00NTRFNONREF//A\n:62F:C250102CHF101,00\n-"
    variants = [
        text,
        text.replace("\n", "\r\n"),
        text.replace("\n", "\r"),
        "\x01" + text + "\x03",
        "{1:F01BANKXXXX0000000000}{2:O940}{4:\n" + text + "}{5:{CHK:0}}",
        "@@" + text.replace("\n", "@@"),
    ]
    results = [mt940.extract(v.encode(), source="v.sta").statements[0].lines for v in variants]
    assert all(lines == results[0] for lines in results)


def test_several_statements_and_separators() -> None:
    one = f"{HEAD}:60F:C250101CHF100,00\n:61:250102C1,00NTRFNONREF//A\n:62F:C250102CHF101,00\n"
    parsed = mt940.extract((one + "-\n" + one.replace("//A", "//B") + "-\n").encode(), source="s")
    assert [s.lines[0].bank_ref for s in parsed.statements] == ["A", "B"]


def test_german_subfields_are_rejoined() -> None:
    (line,) = lines_of(
        ":61:250102C1,00NTRFNONREF//A\n"
        ":86:166?00GUTSCHRIFT?20EREF+E2E-1?21SVWZ+Rechnung 2025-0001 und 2\n"
        "025-0002?30GENODEF1XXX?31DE02100100100006820101?32Muster?33mann GmbH\n",
        "C250102CHF101,00",
    )
    assert line.end_to_end_id == "E2E-1"
    assert line.remittance_text == "Rechnung 2025-0001 und 2025-0002"
    assert line.counterparty_account == "DE02100100100006820101"
    assert line.counterparty_bic == "GENODEF1XXX"
    assert line.counterparty_name == "Muster mann GmbH"
    assert line.extra["posting_text"] == "GUTSCHRIFT"


def test_dutch_keys() -> None:
    (line,) = lines_of(
        ":61:250102C1,00NTRFNONREF//A\n"
        ":86:/EREF/E2E-9//CNTP/NL91ABNA0417164300/ABNANL2A/Jansen BV/Utrecht//REMI/USTD//F 9/\n",
        "C250102CHF101,00",
    )
    assert (line.end_to_end_id, line.remittance_text) == ("E2E-9", "F 9")
    assert (line.counterparty_account, line.counterparty_bic) == ("NL91ABNA0417164300", "ABNANL2A")
    assert line.counterparty_name == "Jansen BV"


def test_mt942_is_named_and_expected_entries_are_pending() -> None:
    text = (
        ":20:I1\n:25:DE89370400440532013000\n:28C:1/1\n:34F:EURD10,\n:13D:2501021200+0100\n"
        ":61:250102ED5,00NDDTNONREF\n:90D:1EUR5,00\n:90C:0EUR0,\n-\n"
    )
    parsed = mt940.extract(text.encode(), source="i.sta")
    assert parsed.format == "mt942"
    (line,) = parsed.statements[0].lines
    assert (line.amount, line.status) == (Decimal("-5.00"), LineStatus.PENDING)
    assert parsed.statements[0].extra["floor_limit_D"] == "10.00"


def test_latin1_text_is_decoded() -> None:
    body = ":61:250102C1,00NTRFNONREF//A\n:86:ÜBERWEISUNG Müller\n"
    (line,) = lines_of(body, "C250102CHF101,00")
    assert line.remittance_text == "ÜBERWEISUNG Müller"


def test_identify() -> None:
    assert mt940.identify(b":20:X\r\n:25:Y\r\n")
    assert mt940.identify(b"{1:F01X}{2:O940}{4:\r\n:20:X\r\n")
    assert not mt940.identify(b"<?xml version='1.0'?><Document>:20:</Document>")
    assert not mt940.identify(b"OFXHEADER:100\nDATA:OFXSGML\n")
    assert not mt940.identify(b"invoice_number,customer_id\n1,2\n")
    kind, reader = pick_reader(b":20:X\n:25:Y\n:60F:C250101EUR1,\n", source="x")
    assert (kind, reader.name) == ("statement", "mt940")


def test_the_fast_bank_line_builder_gives_what_bank_line_gives() -> None:
    import dataclasses

    import pytest

    from cashapp.domain.statements import BankLine, ReferredDocument
    from cashapp.extractors.statements.line_builder import bank_line

    every = {
        "bank_ref": "B1", "entry": 3, "amount": Decimal("-1.50"), "currency": "EUR",
        "booking_date": date(2025, 1, 2), "value_date": date(2025, 1, 3),
        "status": LineStatus.PENDING, "reversal": True, "counterparty_name": "N",
        "counterparty_account": "DE1", "counterparty_bic": "BIC", "ultimate_party": "U",
        "end_to_end_id": "E", "mandate_id": "M", "remittance_text": "R",
        "structured_references": ("RF1",), "referred_documents": (ReferredDocument(number="1"),),
        "bank_transaction_code": "NTRF", "instructed_amount": Decimal(2),
        "instructed_currency": "USD", "charges": Decimal(1), "entry_amount": Decimal(3),
        "additional_info": "A", "extra": {"k": "v"},
    }  # fmt: skip
    assert set(every) == {f.name for f in dataclasses.fields(BankLine)}
    built, made = bank_line(**every), BankLine(**every)
    assert built == made and type(built) is BankLine
    assert all(getattr(built, f) is getattr(made, f) for f in every)
    least = {"bank_ref": "B1", "entry": 0, "amount": Decimal(1), "currency": "EUR"}
    built, made = bank_line(**least), BankLine(**least)
    assert built == made and built.extra == {} and built.extra is not bank_line(**least).extra
    with pytest.raises(TypeError):
        bank_line(entry=0, amount=Decimal(1), currency="EUR")


def test_sepa_keys_are_split_as_the_key_regex_splits() -> None:
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cashapp.extractors.statements.mt940_details import _split_sepa

    keys = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT|BREF|RREF|PURP|IBAN|BIC)\+")
    bits = st.sampled_from(["EREF", "BIC", "ABIC", "IBAN", "SVWZ", "+", "++", "E", "F", " ", "x"])

    @settings(max_examples=500, deadline=None)
    @given(st.lists(bits, max_size=12).map("".join))
    def check(purpose: str) -> None:
        assert _split_sepa(purpose) == keys.split(purpose)

    check()
    assert len(_split_sepa("+" * 60_000)) == 1  # linear: no text grown per "+"
