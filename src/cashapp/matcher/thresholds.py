"""The thresholds of the automatic decision.

"Auto-apply only when the calibrated probability clears a threshold set for a target
precision" (issue #5) is read as the precision of the *set* of automatic decisions: the
scorer's artifact carries a table (``PrecisionRow``, computed at fit time from out-of-fold
scores, ``training.matcher_precision``) giving, for each target precision of a grid, the
lowest calibrated probability above which the out-of-fold lines were right often enough
(a 95 % upper bound on their error rate within ``1 - target``). ``auto_threshold`` is what a
line's best allocation must clear: the largest of

* the per-decision floor ``MatchPolicy.auto_min_confidence`` (no line below it is applied,
  whatever the table says),
* the table's threshold for the tenant's target (``MatchPolicy.auto_precision``; a target
  between grid entries takes the next stricter entry; a target stricter than the grid, an
  entry the data could not prove, or an artifact without a table falls back to the old
  per-decision reading: the threshold is the target itself),
* the customer's tightened threshold, below.

Per-customer tightening stays a per-decision floor: each reversed wrong auto-application of a
customer divides that customer's error budget by ``TIGHTEN_FACTOR``; the result goes into
``MatchPolicy.per_customer_threshold`` (``reconciliation.run.tightened_policy``, from the
ledger's reversals). The budget is ``1 - base`` with ``base = tightening_base(target, floor)``
= the stricter of the target and the floor, each read per decision. Not the table's threshold:
that is the target read for the *set* and lies below the floor for today's model (0.846 for
0.999), so tightening from it would ask a customer for less than every other customer gets;
not the floor alone: with the default target and floor (0.999, 0.99) one reversal would then
ask for 0.999, which the rules matcher's certain lines (0.999) and nearly every scored line
clear, a tightening in name only. With the defaults, one reversal asks every line of that
customer for a calibrated 0.9999 (stricter than the old per-decision reading of the target,
whatever the table allows others), two for 0.99999 (the ceiling: above it nothing would ever
be automatic again without a person deciding so; 1.6.1's calibration tops out at 0.999983,
so at the ceiling that customer's lines all wait for a person).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TIGHTEN_FACTOR = 10.0
CEILING = 0.99999


@dataclass(frozen=True, slots=True)
class PrecisionRow:
    """One target of the table: the threshold (None when no threshold reached the target on
    the out-of-fold data), the out-of-fold lines at or above it, the wrong ones among them,
    and the one-sided 95 % upper bound (Clopper-Pearson) on their error rate."""

    target: float
    threshold: float | None
    lines: int
    errors: int
    upper_bound: float


def table_threshold(table: Sequence[PrecisionRow], target: float) -> float:
    """The calibrated probability the table asks for ``target``: the entry of the smallest
    grid target at least as strict; ``target`` itself when there is none or it is unproven."""
    stricter = [row for row in table if row.target >= target]
    if not stricter:
        return target
    row = min(stricter, key=lambda r: r.target)
    return row.threshold if row.threshold is not None else target


def auto_threshold(
    table: Sequence[PrecisionRow], target: float, floor: float, customer: float = 0.0
) -> float:
    """What a line's best allocation must clear to be applied: max(floor, the table's
    threshold for ``target``, the customer's tightened threshold)."""
    return max(floor, table_threshold(table, target), customer)


def tightening_base(target: float, floor: float) -> float:
    """What a customer's threshold tightens from: the stricter of the target precision and
    the per-decision floor, both read per decision (see the module's docstring)."""
    return max(target, floor)


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
