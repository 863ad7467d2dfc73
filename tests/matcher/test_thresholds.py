"""The automatic decision's threshold: the model's table for the target precision, never
below the per-decision floor; per-customer thresholds tighten after reversed wrong
auto-applications and then win over both."""

from __future__ import annotations

import pytest

from cashapp.matcher.thresholds import (
    CEILING,
    PrecisionRow,
    auto_threshold,
    per_customer_thresholds,
    table_threshold,
    tightened_threshold,
)


def test_each_reversal_divides_the_error_budget() -> None:
    assert tightened_threshold(0.999, 0) == 0.999
    assert tightened_threshold(0.999, 1) == pytest.approx(0.9999)
    assert tightened_threshold(0.999, 2) == pytest.approx(0.99999)
    assert tightened_threshold(0.999, 5) == CEILING


def test_only_customers_with_reversals_get_an_override() -> None:
    assert per_customer_thresholds(0.999, {"C1": 1, "C2": 0}) == {
        "C1": pytest.approx(0.9999)}


TABLE = (PrecisionRow(0.99, 0.97, 12_000, 22, 0.0025),
         PrecisionRow(0.999, 0.993, 10_000, 2, 0.00063),
         PrecisionRow(0.9995, None, 5_000, 0, 0.0006))


def test_a_target_takes_the_next_stricter_entry_of_the_table() -> None:
    assert table_threshold(TABLE, 0.999) == 0.993
    assert table_threshold(TABLE, 0.995) == 0.993  # between grid points: the stricter one
    assert table_threshold(TABLE, 0.98) == 0.97


def test_without_a_proven_entry_the_target_is_the_per_decision_threshold() -> None:
    assert table_threshold(TABLE, 0.9995) == 0.9995  # not reached on the out-of-fold data
    assert table_threshold(TABLE, 0.99999) == 0.99999  # stricter than the grid
    assert table_threshold((), 0.999) == 0.999  # an artifact without a table


def test_the_floor_and_the_customer_threshold_win_over_the_table() -> None:
    assert auto_threshold(TABLE, 0.999, 0.99) == 0.993
    assert auto_threshold(TABLE, 0.999, 0.996) == 0.996
    customer = tightened_threshold(0.999, 1)
    assert auto_threshold(TABLE, 0.999, 0.99, customer) == pytest.approx(0.9999)
    assert auto_threshold((), 0.999, 0.99) == 0.999
