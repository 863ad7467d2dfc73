"""CODA reader: golden files, globalisation, round trip through the renderer, mutations, bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fixtures.render import coda as render
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
from cashapp.extractors.statements import coda

CASES = golden_cases("coda", ".cod")
SIMPLE = (FIXTURES / "coda" / "simple.cod").read_bytes()
GLOBALISED = (FIXTURES / "coda" / "globalised.cod").read_bytes()


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden_file_reads_as_expected(case: Path) -> None:
    got = check_golden(case)
    assert got["format"] == "coda"


def test_structured_communication_is_a_creditor_reference() -> None:
    statement = coda.extract(SIMPLE, source="simple.cod").statements[0]
    ogm, invoice, refund = statement.lines
    assert ogm.structured_references == ("090933755493",)  # +++090/9337/55493+++
    assert ogm.extra["communication_type"] == "101" and ogm.remittance_text == ""
    assert (ogm.counterparty_name, ogm.counterparty_account, ogm.counterparty_bic) == (
        "DUPONT JEAN",
        "BE71096123456769",
        "KREDBEBB",
    )
    assert ogm.end_to_end_id == "E2E-OGM-1"
    assert "RUE DE LA LOI 16" in (ogm.additional_info or "")  # information records 3.1/3.2
    # unstructured text continued over 2.1, 2.2 and 2.3, rejoined
    assert invoice.remittance_text.endswith("BON DE COMMANDE PO-9981 DU 03/03/2025")
    assert invoice.extra["category_purpose"] == "SUPP" and invoice.extra["purpose"] == "GDDS"
    assert refund.bank_ref == f"{statement.id}:0003"  # no bank reference: a stable key
    assert statement.information == "VOTRE GESTIONNAIRE: MME MARTIN 02/555 12 34"
    assert statement.balanced is True and statement.warnings == ()


def test_globalised_movement_is_one_entry_with_a_line_per_detail() -> None:
    statement = coda.extract(GLOBALISED, source="g.cod").statements[0]
    salaries = [line for line in statement.lines if line.entry == 0]
    assert [line.amount for line in salaries] == [
        Decimal("-400.00"),
        Decimal("-300.00"),
        Decimal("-200.00"),
    ]
    assert {line.entry_amount for line in salaries} == {Decimal("-900.00")}
    assert len({line.bank_ref for line in salaries}) == 3
    foreign = statement.lines[3]
    assert foreign.amount == Decimal("980.00") and foreign.entry_amount is None
    assert "84150100: 1000.00 MONTANT BRUT" in (foreign.additional_info or "")
    kept = statement.lines[4]
    assert kept.amount == Decimal("100.00") and "60150000: 60.00 DETAIL 1" in (
        kept.additional_info or ""
    )
    assert any("do not add up" in w for w in statement.warnings)
    assert statement.balanced is True


def test_version_1_and_belgian_account_numbers() -> None:
    statement = coda.extract(
        (FIXTURES / "coda" / "version1.cod").read_bytes(), source="v1"
    ).statements[0]
    assert statement.account == "539007547034" and statement.opening_balance == Decimal("-10.00")
    assert statement.lines[0].counterparty_name == "LOCATAIRE SPRL"
    assert statement.lines[0].counterparty_account == "001234567890"


def test_trailer_mismatch_is_a_warning_per_section() -> None:
    parsed = coda.extract((FIXTURES / "coda" / "two_sections.cod").read_bytes(), source="t")
    first, second = parsed.statements
    assert first.warnings == ()
    assert any("trailer counts 9 records" in w for w in second.warnings)
    assert any("trailer totals" in w for w in second.warnings)


def test_identify_takes_coda_and_nothing_else() -> None:
    for case in CASES:
        _, module = pick_reader(case.read_bytes(), source=case.name)
        assert module is coda
    for other in [*(FIXTURES / "cfonb").glob("*.txt"), *(FIXTURES / "bai2").glob("*.bai2")]:
        assert not coda.identify(other.read_bytes())


def _records(data: bytes) -> list[str]:
    return data.decode().split("\n")


def _with(data: bytes, index: int, record: str) -> bytes:
    records = _records(data)
    records[index] = record
    return "\n".join(records).encode()


def _edit(data: bytes, index: int, start: int, text: str) -> bytes:
    record = _records(data)[index]
    return _with(data, index, record[:start] + text + record[start + len(text) :])


BAD_INPUTS = {
    "record too short": (lambda d: _with(d, 2, _records(d)[2][:100]), 3, None),
    "unknown record code": (lambda d: _edit(d, 2, 0, "5"), 3, "record 51: record identification"),
    "unknown article": (lambda d: _edit(d, 3, 1, "7"), 4, "record 27: article code"),
    "bad amount digits": (lambda d: _edit(d, 2, 40, "12X"), 3, "record 21: amount"),
    "bad sign": (lambda d: _edit(d, 2, 31, "7"), 3, "record 21: amount sign"),
    "bad value date": (lambda d: _edit(d, 2, 47, "310225"), 3, "record 21: value date"),
    "2.2 without its 2.1": (lambda d: _edit(d, 3, 2, "0009"), 4, None),
    "unsupported version": (lambda d: _edit(d, 0, 127, "3"), 1, "record 00: version code"),
    "movement before old balance": (lambda d: _with(d, 1, _records(d)[2]), 2, None),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_names_file_line_and_field(name: str) -> None:
    change, line, field = BAD_INPUTS[name]
    with pytest.raises(StatementParseError) as error:
        coda.extract(change(SIMPLE), source="bank.cod")
    assert error.value.file == "bank.cod" and error.value.line == line
    assert str(error.value).startswith(f"bank.cod:{line}:")
    if field:
        assert error.value.element == field


def test_truncated_file_and_garbage_after_the_trailer_are_refused() -> None:
    with pytest.raises(StatementParseError, match="truncated"):
        coda.extract(b"\n".join(SIMPLE.split(b"\n")[:12]), source="cut.cod")
    with pytest.raises(StatementParseError, match="characters long"):
        coda.extract(SIMPLE + b"\n\n100/0000/00135\n", source="garbage.cod")


@pytest.mark.parametrize(
    "data",
    [b"", b"PK\x03\x04" + b"\x00" * 200, (FIXTURES / "cfonb" / "basic.txt").read_bytes()],
    ids=["empty", "zip", "cfonb"],
)
def test_files_of_another_kind_are_refused(data: bytes) -> None:
    with pytest.raises(StatementParseError):
        coda.extract(data, source="x")


def test_blank_zones_do_not_change_the_lines() -> None:
    changed = [r[:63] + "X" * 64 + r[127:] if r[:1] == "8" else r for r in _records(SIMPLE)]
    assert lines_of(coda.extract("\r\n".join(changed).encode(), source="a")) == lines_of(
        coda.extract(SIMPLE, source="a")
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.sampled_from([SIMPLE, GLOBALISED]),
    position=st.integers(min_value=0, max_value=10_000),
    action=st.integers(min_value=0, max_value=3),
    payload=PAYLOADS,
)
def test_mutated_files_give_lines_or_the_documented_error(
    which: bytes, position: int, action: int, payload: bytes
) -> None:
    read_or_refuse(coda.extract, mutate(which, position, action, payload))


# --- round trip ------------------------------------------------------------------------------

WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-./", min_size=1, max_size=10)
DAY = st.dates(min_value=date(1990, 1, 1), max_value=date(2068, 12, 31))
AMOUNT = (
    st.integers(min_value=-(10**11), max_value=10**11)
    .filter(bool)
    .map(lambda u: Decimal(u).scaleb(-2))
)


def _text(limit: int) -> st.SearchStrategy[str]:
    return st.lists(WORD, max_size=14).map(" ".join).filter(lambda t: len(t) <= limit)


@st.composite
def statements(draw: st.DrawFn) -> Statement:
    lines: list[BankLine] = []
    day = draw(DAY)
    for entry in range(draw(st.integers(min_value=0, max_value=5))):
        for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
            ogm = draw(st.booleans())
            lines.append(
                BankLine(
                    bank_ref=draw(st.from_regex(r"[A-Z0-9]{1,17}", fullmatch=True))
                    + f"{len(lines):04d}",
                    entry=entry,
                    amount=draw(AMOUNT),
                    currency="EUR",
                    booking_date=day,
                    value_date=draw(st.one_of(st.none(), DAY)),
                    counterparty_name=draw(st.one_of(st.none(), _text(35).filter(bool))),
                    counterparty_account=draw(
                        st.one_of(st.none(), st.from_regex(r"BE[0-9]{14}", fullmatch=True))
                    ),
                    counterparty_bic=draw(
                        st.one_of(st.none(), st.from_regex(r"[A-Z]{6}[A-Z0-9]{2}", fullmatch=True))
                    ),
                    end_to_end_id=draw(
                        st.one_of(st.none(), st.from_regex(r"[A-Z0-9]{1,35}", fullmatch=True))
                    ),
                    remittance_text=draw(_text(134 if ogm else 149)),
                    structured_references=(draw(st.from_regex(r"[0-9]{12}", fullmatch=True)),)
                    if ogm
                    else (),
                    bank_transaction_code="0" + draw(st.from_regex(r"[0-9]{7}", fullmatch=True)),
                )
            )
    opening = draw(AMOUNT)
    return Statement(
        id="s",
        account=draw(st.from_regex(r"BE[0-9]{14}|NL[0-9]{2}[A-Z]{4}[0-9]{10}", fullmatch=True)),
        currency="EUR",
        lines=lines,
        opening_balance=opening,
        closing_balance=opening + sum((ln.amount for ln in lines), Decimal(0)),
        opening_date=draw(DAY),
        closing_date=day,
    )


FIELDS = (
    "bank_ref",
    "entry",
    "amount",
    "booking_date",
    "value_date",
    "counterparty_name",
    "counterparty_account",
    "counterparty_bic",
    "end_to_end_id",
    "remittance_text",
    "structured_references",
)


@settings(max_examples=40, deadline=None)
@given(st.lists(statements(), min_size=1, max_size=3))
def test_rendered_statements_read_back_the_same(originals: list[Statement]) -> None:
    statements_back = coda.extract(render.render(originals).encode(), source="rt").statements
    assert len(statements_back) == len(originals)
    for statement, back in zip(originals, statements_back, strict=True):
        assert back.warnings == ()
        assert (back.account, back.opening_balance, back.closing_balance) == (
            statement.account,
            statement.opening_balance,
            statement.closing_balance,
        )
        assert len(back.lines) == len(statement.lines)
        for ours, read in zip(statement.lines, back.lines, strict=True):
            for name in FIELDS:
                assert getattr(read, name) == getattr(ours, name), name
            assert (read.bank_transaction_code or "")[1:] == (ours.bank_transaction_code or "")[1:]
            batch = [ln.amount for ln in statement.lines if ln.entry == ours.entry]
            assert read.entry_amount == (sum(batch, Decimal(0)) if len(batch) > 1 else None)


def test_duplicate_header_is_said_on_the_statement() -> None:
    records = _records(SIMPLE)
    records[0] = records[0][:16] + "D" + records[0][17:]
    (statement,) = coda.extract("\n".join(records).encode(), source="d").statements
    assert "line 1: the header marks this file as a duplicate (D)" in statement.warnings


def test_utf8_names_bom_and_padded_records_are_accepted() -> None:
    records = _records(SIMPLE)
    records[0] = records[0][:34] + "SOCIÉTÉ GÉNÉRALE TEST     " + records[0][60:]
    padded = "\n".join(r + "  " if r else r for r in records)
    data = b"\xef\xbb\xbf" + padded.encode("utf-8")
    assert coda.identify(data)
    assert lines_of(coda.extract(data, source="a")) == lines_of(coda.extract(SIMPLE, source="a"))


def test_corpus_globalisations_give_one_line_per_detail() -> None:
    data = corpus_file("coda/oca-l10n-belgium__Coda_iban_v2_3_single_statement.txt")
    (statement,) = coda.extract(data, source="oca").statements
    assert len({line.entry for line in statement.lines}) == 17 and len(statement.lines) == 30
    assert statement.balanced is True and statement.warnings == ()
    (line,) = [ln for ln in statement.lines if ln.extra["coda_sequence"] == "0017/0005"]
    assert line.amount == Decimal("-15.00") and line.counterparty_account == "BE38733040385372"
    assert line.entry_amount == Decimal("-2608.00")


def test_endless_information_records_are_refused() -> None:
    records = _records(SIMPLE)
    flood = records[:7] + [records[6]] * 600 + records[7:]
    with pytest.raises(StatementParseError, match="more than 500 information records"):
        coda.extract("\n".join(flood).encode(), source="flood.cod")


def test_r_transaction_marks_a_reversal() -> None:
    records = _records(SIMPLE)
    records[9] = records[9][:112] + "2" + "AC04" + records[9][117:]
    statement = coda.extract("\n".join(records).encode(), source="r").statements[0]
    line = statement.lines[1]
    assert (
        line.reversal
        and line.extra["r_transaction"] == "2"
        and line.extra["return_reason"] == "AC04"
    )
    assert not statement.lines[0].reversal
