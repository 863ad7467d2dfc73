"""Per-customer thresholds tighten after reversed wrong auto-applications, and the
tightened threshold stops the matcher from applying that customer's payments alone."""

from __future__ import annotations

import pytest

from cashapp.matcher.thresholds import CEILING, per_customer_thresholds, tightened_threshold


def test_each_reversal_divides_the_error_budget() -> None:
    assert tightened_threshold(0.999, 0) == 0.999
    assert tightened_threshold(0.999, 1) == pytest.approx(0.9999)
    assert tightened_threshold(0.999, 2) == pytest.approx(0.99999)
    assert tightened_threshold(0.999, 5) == CEILING


def test_only_customers_with_reversals_get_an_override() -> None:
    assert per_customer_thresholds(0.999, {"C1": 1, "C2": 0}) == {
        "C1": pytest.approx(0.9999)}
