"""Per-customer thresholds that tighten after a wrong automatic application is reversed.

Each reversed wrong auto-application of a customer divides that customer's error budget
(``1 - threshold``) by ``TIGHTEN_FACTOR``; the result goes into
``MatchPolicy.per_customer_threshold``. With the default 0.999, one reversal asks for
0.9999, two for 0.99999 (the ceiling: above it nothing would ever be automatic again
without a person deciding so).
"""

from __future__ import annotations

from collections.abc import Mapping

TIGHTEN_FACTOR = 10.0
CEILING = 0.99999


def tightened_threshold(base: float, wrong_reversals: int) -> float:
    """The threshold for a customer after ``wrong_reversals`` reversed wrong auto-matches."""
    if wrong_reversals <= 0:
        return base
    budget = (1.0 - base) / (TIGHTEN_FACTOR ** wrong_reversals)
    return min(CEILING, 1.0 - budget) if budget > 0 else CEILING


def per_customer_thresholds(base: float, reversals: Mapping[str, int]) -> dict[str, float]:
    """``MatchPolicy.per_customer_threshold`` from each customer's count of reversals."""
    return {customer: tightened_threshold(base, count)
            for customer, count in reversals.items() if count > 0}
