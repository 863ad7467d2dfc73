"""Customer habits from past payments: usual delay and its spread, deductions, bundling and
the oldest-first habit, computed the same way for the real ledger and the generator."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cashapp.domain.history import MIN_SPREAD, PastInvoice, PastPayment, summarize_history
from cashapp.domain.ledger import OpenItem

BASE = date(2025, 1, 1)


def invoice(n: int, due: int, issued: int | None = None) -> PastInvoice:
    return PastInvoice(invoice_number=f"I{n}", due_date=BASE + timedelta(days=due),
                       issue_date=BASE + timedelta(days=due - 30 if issued is None else issued))


def payment(paid: int, *invoices: PastInvoice, customer: str = "C1", deducted: str = "0",
            reason: str | None = None) -> PastPayment:
    return PastPayment(customer_id=customer, paid_on=BASE + timedelta(days=paid),
                       invoices=invoices, paid=Decimal("100.00"), deducted=Decimal(deducted),
                       deduction_reason=reason)


def test_usual_delay_is_the_median_and_the_spread_robust() -> None:
    delays = [5, 6, 7, 5, 6, 40]  # one late outlier does not move the habit
    past = [payment(30 * n + d, invoice(n, 30 * n)) for n, d in enumerate(delays)]
    history = summarize_history(past)["C1"]
    assert history.payments == 6
    assert history.delay_median == 6.0
    assert MIN_SPREAD <= history.delay_spread < 2.0


def test_a_single_payment_has_the_minimum_spread_and_new_customers_are_absent() -> None:
    histories = summarize_history([payment(3, invoice(1, 0), customer="C7")])
    assert set(histories) == {"C7"}
    assert histories["C7"].delay_spread == MIN_SPREAD
    assert histories["C7"].oldest_first_share is None  # never had a choice


def test_deductions_share_size_and_usual_reason() -> None:
    past = [payment(0, invoice(1, 0), deducted="10.00", reason="damaged"),
            payment(30, invoice(2, 30), deducted="25.00", reason="damaged"),
            payment(60, invoice(3, 60), deducted="5.00", reason="pricing"),
            payment(90, invoice(4, 90))]
    history = summarize_history(past)["C1"]
    assert history.deduction_share == pytest.approx(0.75)
    assert history.usual_reason == "damaged"
    assert history.deduction_rate == pytest.approx(10 / 110)  # median of 10/110, 25/125, 5/105


def test_bundling_share_and_usual_size() -> None:
    past = [payment(0, invoice(1, 0), invoice(2, 0), invoice(3, 0)),
            payment(30, invoice(4, 30), invoice(5, 30), invoice(6, 30)),
            payment(60, invoice(7, 60))]
    history = summarize_history(past)["C1"]
    assert history.bundle_share == pytest.approx(2 / 3)
    assert history.bundle_size == 3.0


def test_oldest_first_share_sees_invoices_held_back() -> None:
    orderly = [payment(35, invoice(1, 30)), payment(65, invoice(2, 60)),
               payment(95, invoice(3, 90))]
    assert summarize_history(orderly)["C1"].oldest_first_share == 1.0
    # I2 (due day 60) paid on day 65 while I1 (due day 30, issued day 0) waited until day 100
    skipping = [payment(65, invoice(2, 60)), payment(100, invoice(1, 30)),
                payment(125, invoice(3, 120, issued=101))]
    assert summarize_history(skipping)["C1"].oldest_first_share == pytest.approx(0.0)


def test_an_older_item_still_open_counts_as_skipped() -> None:
    past = [payment(65, invoice(2, 60))]
    older = OpenItem(invoice_number="OPEN1", customer_id="C1", customer_name="C",
                     issue_date=BASE, due_date=BASE + timedelta(days=30), currency="EUR",
                     amount=Decimal(50), open_amount=Decimal(50))
    assert summarize_history(past, open_items=[older])["C1"].oldest_first_share == 0.0
    assert summarize_history(past)["C1"].oldest_first_share is None
