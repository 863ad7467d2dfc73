"""Bad MT940 input (RELIABILITY.md P10, P14): a deterministic ``StatementParseError`` naming
the line, fast, and nothing returned (no partial statement, no phantom line)."""

from __future__ import annotations

import time

import pytest

from cashapp.core.errors import StatementParseError
from cashapp.extractors.statements import mt940

GOOD = """:20:GOOD
:25:DE89370400440532013000
:28C:1/1
:60F:C250101EUR100,00
:61:2501020102C10,00NTRFNONREF//B1
:86:?20SVWZ+INVOICE 1
:61:2501020102D5,00NTRFNONREF//B2
:86:?20SVWZ+FEE
:62F:C250102EUR105,00
-
"""
OPENING = ":60F:C250101EUR100,00\n"
CLOSING = ":62F:C250102EUR105,00\n"
FEE = ":86:?20SVWZ+FEE"


def read(text: str) -> object:
    return mt940.extract(text.encode("latin-1"), source="bad.sta")


def error_of(text: str) -> StatementParseError:
    with pytest.raises(StatementParseError) as caught:
        read(text)
    return caught.value


def test_the_good_file_reads() -> None:
    parsed = mt940.extract(GOOD.encode(), source="good.sta")
    assert [str(line.amount) for line in parsed.statements[0].lines] == ["10.00", "-5.00"]


@pytest.mark.parametrize(
    ("broken", "line", "words"),
    [
        (GOOD.replace("C10,00NTRF", "C10.00NTRF"), 5, "'.' as decimal separator"),
        (GOOD.replace(":62F:C250102EUR105,00\n", ""), 8, "without a closing balance"),
        (GOOD.replace(OPENING, OPENING * 2), 5, "second opening"),
        (GOOD.replace(CLOSING, CLOSING + ":61:2501020102C1,00NTRF\n"), 10, ":61: after"),
        (GOOD.replace(":86:?20SVWZ+FEE", ":86:?20SVWZ+FEE\n:25:X"), 9, "second :25:"),
        (
            GOOD.replace(":25:DE89370400440532013000\n", "").replace(
                ":86:?20SVWZ+FEE", ":86:?20SVWZ+FEE\n:25:X"
            ),
            8,
            "account :25: after",
        ),
        (GOOD.replace("2501020102C10", "2513020102C10"), 5, "not a date"),
        (GOOD.replace("C10,00NTRF", "C10,001NTRF"), 5, "more decimals"),
        (GOOD.replace("C10,00NTRF", "C1234567890123456,00NTRF"), 5, "too many digits"),
        (GOOD.replace("C10,00NTRF", "CNaN,00NTRF"), 5, "not a statement line"),
        (GOOD.replace("EUR100,00", "EUR-0,00"), 4, "not a balance"),
        (GOOD.replace("EUR100,00", "EUR1e309"), 4, "not a balance"),
        (GOOD.replace("EUR100,00", "EUR1.000,00"), 4, "'.' as decimal separator"),
        (GOOD.replace(FEE, f"{FEE}\n{FEE}"), 9, "repeats the previous"),
    ],
    ids=[
        "dot-decimal",
        "missing-62F",
        "two-60F",
        "line-after-closing",
        "second-account",
        "account-after-lines",
        "month-13",
        "three-decimals-EUR",
        "twenty-digits",
        "nan",
        "negative-zero",
        "exponent",
        "thousands-dot",
        "repeated-86",
    ],
)
def test_malformed_statement_is_refused_with_its_line(broken: str, line: int, words: str) -> None:
    error = error_of(broken)
    assert error.line == line
    assert words in error.reason
    assert error.file == "bad.sta"
    assert str(error).startswith(f"bad.sta:{line}: ")


def test_error_is_deterministic() -> None:
    broken = GOOD.replace("C10,00NTRF", "C10.00NTRF")
    assert str(error_of(broken)) == str(error_of(broken))


def test_100_kb_details_line_is_refused_fast() -> None:
    huge = GOOD.replace(":86:?20SVWZ+FEE", ":86:" + "A" * 100_000)
    started = time.perf_counter()
    error = error_of(huge)
    assert time.perf_counter() - started < 1.0
    assert error.line == 8
    assert "longer than 1024" in error.reason


def test_100_kb_details_in_short_lines_is_refused_fast() -> None:
    wrapped = "\n".join(["B" * 64] * 1600)
    started = time.perf_counter()
    error = error_of(GOOD.replace(":86:?20SVWZ+FEE", ":86:" + wrapped))
    assert time.perf_counter() - started < 1.0
    assert error.line == 8
    assert ":86: longer than" in error.reason


def test_pathological_61_does_not_backtrack() -> None:
    evil = GOOD.replace("2501020102C10,00NTRFNONREF//B1", "2501020102C" + "1" * 1000 + "X")
    started = time.perf_counter()
    error_of(evil)
    assert time.perf_counter() - started < 1.0


def test_nul_byte_is_refused() -> None:
    with pytest.raises(StatementParseError) as caught:
        mt940.extract(GOOD.encode().replace(b"INVOICE", b"INV\x00OICE"), source="bad.sta")
    assert caught.value.line == 6


def test_nothing_but_noise_is_refused() -> None:
    assert "no MT940 fields" in error_of("hello\nworld\n").reason


def test_no_phantom_line_in_a_truncated_file() -> None:
    truncated = GOOD[: GOOD.index(":61:2501020102D5")] + ":61:2501020102D5,00NTRF"
    error = error_of(truncated)
    assert "without a closing balance" in error.reason


def test_hostile_details_text_reads_in_linear_time() -> None:
    hostile = "\n".join(["NAAM: x" + " " * 1000 + "y"] * 60)  # quadratic for a lazy regex
    started = time.perf_counter()
    parsed = mt940.extract(GOOD.replace(FEE, ":86:" + hostile).encode(), source="h.sta")
    assert time.perf_counter() - started < 1.0
    assert parsed.statements[0].lines[1].counterparty_name == "x y"
