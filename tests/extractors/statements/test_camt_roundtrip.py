"""Hypothesis: a random statement rendered as camt (053/052/054, v02/v04/v08) reads back to the
same lines; mutated files read to the same lines or fail with StatementParseError only."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from fixtures.render.camt import render
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import (
    Adjustment,
    BankLine,
    LineStatus,
    ReferredDocument,
    Statement,
)
from cashapp.extractors.statements import camt

WORD = st.text(
    alphabet=st.sampled_from(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789éüąß&<>'\"-/.:"
    ),
    min_size=1,
    max_size=12,
)
TEXT = st.lists(WORD, min_size=1, max_size=40).map(" ".join)
REF = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=3, max_size=20).map(
    lambda text: f"R{text}"  # never a placeholder such as NOTPROVIDED
)
DAY = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))
CENTS = st.integers(min_value=1, max_value=10**10).map(lambda c: Decimal(c).scaleb(-2))
SIGNED = st.tuples(CENTS, st.booleans()).map(lambda p: p[0] if p[1] else -p[0])
OPTIONAL_AMOUNT = st.none() | CENTS


@st.composite
def documents(draw: st.DrawFn) -> ReferredDocument:
    return ReferredDocument(
        number=draw(REF),
        type=draw(st.none() | st.sampled_from(["CINV", "CREN", "DEBN"])),
        date=draw(st.none() | DAY),
        due_amount=draw(OPTIONAL_AMOUNT),
        discount_amount=draw(OPTIONAL_AMOUNT),
        credit_note_amount=draw(OPTIONAL_AMOUNT),
        tax_amount=draw(OPTIONAL_AMOUNT),
        remitted_amount=draw(OPTIONAL_AMOUNT),
        adjustments=tuple(
            draw(
                st.lists(
                    st.builds(
                        Adjustment,
                        amount=CENTS,
                        reason=st.none() | st.sampled_from(["DISC", "DAMG", "PRIC"]),
                        text=st.none() | TEXT,
                        credit=st.booleans(),
                    ),
                    max_size=2,
                )
            )
        ),
    )


@st.composite
def detail(draw: st.DrawFn, amount: Decimal, ref: str, shared: dict[str, object]) -> BankLine:
    instructed = draw(st.none() | CENTS)
    return BankLine(
        bank_ref=ref,
        amount=amount,
        currency="EUR",
        counterparty_name=draw(st.none() | TEXT.map(lambda t: t[:70].strip())),
        counterparty_account=draw(
            st.none() | st.sampled_from(["DE89370400440532013000", "ACC-77"])
        ),
        counterparty_bic=draw(st.none() | st.just("COBADEFFXXX")),
        ultimate_party=draw(st.none() | WORD),
        end_to_end_id=draw(st.none() | REF),
        mandate_id=draw(st.none() | REF),
        remittance_text=draw(st.just("") | TEXT),
        structured_references=tuple(draw(st.lists(REF, max_size=2, unique=True))),
        referred_documents=tuple(draw(st.lists(documents(), max_size=2))),
        bank_transaction_code=draw(st.none() | st.just("PMNT/RCDT/ESCT")),
        instructed_amount=instructed,
        instructed_currency="USD" if instructed is not None else None,
        charges=draw(st.none() | SIGNED),
        additional_info=draw(st.none() | TEXT),
        **shared,  # type: ignore[arg-type]
    )


@st.composite
def statements(draw: st.DrawFn, mixed_batch_signs: bool) -> Statement:
    lines: list[BankLine] = []
    refs = iter(range(10**6))
    for entry in range(draw(st.integers(min_value=0, max_value=6))):
        shared = {
            "entry": entry,
            "booking_date": draw(DAY),
            "value_date": draw(st.none() | DAY),
            "status": draw(st.sampled_from(list(LineStatus))),
            "reversal": draw(st.booleans()),
        }
        count = draw(st.integers(min_value=1, max_value=3))
        if count == 1:
            amounts = [draw(SIGNED)]
        else:
            sign = draw(st.sampled_from([1, -1]))
            amounts = [
                draw(SIGNED) if mixed_batch_signs else sign * draw(CENTS) for _ in range(count)
            ]
        total = sum(amounts, Decimal(0)) if count > 1 else None
        for amount in amounts:
            line = draw(detail(amount, f"REF{next(refs)}", shared))
            lines.append(replace(line, entry_amount=total))
    lines = [line for line in lines if line.entry_amount != 0]
    opening = draw(SIGNED)
    return Statement(
        id=draw(REF),
        account=draw(st.sampled_from(["DE89370400440532013000", "0001234567"])),
        currency="EUR",
        lines=lines,
        opening_balance=opening,
        closing_balance=opening
        + sum((ln.amount for ln in lines if ln.status is LineStatus.BOOKED), Decimal(0)),
        opening_date=date(2025, 11, 1),
        closing_date=date(2025, 11, 30),
        sequence=draw(st.none() | st.integers(1, 999).map(str)),
    )


def _plain(lines: list[BankLine]) -> list[BankLine]:
    return [replace(line, extra={}) for line in lines]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    statement=st.data(),
    message=st.sampled_from(["053", "052", "054"]),
    version=st.sampled_from(["02", "04", "08"]),
)
def test_render_then_read_gives_the_same_lines(
    statement: st.DataObject, message: str, version: str
) -> None:
    original = statement.draw(statements(mixed_batch_signs=version != "02"))
    parsed = camt.extract(render([original], message=message, version=version), source="gen.xml")
    assert parsed.format == f"camt.{message}.001.{version}"
    (got,) = parsed.statements
    assert _plain(list(got.lines)) == _plain(list(original.lines))
    assert (got.id, got.account, got.currency) == (original.id, original.account, original.currency)
    assert (got.opening_balance, got.closing_balance) == (
        original.opening_balance,
        original.closing_balance,
    )
    assert got.balanced is True
    assert not any("does not balance" in w or "sum to" in w for w in got.warnings)


MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "truncate", "delete", "duplicate", "insert"]),
        st.floats(min_value=0, max_value=1),
        st.integers(min_value=0, max_value=255),
        st.integers(min_value=1, max_value=64),
    ),
    min_size=1,
    max_size=4,
)


def _mutate(data: bytes, mutations: list[tuple[str, float, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, byte, length in mutations:
        at = int(where * max(len(out) - 1, 0))
        if kind == "flip" and out:
            out[at] = byte
        elif kind == "truncate":
            del out[at:]
        elif kind == "delete":
            del out[at : at + length]
        elif kind == "duplicate":
            out[at:at] = out[at : at + length]
        else:
            out[at:at] = bytes([byte]) * length
    return bytes(out)


GOLDEN = sorted(
    (Path(__file__).resolve().parents[3] / "fixtures" / "statements" / "camt").glob("*.xml")
)
SEEDS = [path.read_bytes() for path in GOLDEN]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), mutations=MUTATIONS)
def test_mutated_files_read_or_fail_with_the_documented_error(
    seed: bytes, mutations: list[tuple[str, float, int, int]]
) -> None:
    mutated = _mutate(seed, mutations)
    try:
        parsed = camt.extract(mutated, source="mutated.xml")
    except StatementParseError as exc:
        assert exc.file == "mutated.xml"
        return
    if mutated == seed:
        assert parsed == camt.extract(seed, source="seed.xml")
    cut = len(mutated) < len(seed) and mutated == seed[: len(mutated)]
    if cut and mutated.strip() != seed.strip():
        raise AssertionError("a truncated document was read without an error")
