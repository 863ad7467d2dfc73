"""Property tests (RELIABILITY.md 3.9): rendering a random statement and reading it back
gives the same lines; a mutated file gives the same money, a visible warning, or the
documented ``StatementParseError``, never another exception."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from fixtures.render import mt940 as render
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashapp.core.errors import StatementParseError
from cashapp.domain.money import minor_units
from cashapp.domain.statements import BankLine, Statement, StatementFile
from cashapp.extractors.statements import mt940

# SWIFT-safe text without the marks the dialects use (? + / :) and without '-' (a lone '-'
# line is a message separator): what the renderer can carry through every dialect.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,()'"
WORD = st.text(alphabet=ALPHABET, min_size=1, max_size=12)
TEXT = st.lists(WORD, min_size=1, max_size=12).map(" ".join).filter(lambda t: len(t) <= 140)
# Banks' placeholders for "no reference" are read as no reference: never drawn as one.
PLACEHOLDERS = {"NONREF", "NOREF", "NOTPROVIDED", "NONE"}
REF = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=4, max_size=16).filter(
    lambda ref: ref not in PLACEHOLDERS
)
CURRENCIES = ("EUR", "CHF", "JPY", "BHD", "PLN")


@st.composite
def statements(draw: st.DrawFn) -> list[Statement]:
    result = []
    refs = draw(st.lists(REF, min_size=12, max_size=12, unique=True))
    for s_index in range(draw(st.integers(1, 3))):
        currency = draw(st.sampled_from(CURRENCIES))
        places = minor_units(currency)
        opened = draw(st.dates(date(1990, 1, 1), date(2070, 12, 1)))
        lines = []
        for n in range(draw(st.integers(0, 4))):
            units = draw(st.integers(1, 10**12)) * draw(st.sampled_from((1, -1)))
            value = opened + timedelta(days=draw(st.integers(0, 20)))
            lines.append(
                BankLine(
                    bank_ref=refs[s_index * 4 + n],
                    entry=n,
                    amount=Decimal(units).scaleb(-places),
                    currency=currency,
                    value_date=value,
                    booking_date=value + timedelta(days=draw(st.integers(-3, 3))),
                    reversal=draw(st.booleans()),
                    remittance_text=draw(TEXT),
                    counterparty_name=draw(st.none() | TEXT.filter(lambda t: len(t) <= 54)),
                    counterparty_account=draw(st.none() | REF),
                    end_to_end_id=draw(st.none() | REF),
                )
            )
        opening = Decimal(draw(st.integers(-(10**12), 10**12))).scaleb(-places)
        result.append(
            Statement(
                id=f"STMT{s_index}",
                account=f"ACCT{s_index % 2}",
                currency=currency,
                lines=lines,
                opening_balance=opening,
                opening_date=opened,
                closing_date=opened + timedelta(days=20),
                sequence=f"{s_index + 1}/1",
            )
        )
    return result


def facts(line: BankLine, details: str) -> tuple[object, ...]:
    common = (line.bank_ref, line.amount, line.currency, line.value_date, line.booking_date)
    if details == "plain":
        return (*common, line.reversal, line.remittance_text)
    return (
        *common,
        line.reversal,
        line.remittance_text,
        line.counterparty_name,
        line.counterparty_account,
        line.end_to_end_id,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    statements(),
    st.sampled_from(("german", "dutch", "plain")),
    st.booleans(),
    st.sampled_from(("\n", "\r\n")),
)
def test_render_then_read_gives_the_same_lines(
    original: list[Statement], details: str, blocks: bool, newline: str
) -> None:
    text = render.render(original, details=details, swift_blocks=blocks, newline=newline)
    parsed = mt940.extract(text.encode("ascii"), source="roundtrip.sta")
    assert len(parsed.statements) == len(original)
    for got, want in zip(parsed.statements, original, strict=True):
        assert got.balanced is True
        assert got.opening_balance == want.opening_balance
        assert [facts(line, details) for line in got.lines] == [
            facts(line, details) for line in want.lines
        ]


def money(statement: Statement) -> list[tuple[object, ...]]:
    """What a reader can vouch for: amounts and their currency (the balances check them).
    A changed date or text is undetectable in MT940 and not asserted."""
    return [(line.amount, line.currency, line.status) for line in statement.lines]


def mutate(text: str, kind: str, where: int, value: int) -> str:
    lines = text.split("\n")
    at = where % len(lines)
    if kind == "truncate":
        return text[: where % (len(text) + 1)]
    if kind == "delete":
        return "\n".join(lines[:at] + lines[at + 1 :])
    if kind == "duplicate":
        return "\n".join([*lines[: at + 1], lines[at], *lines[at + 1 :]])
    if kind == "flip":
        line = lines[at]  # the first C/D mark of a :60F:, :61: or :62F: line
        marks = [i for i, ch in enumerate(line) if ch in "CD" and i > 3]
        if line.startswith(":6") and marks:
            i = marks[0]
            lines[at] = line[:i] + ("D" if line[i] == "C" else "C") + line[i + 1 :]
        return "\n".join(lines)
    if kind == "digit":
        digits = [i for i, ch in enumerate(lines[at]) if ch.isdigit()]
        if digits:
            i = digits[value % len(digits)]
            lines[at] = lines[at][:i] + str((int(lines[at][i]) + 1) % 10) + lines[at][i + 1 :]
        return "\n".join(lines)
    if kind == "currency":
        return text.replace("EUR", "USD", 1)
    # any byte: must never escape as another exception
    pos = where % (len(text) + 1)
    return text[:pos] + chr(value % 256) + text[pos:]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    statements(),
    st.sampled_from(("truncate", "delete", "duplicate", "flip", "digit", "currency", "byte")),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
)
def test_mutated_file_is_read_the_same_flagged_or_refused(
    original: list[Statement], kind: str, where: int, value: int
) -> None:
    text = mutate(render.render(original, details="german"), kind, where, value)
    try:
        parsed: StatementFile = mt940.extract(text.encode("latin-1"), source="mutant.sta")
    except StatementParseError:
        return
    if kind == "byte":
        return  # free text changed; what matters is that nothing else was raised
    wanted = [money(statement) for statement in original]
    for statement in parsed.statements:
        flagged = statement.balanced is not True or bool(statement.warnings)
        assert money(statement) in wanted or flagged, (kind, statement)
