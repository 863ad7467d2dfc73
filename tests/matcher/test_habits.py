"""The customer-history features, each on a small ledger: the usual delay tells two open
items of the same amount apart, deductions and bundles are compared with the customer's
habit, and a new customer's values are unknown (NaN), not zero."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from cashapp.domain.history import CustomerHistory
from cashapp.domain.ledger import Customer, OpenItem
from cashapp.domain.statements import BankLine
from cashapp.matcher.api import LedgerView, LineToMatch, MatchPolicy
from cashapp.matcher.candidates import build_context
from cashapp.matcher.features import FEATURES, FeatureBuilder
from cashapp.matcher.habits import DELAY_CLIP, HABITS
from cashapp.matcher.index import build_index

IBAN = "DE89370400440532013000"
CUSTOMERS = [Customer(customer_id="C1", name="Müller Maschinenbau GmbH", ibans=(IBAN,)),
             Customer(customer_id="C2", name="Acme Trading Ltd", ibans=("DE02120300000000202051",))]


def habit(**changes: object) -> CustomerHistory:
    base: dict[str, object] = dict(
        payments=12, delay_median=10.0, delay_spread=2.0, deduction_share=0.25,
        deduction_rate=0.1, usual_reason="damaged", bundle_share=0.5, bundle_size=3.0,
        oldest_first_share=0.9)
    return CustomerHistory(**{**base, **changes})  # type: ignore[arg-type]


def item(number: str, amount: str, due: date, customer: str = "C1") -> OpenItem:
    name = next(c.name for c in CUSTOMERS if c.customer_id == customer)
    return OpenItem(invoice_number=number, customer_id=customer, customer_name=name,
                    issue_date=date(2025, 9, 1), due_date=due, currency="EUR",
                    amount=Decimal(amount), open_amount=Decimal(amount))


def features(amount: str, text: str, items: list[OpenItem], *, account: str = IBAN,
             history: dict[str, CustomerHistory] | None = None
             ) -> dict[tuple[str, ...], dict[str, float]]:
    """Each candidate's named feature values, keyed by its invoice numbers and difference."""
    ledger = LedgerView(open_items=items, customers=CUSTOMERS,
                        customer_history={"C1": habit()} if history is None else history)
    index = build_index(ledger)
    line = BankLine(bank_ref="B1", entry=0, amount=Decimal(amount), currency="EUR",
                    booking_date=date(2025, 11, 10), counterparty_account=account,
                    remittance_text=text)
    ctx = build_context(LineToMatch(key="L1", line=line), index, MatchPolicy())
    rows = FeatureBuilder(index).rows(ctx)
    return {(*(index.items[p].invoice_number for p in c.items), c.settlement.difference):
            dict(zip(FEATURES, row.tolist(), strict=True))
            for c, row in zip(ctx.candidates, rows, strict=True)}


def test_habit_features_are_named_and_last() -> None:
    assert FEATURES[-len(HABITS):] == HABITS
    assert len(set(FEATURES)) == len(FEATURES)


def test_the_usual_delay_separates_two_items_of_the_same_amount() -> None:
    # usual delay 10 days (spread 2): paid on Nov 10 fits the item due Oct 31, not Oct 1
    rows = features("500.00", "", [item("A", "500.00", date(2025, 10, 1)),
                                   item("B", "500.00", date(2025, 10, 31))])
    a, b = rows[("A", "exact")], rows[("B", "exact")]
    assert b["delay_vs_usual"] == 0.0
    assert a["delay_vs_usual"] == pytest.approx(min(DELAY_CLIP, 30 / 2))
    assert b["delay_fit_margin"] == pytest.approx(-15.0)
    assert a["delay_fit_margin"] == pytest.approx(15.0)
    assert b["history_payments"] == pytest.approx(math.log1p(12))


def test_a_new_customer_has_unknown_habits_not_zero() -> None:
    rows = features("500.00", "", [item("A", "500.00", date(2025, 10, 1), customer="C2")],
                    account="DE02120300000000202051")
    values = rows[("A", "exact")]
    assert values["history_payments"] == 0.0
    for name in HABITS[1:]:
        assert math.isnan(values[name]), name


def test_deduction_size_and_reason_are_compared_with_the_habit() -> None:
    rows = features("900.00", "INV-1 minus 100.00 damaged goods",
                    [item("INV-1", "1000.00", date(2025, 10, 31))])
    values = rows[("INV-1", "reason")]
    assert values["deduction_habit"] == 0.25
    assert values["deduction_size_vs_usual"] == pytest.approx(0.0)  # 100 / 1000 as usual
    assert values["deduction_reason_usual"] == 1.0
    other = features("900.00", "INV-1 minus 100.00 price difference",
                     [item("INV-1", "1000.00", date(2025, 10, 31))])[("INV-1", "reason")]
    assert other["deduction_reason_usual"] == 0.0
    paid_in_full = features("1000.00", "INV-1", [item("INV-1", "1000.00", date(2025, 10, 31))])
    assert math.isnan(paid_in_full[("INV-1", "exact")]["deduction_size_vs_usual"])


def test_bundle_size_is_compared_with_the_usual_bundle() -> None:
    items = [item(f"I{n}", "100.00", date(2025, 10, 25 + n)) for n in range(3)]
    rows = features("300.00", "", items)
    values = rows[("I0", "I1", "I2", "exact")]
    assert values["bundling_habit"] == 0.5
    assert values["bundle_size_vs_usual"] == 0.0
    assert values["oldest_first_habit"] == 0.9
    never = features("300.00", "", items, history={"C1": habit(bundle_share=0.0,
                                                               bundle_size=0.0)})
    assert np.isnan(never[("I0", "I1", "I2", "exact")]["bundle_size_vs_usual"])
