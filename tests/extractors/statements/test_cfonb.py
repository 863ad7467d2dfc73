"""CFONB120 reader: golden files, round trip through the renderer, mutations, bad input."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fixtures.render import cfonb as render
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
from cashapp.domain.statements import BankLine, Statement
from cashapp.extractors.registry import pick_reader
from cashapp.extractors.statements import cfonb

CASES = golden_cases("cfonb", ".txt")
BASIC = (FIXTURES / "cfonb" / "basic.txt").read_bytes()


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden_file_reads_as_expected(case: Path) -> None:
    got = check_golden(case)
    assert got["format"] == "cfonb120"


def test_golden_basic_reads_every_05_qualifier() -> None:
    statement = cfonb.extract(BASIC, source="basic.txt").statements[0]
    credit, debit, foreign, fee = statement.lines
    assert credit.bank_ref == "BQ250304000123"
    assert credit.counterparty_name == "ACME SARL" and credit.ultimate_party == "ACME HOLDING"
    assert credit.end_to_end_id == "E2E-2025-0042" and credit.extra["purpose"] == "SUPP"
    assert credit.structured_references == ("RF18539007547034",)
    assert credit.remittance_text.endswith("FEVRIER AVEC REMERCIEMENTS")  # LCC + LC2 rejoined
    assert debit.counterparty_name == "EDF SA" and debit.mandate_id == "MANDAT-0099887"
    assert debit.bank_transaction_code == "B1" and debit.value_date == date(2025, 3, 3)
    assert (foreign.instructed_amount, foreign.instructed_currency) == (Decimal("1000.00"), "USD")
    assert foreign.charges == Decimal("3.50")
    assert foreign.extra["05_XYZ"] == "QUALIFIANT INCONNU CONSERVE"
    assert fee.amount == Decimal("-4.50") and fee.extra["commission_exemption"] == "1"
    assert fee.bank_ref == f"{statement.id}:3"  # no reference: a stable key
    assert statement.balanced is True and statement.warnings == ()


def test_records_without_line_ends_read_like_lines() -> None:
    one_run = (FIXTURES / "cfonb" / "one_run.txt").read_bytes()
    assert b"\n" not in one_run
    by_lines = cfonb.extract(BASIC, source="a").statements[1]
    by_blocks = cfonb.extract(one_run, source="b").statements[0]
    assert by_blocks == by_lines


def test_unbalanced_statement_is_kept_with_a_warning_and_duplicates_stay_two_lines() -> None:
    data = (FIXTURES / "cfonb" / "unbalanced.txt").read_bytes()
    statement = cfonb.extract(data, source="u").statements[0]
    assert statement.balanced is False
    assert "does not balance" in statement.warnings[0]
    refs = [line.bank_ref for line in statement.lines]
    assert len(set(refs)) == len(refs) == 5
    assert statement.lines[4].extra["reject_code"] == "05" and statement.lines[4].reversal


@pytest.mark.parametrize(
    ("last", "digit", "sign"),
    [("{", 0, 1), ("A", 1, 1), ("I", 9, 1), ("}", 0, -1), ("J", 1, -1), ("R", 9, -1)],
)
def test_signed_last_digit(last: str, digit: int, sign: int) -> None:
    from cashapp.extractors.statements.cfonb_records import signed_amount

    value = signed_amount(f"0000000012345{last}", 2, "EUR")
    expected = Decimal(123450 + digit).scaleb(-2) * sign
    assert value == expected


def test_number_of_decimals_is_honoured() -> None:
    from cashapp.extractors.statements.cfonb_records import signed_amount

    assert signed_amount("0000000001234E", 3, "KWD") == Decimal("12.345")
    assert signed_amount("0000000001234E", 0, "JPY") == Decimal("12345")
    with pytest.raises(ValueError, match="more decimals"):
        signed_amount("0000000001234E", 3, "EUR")


def test_lenient_by_default_strict_on_request() -> None:
    data = (FIXTURES / "cfonb" / "lenient.txt").read_bytes()
    statement = cfonb.extract(data, source="l").statements[0]
    assert statement.currency == "EUR" and statement.closing_balance == Decimal("75.25")
    with pytest.raises(StatementParseError) as error:
        cfonb.extract(data, source="lenient.txt", strict=True)
    assert str(error.value).startswith("lenient.txt:1:")


def test_identify_takes_cfonb_and_nothing_else() -> None:
    for case in CASES:
        _, module = pick_reader(case.read_bytes(), source=case.name)
        assert module is cfonb
    for other in [*(FIXTURES / "coda").glob("*.cod"), *(FIXTURES / "bai2").glob("*.bai2")]:
        assert not cfonb.identify(other.read_bytes())
    cfonb240 = b"31" + b"0" * 238 + b"\n"
    assert not cfonb.identify(cfonb240)


def _replace_record(data: bytes, index: int, record: str) -> bytes:
    lines = data.decode().split("\n")
    lines[index] = record
    return "\n".join(lines).encode()


BAD_INPUTS = {
    "unknown record code": (
        lambda d: _replace_record(d, 1, "03" + d.decode().split("\n")[1][2:]),
        2,
        "record code",
    ),
    "bad signed digit": (
        lambda d: _replace_record(d, 1, d.decode().split("\n")[1][:103] + "X" + " " * 16),
        2,
        "montant",
    ),
    "bad amount digits": (
        lambda d: _replace_record(
            d, 1, d.decode().split("\n")[1][:95] + "12a45" + d.decode().split("\n")[1][100:]
        ),
        2,
        "montant",
    ),
    "bad date": (
        lambda d: _replace_record(
            d, 1, d.decode().split("\n")[1][:34] + "320325" + d.decode().split("\n")[1][40:]
        ),
        2,
        "date",
    ),
    "record too long": (
        lambda d: _replace_record(d, 1, d.decode().split("\n")[1] + "XYZ"),
        2,
        None,
    ),
    "05 before any 04": (lambda d: _replace_record(d, 1, d.decode().split("\n")[2]), 2, None),
    "other account": (
        lambda d: _replace_record(
            d, 1, d.decode().split("\n")[1][:21] + "99999999999" + d.decode().split("\n")[1][32:]
        ),
        2,
        None,
    ),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_names_file_line_and_field(name: str) -> None:
    change, line, field = BAD_INPUTS[name]
    with pytest.raises(StatementParseError) as error:
        cfonb.extract(change(BASIC), source="bank.cfo")
    assert error.value.file == "bank.cfo" and error.value.line == line
    assert str(error.value).startswith(f"bank.cfo:{line}:")
    if field:
        assert error.value.element == field


def test_truncated_file_is_refused() -> None:
    cut = b"\n".join(BASIC.split(b"\n")[:10])
    with pytest.raises(StatementParseError, match="truncated"):
        cfonb.extract(cut, source="cut.cfo")


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n", b"PK\x03\x04" + b"\x00" * 200, b"<?xml version='1.0'?><Document/>"],
    ids=["empty", "blank", "zip", "xml"],
)
def test_files_of_another_kind_are_refused(data: bytes) -> None:
    with pytest.raises(StatementParseError):
        cfonb.extract(data, source="x")


def test_huge_line_is_refused_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(StatementParseError, match="characters long"):
        cfonb.extract(BASIC[:120] + b"9" * 100_001 + b"\n", source="big")
    assert time.perf_counter() - started < 1


def test_reserved_zones_do_not_change_the_lines() -> None:
    records = BASIC.decode().split("\n")
    changed = [
        r[:40] + "RESERVED ZONE TEXT".ljust(50) + r[90:] if r[:2] in ("01", "07") else r
        for r in records
    ]
    original = cfonb.extract(BASIC, source="a")
    again = cfonb.extract("\n".join(changed).encode(), source="a")
    assert lines_of(again) == lines_of(original)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    position=st.integers(min_value=0, max_value=10_000),
    action=st.integers(min_value=0, max_value=3),
    payload=PAYLOADS,
)
def test_mutated_files_give_lines_or_the_documented_error(
    position: int, action: int, payload: bytes
) -> None:
    result = read_or_refuse(cfonb.extract, mutate(BASIC, position, action, payload))
    if result is not None:
        for statement in result.statements:
            for line in statement.lines:
                assert line.amount == line.amount.quantize(Decimal("0.01"))


# --- round trip: render a random statement, read it back -------------------------------------

WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-./", min_size=1, max_size=12)
TEXT = st.lists(WORD, max_size=8).map(" ".join)
DAY = st.dates(min_value=date(1990, 1, 1), max_value=date(2068, 12, 31))
AMOUNT = st.integers(min_value=-(10**11), max_value=10**11).map(lambda u: Decimal(u).scaleb(-2))
NAME = st.one_of(st.none(), st.lists(WORD, min_size=1, max_size=4).map(" ".join))


ORIGINAL_AMOUNT = st.one_of(
    st.just({}),
    st.tuples(st.sampled_from([("USD", 2), ("JPY", 0), ("KWD", 3)]), st.integers(0, 10**12)).map(
        lambda c: {
            "instructed_currency": c[0][0],
            "instructed_amount": Decimal(c[1]).scaleb(-c[0][1]),
        }
    ),
)


@st.composite
def statements(draw: st.DrawFn) -> Statement:
    lines = []
    for entry in range(draw(st.integers(min_value=0, max_value=6))):
        lines.append(
            BankLine(
                bank_ref=draw(st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,29}", fullmatch=True))
                + f"-{entry}",
                entry=entry,
                amount=draw(AMOUNT),
                currency="EUR",
                booking_date=draw(DAY),
                value_date=draw(st.one_of(st.none(), DAY)),
                counterparty_name=draw(NAME),
                ultimate_party=draw(NAME),
                end_to_end_id=draw(
                    st.one_of(st.none(), st.from_regex(r"[A-Z0-9]{1,35}", fullmatch=True))
                ),
                mandate_id=draw(
                    st.one_of(st.none(), st.from_regex(r"[A-Z0-9]{1,35}", fullmatch=True))
                ),
                remittance_text=draw(TEXT),
                structured_references=tuple(
                    draw(
                        st.lists(
                            st.from_regex(r"RF[0-9]{2}[A-Z0-9]{1,21}", fullmatch=True), max_size=2
                        )
                    )
                ),
                bank_transaction_code=draw(st.sampled_from(["05", "06", "B1", "62", "01"])),
                charges=draw(st.one_of(st.none(), AMOUNT.map(abs))),
                **draw(ORIGINAL_AMOUNT),
            )
        )
    opening = draw(AMOUNT)
    closing = opening + sum((ln.amount for ln in lines), Decimal(0))
    return Statement(
        id="s",
        account=draw(st.from_regex(r"[0-9A-Z]{11}", fullmatch=True)),
        currency="EUR",
        lines=lines,
        opening_balance=opening,
        closing_balance=closing if abs(closing) < 10**11 else opening,
        opening_date=draw(DAY),
        closing_date=draw(DAY),
    )


FIELDS = (
    "bank_ref",
    "entry",
    "amount",
    "currency",
    "booking_date",
    "value_date",
    "counterparty_name",
    "ultimate_party",
    "end_to_end_id",
    "mandate_id",
    "remittance_text",
    "structured_references",
    "bank_transaction_code",
    "charges",
    "instructed_amount",
    "instructed_currency",
)


@settings(max_examples=40, deadline=None)
@given(st.lists(statements(), min_size=1, max_size=3), st.sampled_from(["\n", "\r\n", ""]))
def test_rendered_statements_read_back_the_same(originals: list[Statement], newline: str) -> None:
    text = render.render(originals, newline=newline)
    statements_back = cfonb.extract(text.encode(), source="rt").statements
    assert len(statements_back) == len(originals)
    assert len({s.id for s in statements_back}) == len(originals)
    for statement, back in zip(originals, statements_back, strict=True):
        assert (back.account, back.currency) == (statement.account, statement.currency)
        assert (back.opening_balance, back.closing_balance) == (
            statement.opening_balance,
            statement.closing_balance,
        )
        assert (back.opening_date, back.closing_date) == (
            statement.opening_date,
            statement.closing_date,
        )
        assert len(back.lines) == len(statement.lines)
        for ours, read in zip(statement.lines, back.lines, strict=True):
            for name in FIELDS:
                expected = getattr(ours, name)
                if name == "value_date" and expected is None:
                    continue
                assert getattr(read, name) == expected, name


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ([1, 0], "04 record outside a statement"),
        ([0, 1, 0], "while the statement opened on line 1 has no 07"),
        ([24], "07 record outside a statement"),
    ],
    ids=["04 before 01", "01 inside a statement", "07 alone"],
)
def test_records_out_of_order_are_refused(order: list[int], message: str) -> None:
    records = BASIC.decode().split("\n")
    data = "\n".join(records[i] for i in order).encode()
    with pytest.raises(StatementParseError, match=message):
        cfonb.extract(data, source="order.cfo")


def test_bom_and_leading_blank_lines_are_accepted() -> None:
    data = b"\xef\xbb\xbf\r\n" + BASIC
    assert cfonb.identify(data)
    assert lines_of(cfonb.extract(data, source="a")) == lines_of(cfonb.extract(BASIC, source="a"))


def test_zero_with_negative_sign_character_is_zero() -> None:
    from cashapp.extractors.statements.cfonb_records import signed_amount

    assert str(signed_amount("0000000000000}", 2, "EUR")) == "0.00"


def test_corpus_file_reads_the_same_when_records_are_one_run() -> None:
    data = corpus_file("cfonb/silarhi-cfonb__complex-test.txt")
    one_run = b"".join(line for line in data.split(b"\n") if line.strip())
    assert b"\n" not in one_run
    assert cfonb.extract(one_run, source="a") == cfonb.extract(data, source="a")


def test_endless_complement_records_are_refused() -> None:
    records = BASIC.decode().split("\n")
    flood = records[:3] + [records[2]] * 600 + records[3:]
    with pytest.raises(StatementParseError, match="more than 500 05 complement records") as error:
        cfonb.extract("\n".join(flood).encode(), source="flood.cfo")
    assert error.value.line == 503


def test_bad_original_amount_in_a_complement_names_its_line() -> None:
    records = BASIC.decode().split("\n")
    mmo = records[18]
    assert mmo[45:48] == "MMO"
    records[18] = mmo[:52] + "00000X00100000" + mmo[66:]
    with pytest.raises(StatementParseError) as error:
        cfonb.extract("\n".join(records).encode(), source="mmo.cfo")
    assert (error.value.line, error.value.element) == (19, "MMO")
