"""Customer-history features: how well a candidate allocation fits the way its customer
usually pays (``LedgerView.customer_history``, learned from past applications).

- ``delay_vs_usual``: |payment date - due date - the customer's usual delay| in units of its
  spread; what tells two open items of the same amount apart when the line names neither.
- ``delay_fit_margin``: the same, minus the best value among the line's other candidates
  with the same amount fit (negative: this one fits the habit better than its rivals).
- ``deduction_habit`` / ``deduction_size_vs_usual`` / ``deduction_reason_usual``: does the
  customer deduct, by about this much, for this reason.
- ``bundling_habit`` / ``bundle_size_vs_usual``: does it pay several invoices at once, this many.
- ``oldest_first_habit``: how often it pays its oldest open invoices first.

A new customer has no history: its values are NaN (unknown), which the gradient-boosted
scorer handles natively, never zero (which would read as "never deducts").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from cashapp.domain.history import CustomerHistory
from cashapp.domain.proposals import AllocationKind
from cashapp.matcher.candidates import Candidate

NAN = math.nan
DELAY_CLIP = 30.0  # spreads: beyond this a payment simply does not fit the habit

HABIT_DOCS: dict[str, str] = {
    "history_payments": "log1p(the customer's past applied payments); 0 = new customer",
    "delay_vs_usual": "|paid - due - usual delay| / spread, mean over items (NaN: no history)",
    "delay_fit_margin": "delay_vs_usual minus the best of the line's other same-fit candidates",
    "deduction_habit": "share of the customer's past payments with a deduction",
    "deduction_size_vs_usual": "|deducted share - the customer's usual share| (NaN: none)",
    "deduction_reason_usual": "the deduction's reason is the customer's usual one (1) or not",
    "bundling_habit": "share of the customer's past payments settling several invoices",
    "bundle_size_vs_usual": "invoices in the allocation - usual invoices per bundled payment",
    "oldest_first_habit": "share of past payments that took the oldest open invoices",
}
HABITS: tuple[str, ...] = tuple(HABIT_DOCS)


def delay_vs_usual(history: CustomerHistory | None, paid_day: int | None,
                   due_days: Sequence[int]) -> float:
    """``paid_day`` and ``due_days`` are day ordinals (``date.toordinal``)."""
    if history is None or paid_day is None or not due_days:
        return NAN
    delay = sum(paid_day - due for due in due_days) / len(due_days)
    return min(DELAY_CLIP, abs(delay - history.delay_median) / history.delay_spread)


def habit_values(
    history: CustomerHistory | None,
    cand: Candidate,
    delay_fit: float,
    best_rival_fit: float,
) -> tuple[float, ...]:
    """The ``HABITS`` values of one candidate (``delay_fit`` is its ``delay_vs_usual``,
    ``best_rival_fit`` the smallest among its same-fit rivals, NaN when there are none)."""
    margin = delay_fit - best_rival_fit if not math.isnan(best_rival_fit) else NAN
    if history is None:
        return (0.0, NAN, margin, NAN, NAN, NAN, NAN, NAN, NAN)
    parts = cand.settlement.parts  # minor units: the shares below are scale-free
    deducted = sum(a.minor for a in parts if a.kind is AllocationKind.DEDUCTION)
    cash = sum(a.minor for a in parts if a.kind is AllocationKind.INVOICE)
    size_gap = reason_usual = NAN
    if deducted > 0:
        # the share as a Decimal quotient (28 digits), then a float: as from the amounts
        share = Decimal(deducted) / Decimal(cash + deducted)
        size_gap = abs(float(share) - history.deduction_rate)
        reasons = {a.reason_code.value for a in parts
                   if a.kind is AllocationKind.DEDUCTION and a.reason_code}
        reason_usual = float(history.usual_reason in reasons)
    k = len(cand.items)
    return (
        math.log1p(history.payments),
        delay_fit,
        margin,
        history.deduction_share,
        size_gap,
        reason_usual,
        history.bundle_share,
        k - history.bundle_size if history.bundle_size else NAN,
        history.oldest_first_share if history.oldest_first_share is not None else NAN,
    )
