"""OFX property tests: render random statements (SGML 1.02 and XML 2.11) and read them back
to the same lines; structural mutations give the same money, a warning, or the documented
error; any mutation gives nothing but ``StatementParseError``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from fixtures.render import ofx as render
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashapp.core.errors import StatementParseError
from cashapp.domain.money import minor_units
from cashapp.domain.statements import BankLine, Statement
from cashapp.extractors.statements import ofx

WORD = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,()'&<>/-:#éüß",
    min_size=1,
    max_size=10,
)
TEXT = st.lists(WORD, min_size=1, max_size=10).map(" ".join)
REF = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.", min_size=1, max_size=24)


@st.composite
def statements(draw: st.DrawFn) -> list[Statement]:
    result = []
    refs = draw(st.lists(REF, min_size=15, max_size=15, unique=True))
    for s_index in range(draw(st.integers(1, 3))):
        currency = draw(st.sampled_from(("USD", "EUR", "JPY", "BHD", "BRL")))
        places = minor_units(currency)
        start = draw(st.dates(date(1990, 1, 1), date(2070, 1, 1)))
        lines = []
        for n in range(draw(st.integers(0, 5))):
            posted = start + timedelta(days=draw(st.integers(0, 30)))
            units = draw(st.integers(-(10**12), 10**12))
            lines.append(
                BankLine(
                    bank_ref=refs[s_index * 5 + n],
                    entry=n,
                    amount=Decimal(units).scaleb(-places),
                    currency=currency,
                    booking_date=posted,
                    value_date=posted + timedelta(days=draw(st.integers(0, 3))),
                    counterparty_name=draw(st.none() | TEXT.map(lambda t: t[:32].strip())) or None,
                    remittance_text=draw(TEXT),
                )
            )
        kind = draw(st.sampled_from(("bank", "creditcard")))
        result.append(
            Statement(
                id=f"S{s_index}",
                account=f"ACCT-{s_index}",
                currency=currency,
                lines=lines,
                closing_balance=Decimal(draw(st.integers(-(10**9), 10**9))).scaleb(-places),
                closing_date=start + timedelta(days=31),
                extra={"kind": kind},
            )
        )
    return result


def facts(line: BankLine) -> tuple[object, ...]:
    return (
        line.bank_ref,
        line.amount,
        line.currency,
        line.booking_date,
        line.value_date,
        line.counterparty_name,
        line.remittance_text,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements(), st.sampled_from(("102", "211")))
def test_render_then_read_gives_the_same_lines(original: list[Statement], version: str) -> None:
    data = render.render(original, version=version)
    encoded = data.encode("cp1252" if version == "102" else "utf-8")
    parsed = ofx.extract(encoded, source="roundtrip.ofx")
    # the renderer groups bank statements before credit-card ones
    ordered = [s for s in original if s.extra["kind"] == "bank"] + [
        s for s in original if s.extra["kind"] == "creditcard"
    ]
    assert len(parsed.statements) == len(ordered)
    for got, want in zip(parsed.statements, ordered, strict=True):
        assert (got.account, got.currency, got.closing_balance) == (
            want.account,
            want.currency,
            want.closing_balance,
        )
        assert not got.warnings
        assert [facts(line) for line in got.lines] == [facts(line) for line in want.lines]


def money(statement: Statement) -> list[tuple[object, ...]]:
    return [(line.bank_ref, line.amount, line.currency) for line in statement.lines]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    statements(),
    st.sampled_from(("truncate", "delete", "duplicate", "byte")),
    st.integers(0, 10**6),
    st.integers(0, 255),
)
def test_mutated_file_is_read_the_same_flagged_or_refused(
    original: list[Statement], kind: str, where: int, value: int
) -> None:
    text = render.render(original, version="102")
    lines = text.split("\n")
    at = where % len(lines)
    if kind == "truncate":
        text = text[: where % len(text)]
    elif kind == "delete":
        text = "\n".join(lines[:at] + lines[at + 1 :])
    elif kind == "duplicate":
        text = "\n".join([*lines[: at + 1], lines[at], *lines[at + 1 :]])
    else:
        pos = where % (len(text) + 1)
        text = text[:pos] + chr(value) + text[pos:]
    try:
        parsed = ofx.extract(text.encode("latin-1"), source="mutant.ofx")
    except StatementParseError:
        return
    if kind == "byte":
        return  # OFX cannot vouch for a changed digit (no opening balance): no crash is the bar
    wanted = [money(statement) for statement in original]
    for statement in parsed.statements:
        assert money(statement) in wanted or statement.warnings, (kind, statement)
