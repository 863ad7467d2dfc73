"""Evidence for the scored matcher's proposals: the facts that made each one (payer,
references and where they were found, amount difference, how the allocation was found,
the model's score) and, on the best, the runner-up and why it lost."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from cashapp.domain.proposals import Evidence
from cashapp.matcher.candidates import Candidate, LineContext
from cashapp.matcher.features import FEATURES
from cashapp.matcher.index import LedgerIndex

_F = {name: n for n, name in enumerate(FEATURES)}
ORIGIN_TEXT = {
    "reference": "the items the line names",
    "reference_subset": "the named items whose amounts pay the line",
    "reference_single": "one of the named items",
    "instalment": "a part payment of the named items",
    "subset": "the payer's open items whose amounts add up to the payment",
    "fifo": "the payer's oldest open items, which add up to the payment",
    "global_amount": "an open item of exactly this amount (payer not identified)",
    "due_run": "the payer's open items falling due one after the other, which add up to the payment",
}


def candidate_evidence(
    ctx: LineContext, cand: Candidate, index: LedgerIndex, raw: float, confidence: float
) -> list[Evidence]:
    facts: list[Evidence] = []
    payer = ctx.payers.get(cand.customer_id)
    if payer is not None and payer.how:
        facts.append(Evidence(name="payer", weight=payer.score,
                              detail=f"customer {cand.customer_id}: " + "; ".join(payer.how[:4])))
    else:
        facts.append(Evidence(name="payer_unknown",
                              detail=f"payer not identified as customer {cand.customer_id}"))
    numbers = index.columns.numbers
    for pos in cand.items:
        hit = ctx.hits.get(pos)
        number = numbers[pos]
        if hit is not None:
            facts.append(Evidence(name="reference_found", weight=hit.strength, detail=(
                f"{hit.written!r} names {number} ({hit.method}, in {hit.source})")))
        else:
            facts.append(Evidence(name="reference_missing", detail=f"{number} is not named"))
    s = cand.settlement
    open_minor = index.columns.open_minor
    open_total = Decimal(sum(open_minor[p] for p in cand.items)).scaleb(-s.places)
    facts.append(Evidence(name="amount_delta", detail=(
        f"paid {ctx.facts.amount} - open {open_total} = {s.delta}: {s.difference}"
        + (f" ({s.reason})" if s.reason else ""))))
    facts.append(Evidence(name="found_by", detail=ORIGIN_TEXT.get(cand.origin, cand.origin)))
    facts.append(Evidence(name="model_score", weight=confidence,
                          detail=f"raw {raw:.4f}, calibrated {confidence:.4f}"))
    return facts


def runner_up_evidence(
    best: Candidate,
    best_row: npt.NDArray[np.float64],
    second: Candidate,
    second_row: npt.NDArray[np.float64],
    second_confidence: float,
    index: LedgerIndex,
) -> Evidence:
    """The runner-up allocation and the comparators on which it lost."""
    numbers = ", ".join(index.columns.numbers[p] for p in second.items)
    reasons: list[str] = []

    def worse(name: str, text: str, higher_is_better: bool = True) -> None:
        a, b = best_row[_F[name]], second_row[_F[name]]
        if (b < a) if higher_is_better else (b > a):
            reasons.append(text)

    worse("ref_exact_frac", "fewer of its items named exactly")
    worse("ref_named_frac", "fewer of its items named at all")
    worse("ref_fuzzy", "its numbers resemble the text less")
    worse("payer_account", "payer account not known for it")
    worse("payer_name", "payer name fits it less")
    if abs(second_row[_F["delta_abs_log"]]) > abs(best_row[_F["delta_abs_log"]]):
        reasons.append(f"amount further off ({second.settlement.delta})")
    worse("is_oldest", "not the oldest open items")
    worse("n_items", "more invoices", higher_is_better=False)
    why = "; ".join(reasons) or "lower model score on the same facts"
    return Evidence(name="runner_up", weight=second_confidence, detail=(
        f"{numbers} ({second.settlement.difference}, {second_confidence:.4f}) lost: {why}"))


def top_distinct(order: Sequence[int], candidates: Sequence[Candidate], k: int) -> list[int]:
    """The first ``k`` candidates (in ``order``) with distinct allocations."""
    seen: list[object] = []
    kept: list[int] = []
    for n in order:
        allocs = candidates[n].settlement.parts  # equal parts: equal allocations
        if allocs not in seen:
            seen.append(allocs)
            kept.append(n)
        if len(kept) == k:
            break
    return kept
