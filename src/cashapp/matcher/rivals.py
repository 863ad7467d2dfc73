"""Rival features: how reliable the payment-habit evidence that picks one candidate over
its rivals is, read from the line's other candidates (appended after ``HABITS``).

- ``rival_delay_fit``: the best ``delay_vs_usual`` among the candidate's rivals with the same
  amount fit. With ``delay_vs_usual`` and ``delay_fit_margin`` it tells "this twin fits the
  habit and its twin does not" from "both twins fit the habit badly" (the habit then says
  little about which one is paid; out of fold such twins were the wrong tops above 0.99).
- ``best_other_delay_fit``: the best ``delay_vs_usual`` among all the line's other candidates.

NaN when there is no such rival with a known fit (``rival_delay_fit`` also when the
candidate's own fit is unknown, as ``delay_fit_margin``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

NAN = math.nan

RIVAL_DOCS: dict[str, str] = {
    "rival_delay_fit": "best delay_vs_usual of the line's other same-fit candidates "
                       "(NaN: none, or this one's unknown)",
    "best_other_delay_fit": "best delay_vs_usual of the line's other candidates (NaN: none)",
}
RIVALS: tuple[str, ...] = tuple(RIVAL_DOCS)


def rival_values(delay_fits: Sequence[float], fits: Sequence[Hashable]
                 ) -> list[tuple[float, float]]:
    """The ``RIVALS`` values of each candidate, given every candidate's ``delay_vs_usual``
    (NaN: unknown) and amount fit (difference, delta)."""
    known = [(n, d, f) for n, (d, f) in enumerate(zip(delay_fits, fits, strict=True))
             if not math.isnan(d)]
    out: list[tuple[float, float]] = []
    for n, (own, fit) in enumerate(zip(delay_fits, fits, strict=True)):
        same = [d for m, d, f in known if m != n and f == fit]
        other = [d for m, d, _ in known if m != n]
        out.append((NAN if math.isnan(own) else min(same, default=NAN),
                    min(other, default=NAN)))
    return out
