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
    s = settle([item("A", "1234.10")], facts("1209.42", paid_on=date(2025, 12, 20)),
               MatchPolicy())  # 2 %: 24.68, not a round fee
    assert s.difference == "discount_late"
    assert rows(s)[1] == ("deduction", "A", "24.68", "discount")


# The bank says nothing about its charges (OFX has no instructed amount, most MT940 neither):
# a round fee under the bank-charge limits, unexplained otherwise, is the bank's charges.

def test_unstated_round_fee_is_written_off_as_bank_charges() -> None:
    s = settle([item("A", "2763.28")], facts("2753.28", paid_on=date(2025, 11, 20)),
               MatchPolicy())
    assert s.difference == "bank_charges"
    assert s.alternative is None
    assert rows(s) == [("invoice", "A", "2753.28", None),
                       ("write_off", "A", "10.00", "bank_charges")]


def test_unstated_fee_that_fits_a_discount_rate_after_the_period_is_bank_charges() -> None:
    # 150.00 short by 7.50 is 5 %, but paid 50 days after issue: no discount is earned then
    s = settle([item("A", "150.00")], facts("142.50", paid_on=date(2025, 11, 20)), MatchPolicy())
    assert s.difference == "bank_charges"
    assert rows(s)[1] == ("write_off", "A", "7.50", "bank_charges")


def test_unstated_fee_that_fits_a_discount_within_the_period_is_ambiguous() -> None:
    # the same 7.50 paid within the discount period: a discount or the bank's fee; both
    # readings become candidates, so neither is ever applied as the only sure one
    s = settle([item("A", "150.00")], facts("142.50"), MatchPolicy())
    assert s.difference == "discount"
    assert s.alternative is not None
    assert s.alternative.difference == "bank_charges"
    assert rows(s.alternative)[1] == ("write_off", "A", "7.50", "bank_charges")


def test_a_discount_the_payer_writes_of_is_not_read_as_bank_charges() -> None:
    s = settle([item("A", "150.00")], facts("142.50", reason=ReasonCode.DISCOUNT), MatchPolicy())
    assert (s.difference, s.alternative) == ("discount", None)
    assert rows(s)[1] == ("write_off", "A", "7.50", "discount")


def test_discount_or_fee_by_rate_roundness_and_limit() -> None:
    s = settle([item("A", "624.94")], facts("612.44"), MatchPolicy())  # 2 %: 12.50
    assert s.difference == "discount" and s.alternative is not None  # 12.50 is round
    s = settle([item("A", "640.00")], facts("627.50"), MatchPolicy())  # 12.50: no standard rate
    assert s.difference == "bank_charges"
    s = settle([item("A", "1000.00"), item("B", "500.00")], facts("1470.00"), MatchPolicy())
    assert (s.difference, s.alternative) == ("discount", None)  # 30.00: over the fee limit
    s = settle([item("A", "624.60")], facts("612.11"), MatchPolicy())  # 2 %: 12.49
    assert (s.difference, s.alternative) == ("discount", None)


def test_what_is_no_bank_fee() -> None:
    policy = MatchPolicy()
    # stated charges that do not explain the gap: nothing is inferred
    s = settle([item("A", "2763.28")], facts("2753.28", charges=Decimal("5.00")), policy)
    assert s.difference == "unexplained"
    # not round, over the absolute limit, over the relative limit
    assert settle([item("A", "1000.00")], facts("987.49"), policy).difference == "unexplained"
    s = settle([item("A", "2763.28")], facts("2733.28"), policy)
    assert (s.difference, s.alternative) == ("unexplained", None)
    over = settle([item("A", "200.00")], facts("185.00"), policy)  # 7.5 %: for review
    assert over.difference == "unexplained" and over.alternative is not None
    assert rows(over.alternative)[1] == ("write_off", "A", "15.00", "bank_charges")
    # a reason in the text wins; a small round gap within the tolerance stays `other`
    s = settle([item("A", "1000.00")], facts("990.00", reason=ReasonCode.DAMAGED), policy)
    assert rows(s)[1] == ("deduction", "A", "10.00", "damaged")
    s = settle([item("A", "2199.41")], facts("2197.41"), policy)
    assert (s.difference, rows(s)[1]) == ("tolerance", ("write_off", "A", "2.00", "other"))
    # the tenant turns the reading off
    off = MatchPolicy(bank_charges_absolute=Decimal(0))
    assert settle([item("A", "2763.28")], facts("2753.28"), off).difference == "unexplained"


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


def test_no_fee_is_inferred_when_the_bank_states_its_charges_were_nil() -> None:
    # an instructed amount equal to the booked one: the bank took nothing
    s = settle([item("A", "2763.28")], facts("2753.28", charges=Decimal(0)), MatchPolicy())
    assert s.difference == "unexplained"
