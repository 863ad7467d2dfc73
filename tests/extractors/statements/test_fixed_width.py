"""Shared aids of the record-oriented readers: physical lines, dates, distinct references."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine
from cashapp.extractors.statements.fixed_width import (
    StatementIds,
    ddmmyy,
    decode_text,
    distinct_refs,
    physical_lines,
    yymmdd,
)


@given(st.text(alphabet="ab \r\n\x85", max_size=40))
def test_physical_lines_split_on_crlf_lf_and_cr_only(text: str) -> None:
    expected = re.split(r"\r\n|\n|\r", text)
    got = [line for _, line in physical_lines(text)]
    if text.endswith("\r") and not text.endswith("\r\n"):
        expected = expected[:-1]  # a final lone CR ends the last line
    assert got == expected
    assert [n for n, _ in physical_lines(text)] == list(range(1, len(got) + 1))


def test_dates_pivot_like_posix_and_refuse_nonsense() -> None:
    assert ddmmyy("010169") == date(1969, 1, 1) and ddmmyy("311268") == date(2068, 12, 31)
    assert yymmdd("250228") == date(2025, 2, 28)
    assert ddmmyy("000000") is None and yymmdd("") is None
    for bad in ("310225", "12345", "1a0125", "01¹125"):
        with pytest.raises(ValueError):
            ddmmyy(bad)


def test_decode_text_utf8_then_cp1252_and_refuses_binary() -> None:
    assert decode_text("Société".encode(), source="x") == "Société"
    assert decode_text("Société".encode("cp1252"), source="x") == "Société"
    with pytest.raises(StatementParseError, match="binary byte 0x00") as error:
        decode_text(b"01abc\n\x00\x00", source="f.bin")
    assert error.value.line == 2


def test_repeated_refs_and_ids_become_distinct() -> None:
    line = BankLine(bank_ref="R", entry=0, amount=Decimal(1), currency="EUR")
    assert [x.bank_ref for x in distinct_refs([line, line, line])] == ["R", "R/2", "R/3"]
    ids = StatementIds()
    assert [ids("a"), ids("b"), ids("a")] == ["a", "b", "a#2"]
