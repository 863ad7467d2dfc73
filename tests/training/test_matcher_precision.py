"""The precision table: the one-sided Clopper-Pearson bound, the lowest threshold whose
out-of-fold set reaches each target, monotonic in the target, and which line counts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta

from cashapp.training.matcher_precision import (
    best_per_line,
    precision_table,
    table_from_out_of_fold,
    upper_bound,
)


def test_the_bound_with_no_error_is_the_exact_binomial_one() -> None:
    # 0 wrong of n: P(no error) = (1 - p)^n = 0.05 at the bound
    for n in (1, 300, 3000):
        assert upper_bound(0, n)[()] == pytest.approx(1 - 0.05 ** (1 / n))
    assert upper_bound(3, 3)[()] == 1.0
    assert upper_bound(2, 10_000)[()] == pytest.approx(beta.ppf(0.95, 3, 9_998))
    assert 2 / 10_000 < upper_bound(2, 10_000)[()] < 7 / 10_000


def synthetic() -> tuple[np.ndarray, np.ndarray]:
    """5 000 right at 0.9995; 5 000 at 0.995 with 2 wrong; 2 000 at 0.97 with 20 wrong."""
    scores = np.r_[np.full(5_000, 0.9995), np.full(5_000, 0.995), np.full(2_000, 0.97)]
    right = np.ones(12_000, dtype=bool)
    right[[5_000, 7_000]] = False
    right[10_000:10_020] = False
    return scores, right


def test_the_lowest_threshold_whose_set_reaches_the_target() -> None:
    # bounds of the sets: >= 0.9995: 0 of 5 000 -> 0.00060; >= 0.995: 2 of 10 000 -> 0.00063;
    # >= 0.97: 22 of 12 000 -> about 0.0025
    scores, right = synthetic()
    table = {row.target: row for row in precision_table(scores, right)}
    assert upper_bound(22, 12_000)[()] == pytest.approx(0.0025, abs=0.0002)
    assert table[0.99].threshold == 0.97 and table[0.995].threshold == 0.97
    assert (table[0.99].lines, table[0.99].errors) == (12_000, 22)
    assert table[0.998].threshold == 0.995 and table[0.999].threshold == 0.995
    assert (table[0.999].lines, table[0.999].errors) == (10_000, 2)
    assert table[0.999].upper_bound == pytest.approx(upper_bound(2, 10_000)[()], abs=1e-7)
    # 0.9995 needs a bound of 0.0005: 5 000 lines without an error prove only 0.0006
    assert table[0.9995].threshold is None and table[0.9999].threshold is None
    assert table[0.9995].upper_bound == pytest.approx(upper_bound(0, 5_000)[()], abs=1e-7)


def test_a_stricter_target_never_gets_a_lower_threshold() -> None:
    rng = np.random.default_rng(7)
    scores = np.round(rng.beta(30, 0.3, size=40_000), 4)
    right = rng.random(40_000) < scores  # calibrated: wrong as often as the score says
    table = precision_table(scores, right, grid=(0.9, 0.95, 0.99, 0.995, 0.998, 0.999))
    thresholds = [np.inf if row.threshold is None else row.threshold for row in table]
    assert thresholds == sorted(thresholds)
    assert all(row.upper_bound <= 1 - row.target for row in table if row.threshold is not None)


def test_each_line_counts_once_by_the_candidate_the_decision_would_apply() -> None:
    calibrated = np.array([0.5, 0.995, 0.995, 0.999, 0.998, 0.2])
    raw = np.array([0.1, 0.6, 0.7, 0.9, 0.9, 0.1])
    lines = np.array([0, 0, 0, 1, 2, 2])
    assert best_per_line(calibrated, raw, lines).tolist() == [2, 3, 4]  # tie: higher raw


def test_gated_lines_are_left_out_and_lines_without_a_right_candidate_are_wrong() -> None:
    # line 0: right best candidate; line 1: a non-payment (no right candidate) at 0.999;
    # line 2: a wrong best candidate that the gates would stop (never applied)
    calibrated = np.array([0.999, 0.1, 0.999, 0.9995, 0.2])
    raw = np.array([0.9, 0.1, 0.9, 0.95, 0.1])
    labels = np.array([1, 0, 0, 0, 1], dtype=np.int8)
    lines = np.array([0, 0, 1, 2, 2])
    gated = np.array([True, True, True, False, True])
    [row] = table_from_out_of_fold(calibrated, raw, labels, lines, gated, grid=(0.5,))
    assert (row.lines, row.errors) == (2, 1)  # line 2 left out, line 1 wrong
