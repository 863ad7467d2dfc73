"""The precision table of a scorer: for each target precision of a grid, the lowest
calibrated probability at which the automatic decisions, as a set, reach the target on the
out-of-fold training lines.

Each line counts once, by the candidate the decision would apply (the best calibrated
probability, ties by the raw score), and only when that candidate passes the gates its
feature row shows (``matcher.scored.row_gates``: identified, explained, trusted); the one gate
a row does not show (a difference read two ways) is not applied here, so those lines count
too. The line is right when that candidate is the right allocation; a line with no right
candidate (a non-payment, or a payment whose allocation was never proposed) is wrong.
A threshold ``t`` is accepted for a target when the one-sided 95 % upper confidence bound
(Clopper-Pearson) of the error rate among the lines scoring at least ``t`` is at most
``1 - target``; the table keeps the lowest such ``t``. A stricter target accepts a subset of
the thresholds, so its threshold is never lower. The bound is pointwise: scanning every
``t`` for the lowest that passes is a mild multiple comparison, which the per-decision floor
(``MatchPolicy.auto_min_confidence``) and the bound's own margin cover.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.stats import beta

from cashapp.matcher.thresholds import PrecisionRow

GRID = (0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999)
CONFIDENCE = 0.95  # one-sided level of the upper bound on the error rate


def upper_bound(errors: npt.ArrayLike, lines: npt.ArrayLike,
                confidence: float = CONFIDENCE) -> npt.NDArray[np.float64]:
    """One-sided Clopper-Pearson upper bound on an error rate: ``errors`` wrong of ``lines``."""
    k = np.asarray(errors, dtype=np.float64)
    n = np.asarray(lines, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = beta.ppf(confidence, k + 1, np.maximum(n - k, 1e-12))
    return np.asarray(np.where(k >= n, 1.0, bound), dtype=np.float64)


def best_per_line(
    calibrated: npt.NDArray[np.float64],
    raw: npt.NDArray[np.float64],
    line_of_row: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """The row of each line's best candidate, as ``ScoredMatcher._decide`` orders them."""
    order = np.lexsort((-raw, -calibrated, line_of_row))
    _, first = np.unique(line_of_row[order], return_index=True)
    return np.asarray(order[first], dtype=np.int64)


def precision_table(
    scores: npt.NDArray[np.float64],
    right: npt.NDArray[np.bool_],
    grid: Sequence[float] = GRID,
    confidence: float = CONFIDENCE,
    copies: int = 1,
) -> tuple[PrecisionRow, ...]:
    """The table from one calibrated score per line and whether that line would be right.
    A target no threshold reaches gets ``threshold=None`` and the best bound the data gave.
    ``copies``: how many forms of each line the scores hold (``matcher_ship.TRAINING_FORMS``);
    the bound counts a line once, not once per form (a copy is no new evidence)."""
    order = np.argsort(-scores, kind="stable")
    s, wrong = scores[order], ~right[order]
    if len(s) == 0:
        return tuple(PrecisionRow(float(t), None, 0, 0, 1.0) for t in sorted(grid))
    # the set "score >= t" for each distinct score t ends at the last line with that score
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    lines = (ends + 1) / copies
    errors = np.cumsum(wrong)[ends] / copies
    bounds = upper_bound(errors, lines, confidence)
    table = []
    for target in sorted(grid):
        ok = np.flatnonzero(bounds <= 1.0 - target)
        at = int(ok[-1]) if len(ok) else int(np.argmin(bounds))
        table.append(PrecisionRow(target=float(target),
                                  threshold=float(s[ends[at]]) if len(ok) else None,
                                  lines=round(float(lines[at])), errors=round(float(errors[at])),
                                  upper_bound=round(float(bounds[at]), 7)))
    return tuple(table)


def table_from_out_of_fold(
    calibrated: npt.NDArray[np.float64],
    raw: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int8],
    line_of_row: npt.NDArray[np.int64],
    gated: npt.NDArray[np.bool_],
    grid: Sequence[float] = GRID,
    copies: int = 1,
) -> tuple[PrecisionRow, ...]:
    """The table from out-of-fold candidate scores: ``calibrated`` (clipped as served),
    ``raw``, ``labels`` and ``gated`` (``row_gates``) per candidate row."""
    best = best_per_line(calibrated, raw, line_of_row)
    keep = best[gated[best]]
    return precision_table(calibrated[keep], labels[keep] == 1, grid, copies=copies)
