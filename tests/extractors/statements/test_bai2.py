"""BAI2 reader: golden files, type codes, funds types, continuations, mutations, round trip."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fixtures.render import bai2 as render
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.extractors.statements.record_checks import (
    FIXTURES,
    PAYLOADS,
    check_golden,
    corpus_file,
    golden_cases,
    lines_of,
    mutate,
    read_or_refuse,
)

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine, LineStatus, Statement
from cashapp.extractors.registry import pick_reader
from cashapp.extractors.statements import bai2

CASES = golden_cases("bai2", ".bai2")
BASIC = (FIXTURES / "bai2" / "basic.bai2").read_bytes()
CONTINUED = (FIXTURES / "bai2" / "continued.bai2").read_bytes()


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden_file_reads_as_expected(case: Path) -> None:
    got = check_golden(case)
    assert got["format"] == "bai2"


def test_groups_accounts_type_codes_and_funds_types() -> None:
    usd, jpy, info = bai2.extract(BASIC, source="basic.bai2").statements
    assert (usd.opening_balance, usd.closing_balance, usd.available_balance) == (
        Decimal("10000.00"),
        Decimal("10832.50"),
        Decimal("10500.00"),
    )
    ach, wire, lockbox, check = usd.lines
    assert (
        ach.amount == Decimal("500.00")
        and ach.bank_ref == "BR0001"
        and ach.end_to_end_id == "CUST0001"
    )
    assert wire.value_date == date(2025, 3, 10) and wire.extra["funds_type"] == "V"
    assert wire.remittance_text == "WIRE FROM GLOBEX LTD OBI: INVOICES 1002 AND 1003"
    assert lockbox.bank_ref == "PO-77"  # no bank reference: the customer reference
    assert check.amount == Decimal("-300.00") and check.extra["funds_type"] == "D"
    assert {line.booking_date for line in usd.lines} == {date(2025, 3, 9)}
    assert jpy.currency == "JPY" and jpy.lines[0].amount == Decimal("-50000")  # no decimals
    assert info.lines[0].status is LineStatus.INFO and info.lines[0].bank_ref == f"{info.id}:0"
    assert any("neither credit nor debit" in w for w in info.warnings)
    assert usd.warnings == () and jpy.warnings == ()
    assert all(s.balanced for s in (usd, jpy, info))


def test_continuations_of_fields_and_text() -> None:
    (statement,) = bai2.extract(CONTINUED, source="c").statements
    assert statement.closing_balance == Decimal("2480.00")  # amount continued on an 88 record
    (line,) = statement.lines
    assert (line.bank_ref, line.end_to_end_id) == ("BR0009", "C-9")
    # the 80-character record was cut inside a number: rejoined without a space
    assert line.remittance_text.endswith("INVOICE NUMBERS 4711 AND 4812345 SETTLED")
    assert statement.warnings == (
        "line 11: file control total 998000, the accounts add up to 748000",
    )


def test_identify_takes_bai2_and_nothing_else() -> None:
    for case in CASES:
        _, module = pick_reader(case.read_bytes(), source=case.name)
        assert module is bai2
    for other in [*(FIXTURES / "cfonb").glob("*.txt"), *(FIXTURES / "coda").glob("*.cod")]:
        assert not bai2.identify(other.read_bytes())


def _with(data: bytes, index: int, record: str) -> bytes:
    records = data.decode().split("\n")
    records[index] = record
    return "\n".join(records).encode()


BAD_INPUTS = {
    "unknown record code": (lambda d: _with(d, 3, "17,165,50000,0,BR0001,,X/"), 4, "record code"),
    "bad amount": (lambda d: _with(d, 3, "16,165,5O000,0,BR0001,,X/"), 4, "amount"),
    "signed detail amount": (lambda d: _with(d, 3, "16,165,-50000,0,BR0001,,X/"), 4, "amount"),
    "blank detail amount": (lambda d: _with(d, 3, "16,165,,0,BR0001,,X/"), 4, "amount"),
    "bad type code": (lambda d: _with(d, 3, "16,16A,50000,0,BR0001,,X/"), 4, "type code"),
    "unknown funds type": (lambda d: _with(d, 3, "16,165,50000,Q,BR0001,,X/"), 4, "funds type"),
    "bad value date": (
        lambda d: _with(d, 4, "16,195,62500,V,251340,0900,BR0002,,WIRE"),
        5,
        "value date",
    ),
    "bad currency": (
        lambda d: _with(d, 9, "03,987654321,J1Y,010,500000,,,015,450000,,/"),
        10,
        "currency code",
    ),
    "16 outside an account": (lambda d: _with(d, 2, "16,165,50000,0,BR0001,,X/"), 3, None),
    "88 first": (lambda d: b"88,X/\n" + d, 1, "record code"),
    "not BAI2": (
        lambda d: _with(d, 0, "01,CASHAPPBANK,CUSTOMER1,250310,0630,FILE001,80,,1/"),
        1,
        "version number",
    ),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_names_file_line_and_field(name: str) -> None:
    change, line, field = BAD_INPUTS[name]
    with pytest.raises(StatementParseError) as error:
        bai2.extract(change(BASIC), source="bank.bai2")
    assert error.value.file == "bank.bai2" and error.value.line == line
    assert str(error.value).startswith(f"bank.bai2:{line}:")
    if field:
        assert error.value.element == field


def test_truncated_file_is_refused() -> None:
    for keep in (3, 9, 13, 18):
        with pytest.raises(StatementParseError, match="truncated"):
            bai2.extract(b"\n".join(BASIC.split(b"\n")[:keep]), source="cut.bai2")


def test_records_after_the_file_trailer_are_refused() -> None:
    with pytest.raises(StatementParseError, match="after the 99"):
        bai2.extract(BASIC + b"16,165,1,0,X,,Y/\n", source="x")


def test_huge_text_is_refused() -> None:
    huge = BASIC.replace(b"LOCKBOX ITEM", b"LOCKBOX ITEM\n" + b"88,MORE TEXT\n" * 7000)
    with pytest.raises(StatementParseError, match="text is over"):
        bai2.extract(huge, source="huge.bai2")


@pytest.mark.parametrize(
    "data",
    [b"", b"PK\x03\x04" + b"\x00" * 200, (FIXTURES / "coda" / "simple.cod").read_bytes()],
    ids=["empty", "zip", "coda"],
)
def test_files_of_another_kind_are_refused(data: bytes) -> None:
    with pytest.raises(StatementParseError):
        bai2.extract(data, source="x")


def test_padding_and_blank_lines_do_not_change_the_lines() -> None:
    padded = b"\r\n\r\n".join(line.ljust(60) for line in BASIC.split(b"\n"))
    assert lines_of(bai2.extract(padded, source="a")) == lines_of(bai2.extract(BASIC, source="a"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.sampled_from([BASIC, CONTINUED]),
    position=st.integers(min_value=0, max_value=10_000),
    action=st.integers(min_value=0, max_value=3),
    payload=PAYLOADS,
)
def test_mutated_files_give_lines_or_the_documented_error(
    which: bytes, position: int, action: int, payload: bytes
) -> None:
    read_or_refuse(bai2.extract, mutate(which, position, action, payload))


# --- round trip ------------------------------------------------------------------------------

WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:", min_size=1, max_size=15)
DAY = st.dates(min_value=date(1990, 1, 1), max_value=date(2068, 12, 31))
REF = st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,20}", fullmatch=True)


@st.composite
def statements(draw: st.DrawFn) -> Statement:
    currency = draw(st.sampled_from(["USD", "EUR", "JPY", "KWD"]))
    places = {"JPY": 0, "KWD": 3}.get(currency, 2)
    amount = st.integers(min_value=-(10**12), max_value=10**12).map(
        lambda u: Decimal(u).scaleb(-places)
    )
    day = draw(DAY)
    lines = []
    for entry in range(draw(st.integers(min_value=0, max_value=6))):
        value = draw(amount)
        lines.append(
            BankLine(
                bank_ref=draw(REF) + f"-{entry}",
                entry=entry,
                amount=value,
                currency=currency,
                booking_date=day,
                value_date=draw(st.one_of(st.none(), DAY)),
                end_to_end_id=draw(st.one_of(st.none(), REF)),
                remittance_text=" ".join(draw(st.lists(WORD, max_size=30))),
                bank_transaction_code=draw(
                    st.sampled_from(["142", "195", "475", "495", "699", None])
                ),
            )
        )
    opening = draw(amount)
    return Statement(
        id="s",
        account=draw(st.from_regex(r"[0-9]{4,17}", fullmatch=True)),
        currency=currency,
        lines=lines,
        opening_balance=opening,
        closing_balance=opening + sum((ln.amount for ln in lines), Decimal(0)),
        closing_date=day,
        available_balance=draw(st.one_of(st.none(), amount)),
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(statements(), min_size=1, max_size=3))
def test_rendered_statements_read_back_the_same(originals: list[Statement]) -> None:
    back = bai2.extract(render.render(originals).encode(), source="rt").statements
    assert len(back) == len(originals)
    for ours, read in zip(originals, back, strict=True):
        assert read.warnings == ()
        for name in (
            "account",
            "currency",
            "opening_balance",
            "closing_balance",
            "available_balance",
        ):
            assert getattr(read, name) == getattr(ours, name), name
        assert len(read.lines) == len(ours.lines)
        for line, got in zip(ours.lines, read.lines, strict=True):
            for name in (
                "bank_ref",
                "entry",
                "amount",
                "booking_date",
                "value_date",
                "end_to_end_id",
                "remittance_text",
            ):
                assert getattr(got, name) == getattr(line, name), name


def test_group_status_other_than_update_is_said_on_its_statements() -> None:
    data = BASIC.replace(b"02,CUSTOMER1,CASHAPPBANK,1,250310", b"02,CUSTOMER1,CASHAPPBANK,4,250310")
    *_, last = bai2.extract(data, source="t").statements
    assert "line 14: group status 4 (test only)" in last.warnings


def test_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + BASIC
    assert bai2.identify(data)
    assert lines_of(bai2.extract(data, source="a")) == lines_of(bai2.extract(BASIC, source="a"))


@pytest.mark.parametrize("amount", ["123456789012345678901", "1e5", "12.50", "NaN"])
def test_amounts_are_digits_within_bounds(amount: str) -> None:
    data = BASIC.replace(b"16,165,50000,", f"16,165,{amount},".encode())
    with pytest.raises(StatementParseError) as error:
        bai2.extract(data, source="a.bai2")
    assert error.value.line == 4 and error.value.element == "amount"


def test_zero_debit_is_not_negative_zero() -> None:
    data = BASIC.replace(b"16,475,30000,D,2,0,10000,1,20000,", b"16,475,0,D,2,0,0,1,0,")
    usd = bai2.extract(data, source="z").statements[0]
    assert str(usd.lines[3].amount) == "0.00"


def test_corpus_text_cut_at_the_physical_record_is_rejoined() -> None:
    data = corpus_file("bai2/moj-bai2__nwb_example.bai2")
    (statement,) = bai2.extract(data, source="nwb").statements
    assert statement.lines[-1].remittance_text.endswith("INTERNATIONAL-5373 CLIENT SECCY AC TFR")
    assert statement.balanced is True and statement.warnings == ()


def test_interim_reports_are_said_on_their_statements() -> None:
    data = BASIC.replace(
        b"02,CUSTOMER1,CASHAPPBANK,1,250310,2400,USD,2/",
        b"02,CUSTOMER1,CASHAPPBANK,1,250310,1200,USD,3/",
    )
    *_, last = bai2.extract(data, source="t").statements
    assert "line 14: interim same-day report; balances may still change" in last.warnings


def test_a_100_kb_text_in_one_record_is_refused_fast() -> None:
    import time

    data = BASIC.replace(b"LOCKBOX ITEM", b"X" * 100_000)
    started = time.perf_counter()
    with pytest.raises(StatementParseError, match="text is over") as error:
        bai2.extract(data, source="long.bai2")
    assert error.value.line == 7 and time.perf_counter() - started < 1
