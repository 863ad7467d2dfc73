"""The differences policy: discounts in and out of terms, bank charges, tolerance,
unexplained shorts and instalments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cashapp.domain.ledger import OpenItem
from cashapp.domain.proposals import AllocationKind
from cashapp.domain.reasons import ReasonCode
from cashapp.matcher.api import MatchPolicy
from cashapp.matcher.differences import PaymentFacts, instalment, settle


def item(number: str, amount: str) -> OpenItem:
    return OpenItem(
        invoice_number=number,
        customer_id="C1",
        customer_name="X",
        issue_date=date(2025, 10, 1),
        due_date=date(2025, 10, 31),
        currency="EUR",
        amount=Decimal(amount),
        open_amount=Decimal(amount),
    )


def facts(amount: str, paid_on: date = date(2025, 10, 10), **kw: object) -> PaymentFacts:
    return PaymentFacts(amount=Decimal(amount), currency="EUR", paid_on=paid_on, **kw)  # type: ignore[arg-type]


def rows(s: object) -> list[tuple[str, str | None, str, str | None]]:
    return [(a.kind.value, a.invoice_number, str(a.amount), a.reason_code) for a in s.allocations]  # type: ignore[attr-defined]


def test_early_payment_discount_within_terms_is_written_off_per_invoice() -> None:
    s = settle([item("A", "1000.00"), item("B", "500.00")], facts("1470.00"), MatchPolicy())
    assert s.difference == "discount"
    assert rows(s) == [
        ("invoice", "A", "980.00", None),
        ("write_off", "A", "20.00", "discount"),
        ("invoice", "B", "490.00", None),
        ("write_off", "B", "10.00", "discount"),
    ]


def test_discount_taken_late_is_a_deduction() -> None:
    s = settle([item("A", "1000.00")], facts("980.00", paid_on=date(2025, 12, 20)), MatchPolicy())
    assert s.difference == "discount_late"
    assert rows(s)[1] == ("deduction", "A", "20.00", "discount")


def test_bank_charges_reported_by_the_bank() -> None:
    s = settle([item("A", "1000.00")], facts("987.50", charges=Decimal("12.50")), MatchPolicy())
    assert rows(s)[1] == ("write_off", "A", "12.50", "bank_charges")


def test_small_unexplained_difference_within_tolerance() -> None:
    s = settle([item("A", "1000.00")], facts("997.11"), MatchPolicy())
    assert s.difference == "tolerance"
    assert rows(s)[1] == ("write_off", "A", "2.89", "other")


def test_tolerance_needs_both_limits() -> None:
    s = settle([item("A", "100.00")], facts("96.11"), MatchPolicy())  # 3.89 > 0.5 % of 100
    assert s.difference == "unexplained"
    assert rows(s)[1] == ("deduction", "A", "3.89", "other")


def test_explicit_reason_beats_a_discount_coincidence() -> None:
    s = settle([item("A", "1000.00")], facts("950.00", reason=ReasonCode.DAMAGED), MatchPolicy())
    assert rows(s)[1] == ("deduction", "A", "50.00", "damaged")


def test_half_payment_becomes_an_instalment() -> None:
    s = settle([item("A", "1000.00")], facts("400.00"), MatchPolicy())
    assert s.difference == "instalment"
    assert settle([item("A", "1000.00")], facts("600.00"), MatchPolicy()).difference == (
        "unexplained"
    )
    alt = instalment([item("A", "1000.00"), item("B", "10.00")], facts("400.00"), s.delta)
    assert rows(alt) == [("invoice", "A", "400.00", None)]
    tiny = settle([item("A", "1000.00")], facts("300.00"), MatchPolicy())
    assert tiny.allocations[0].kind is AllocationKind.INVOICE
