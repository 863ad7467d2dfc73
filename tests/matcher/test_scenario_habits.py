"""The generator's customers have habits and a past: the ledger carries their history (new
customers have none), and the day's payments follow the same noisy habits: regular payers
pay about their usual delay after the due date, erratic ones do not; the customers who
deduct make the short payments; bundles follow the bundling habit."""

from __future__ import annotations

import random
import statistics
from collections import Counter

from fixtures.scenarios import generate
from fixtures.scenarios.habits import Habits, draw_habits, past_payments

from cashapp.domain.history import summarize_history


def test_history_is_what_the_habits_produce() -> None:
    rng = random.Random(1)
    habits = Habits(delay=12.0, noise=2.0, deduct=0.3, deduct_rate=0.1, reason=draw_habits(
        rng).reason, bundle=0.5, bundle_size=3, oldest_first=0.97, past_payments=30)
    history = summarize_history(past_payments(rng, "C1", habits))["C1"]
    assert abs(history.delay_median - 12) <= 3  # bundles pay with their latest due date
    assert history.delay_spread < 6
    assert 0.1 <= history.deduction_share <= 0.6
    assert history.usual_reason == habits.reason.value
    assert history.deduction_rate == 0.1 or abs(history.deduction_rate - 0.1) < 0.001
    assert history.bundle_size == 3.0 and history.bundle_share > 0.2
    assert history.oldest_first_share is not None and history.oldest_first_share >= 0.8


def test_the_day_follows_each_customers_habits() -> None:
    scenario = generate(seed=11, customers=400, open_items=4000, lines=2000)
    history = scenario.ledger.customer_history
    kinds = Counter(t.payer_history for t in scenario.truth.values() if t.is_payment)
    assert kinds["new"] > 0 and kinds["erratic"] > 0 and kinds["regular"] > kinds["erratic"]
    items = {i.invoice_number: i for i in scenario.ledger.open_items}
    gaps: dict[str, list[float]] = {"regular": [], "erratic": []}
    for task in scenario.lines:
        truth = scenario.truth[task.key]
        if truth.category not in ("clean_ref", "no_reference", "structured_ref"):
            continue
        if truth.payer_history == "new":
            assert truth.customer_id not in history
            continue
        h = history[truth.customer_id or ""]
        [allocation] = truth.allocations
        due = items[allocation.invoice_number or ""].due_date
        paid_on = task.line.value_date
        assert paid_on is not None
        gaps[truth.payer_history].append(abs((paid_on - due).days - h.delay_median))
    assert statistics.median(gaps["regular"]) < 4
    assert statistics.median(gaps["erratic"]) > 2 * statistics.median(gaps["regular"])


def test_short_payments_come_from_customers_who_deduct() -> None:
    scenario = generate(seed=12, customers=400, open_items=4000, lines=3000)
    history = scenario.ledger.customer_history
    shares = [h.deduction_share for h in history.values()]
    short = [history[t.customer_id].deduction_share for t in scenario.truth.values()
             if t.category == "short_with_reason" and t.customer_id in history]
    assert statistics.mean(short) > 1.5 * statistics.mean(shares)
    bundled = [history[t.customer_id].bundle_share for t in scenario.truth.values()
               if t.category == "multi_unlisted" and t.customer_id in history]
    assert statistics.mean(bundled) > statistics.mean(h.bundle_share for h in history.values())
