"""Features: small named comparators of one bank line and one candidate allocation.

The names and their order are part of the model artifact (its card lists them); change
one and the model must be retrained. Every value is a float; ``CATEGORICAL`` ones are
small integer codes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from decimal import Decimal

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from cashapp.domain.money import to_minor
from cashapp.matcher.candidates import LineContext
from cashapp.matcher.habits import HABIT_DOCS, HABITS, delay_vs_usual, habit_values
from cashapp.matcher.index import LedgerIndex
from cashapp.matcher.normalize import fold, reference_key

FEATURE_DOCS: dict[str, str] = {
    "n_items": "invoices in the allocation",
    "ref_named_frac": "share of its items the line names (any way)",
    "ref_exact_frac": "share named by exact invoice number or payment reference",
    "ref_structured": "an item named by its check-digit payment reference or a structured field",
    "ref_min_strength": "weakest naming strength over its items (0 = an item not named)",
    "ref_fuzzy": "mean over items of the best rapidfuzz ratio of a text token to its number",
    "named_not_taken": "items of the same customer the line names but the allocation leaves out",
    "named_other_customers": "items of other customers the line names",
    "payer_account": "the payer's account is known (1) or learned (0.95) for this customer",
    "payer_name": "similarity of the payer / ultimate debtor / advice payer name (0..1)",
    "payer_other": "strongest account or name evidence for another customer",
    "delta_rel": "(paid - open) / open",
    "delta_abs_log": "sign(paid - open) * log1p(abs(paid - open))",
    "difference": "the differences policy's verdict (code, below)",
    "reason_explicit": "a deduction reason is written somewhere",
    "remitted_frac": "share of items with an amount stated by the payer",
    "untrusted": "relies on an untrusted remittance advice",
    "days_after_due": "booking date - due date, mean over items",
    "days_after_issue_min": "booking date - issue date, smallest over items",
    "ledger_same_amount": "log1p(open items anywhere with exactly the paid amount)",
    "customer_same_amount": "the customer's open items with exactly the paid amount",
    "customer_open_items": "log1p(the customer's open items)",
    "is_oldest": "the allocation is the customer's oldest open items",
    "n_candidates": "candidate allocations for the line",
    "origin": "how the candidate was found (code, below)",
    "text_len": "characters of remittance text",
    "non_payment_words": "interest, card settlement, refund, payout... in the text",
    "has_remittance": "a remittance advice or referred documents came with the line",
    "same_fit_alternatives": "other candidates of the line with the same difference and delta",
    "other_customer_fits": "candidates of other customers whose difference is as good",
    **HABIT_DOCS,  # customer history (matcher/habits.py)
}
FEATURES: tuple[str, ...] = tuple(FEATURE_DOCS)
DIFFERENCES = ("exact", "over", "remitted", "discount", "discount_late", "reason",
               "bank_charges", "tolerance", "unexplained", "instalment")
ORIGINS = ("reference", "reference_subset", "reference_single", "instalment", "subset", "fifo",
           "global_amount", "due_run")
CATEGORICAL = ("difference", "origin")
_NON_PAYMENT = re.compile(
    r"\b(interest|zins|card|visa|mastercard|payout|refund|erstattung|umbuchung|insurance|"
    r"versicherung|dividend|darlehen|loan|tax refund|finanzamt|stripe|paypal|acquir)", re.I)
_TOKEN = re.compile(r"[^\s,;:()]+")
_FIRST_HABIT = len(FEATURES) - len(HABITS)


def _customer_amounts(index: LedgerIndex, customer_id: str, cache: dict[str, Counter[int]]
                      ) -> Counter[int]:
    found = cache.get(customer_id)
    if found is None:
        found = Counter(index.open_minor[p] for p in index.customer_items(customer_id))
        cache[customer_id] = found
    return found


class FeatureBuilder:
    """Turns a line's candidates into rows of ``FEATURES``; caches per-customer counts."""

    def __init__(self, index: LedgerIndex) -> None:
        self.index = index
        self._amount_cache: dict[str, Counter[int]] = {}

    def rows(self, ctx: LineContext) -> npt.NDArray[np.float64]:
        index, facts, line = self.index, ctx.facts, ctx.task.line
        out = np.zeros((len(ctx.candidates), len(FEATURES)), dtype=np.float64)
        if not ctx.candidates:
            return out
        paid_minor = to_minor(facts.amount, facts.currency)
        table = index.amounts.get(facts.currency)
        ledger_same = 0
        if table is not None:
            ledger_same = int(np.searchsorted(table.minor, paid_minor, side="right")
                              - np.searchsorted(table.minor, paid_minor, side="left"))
        fuzzy = self._fuzzy(ctx)
        text = " ".join((line.remittance_text, line.additional_info or ""))
        non_payment = 1.0 if _NON_PAYMENT.search(fold(text)) else 0.0
        has_remittance = 1.0 if (ctx.task.remittances or line.referred_documents) else 0.0
        reason_explicit = 1.0 if facts.reason or any(h.reason for h in ctx.hits.values()) else 0.0
        when = facts.paid_on
        fits = Counter((c.settlement.difference, c.settlement.delta) for c in ctx.candidates)
        fit_customers: dict[tuple[str, Decimal], set[str]] = {}
        for c in ctx.candidates:
            key = (c.settlement.difference, c.settlement.delta)
            fit_customers.setdefault(key, set()).add(c.customer_id)
        histories = [index.history.get(c.customer_id) for c in ctx.candidates]
        delay_fits = [delay_vs_usual(h, when, [index.items[p] for p in c.items])
                      for h, c in zip(histories, ctx.candidates, strict=True)]
        for n, (row, cand) in enumerate(zip(out, ctx.candidates, strict=True)):
            fit = (cand.settlement.difference, cand.settlement.delta)
            items = [index.items[p] for p in cand.items]
            hits = [ctx.hits.get(p) for p in cand.items]
            named_same = {p for p, h in ctx.hits.items()
                          if index.items[p].customer_id == cand.customer_id}
            payer = ctx.payers.get(cand.customer_id)
            others = [max(p.account, p.name) for c, p in ctx.payers.items()
                      if c != cand.customer_id]
            open_total = sum((i.open_amount for i in items), Decimal(0))
            delta = float(facts.amount - open_total)
            own = index.customer_items(cand.customer_id)
            k = len(cand.items)
            row[:_FIRST_HABIT] = (
                k,
                sum(h is not None for h in hits) / k,
                sum(h is not None and h.method in ("number", "payment_reference")
                    for h in hits) / k,
                float(any(h is not None and (h.method == "payment_reference"
                                             or h.source in ("structured", "referred_document"))
                          for h in hits)),
                min((h.strength if h else 0.0) for h in hits),
                sum(fuzzy.get(p, 0.0) for p in cand.items) / k,
                len(named_same - set(cand.items)),
                len(ctx.hits) - len(named_same),
                payer.account if payer else 0.0,
                payer.name if payer else 0.0,
                max(others, default=0.0),
                delta / float(open_total) if open_total else 0.0,
                math.copysign(math.log1p(abs(delta)), delta),
                DIFFERENCES.index(cand.settlement.difference),
                reason_explicit,
                sum(h is not None and h.amount is not None for h in hits) / k,
                float(any(h is not None and not h.trusted for h in hits)),
                (sum((when - i.due_date).days for i in items) / k) if when else 0.0,
                min((when - i.issue_date).days for i in items) if when else 0.0,
                math.log1p(ledger_same),
                _customer_amounts(index, cand.customer_id, self._amount_cache).get(paid_minor, 0),
                math.log1p(len(own)),
                float(tuple(own[:k]) == cand.items),
                len(ctx.candidates),
                ORIGINS.index(cand.origin),
                len(line.remittance_text),
                non_payment,
                has_remittance,
                fits[fit] - 1,
                len(fit_customers[fit] - {cand.customer_id}),
            )
            rivals = [d for m, (d, c) in enumerate(zip(delay_fits, ctx.candidates, strict=True))
                      if m != n and (c.settlement.difference, c.settlement.delta) == fit
                      and not math.isnan(d)]
            row[_FIRST_HABIT:] = habit_values(histories[n], cand, delay_fits[n],
                                              min(rivals, default=math.nan))
        return out

    def _fuzzy(self, ctx: LineContext) -> dict[int, float]:
        """Best similarity of any text token to each candidate item's number (0..1)."""
        line = ctx.task.line
        text = " ".join((line.remittance_text, line.end_to_end_id or ""))
        tokens = list({k for t in _TOKEN.findall(text) if len(k := reference_key(t)) >= 5})
        positions = sorted({p for c in ctx.candidates for p in c.items})
        if not tokens or not positions:
            return {}
        numbers = [reference_key(self.index.items[p].invoice_number) for p in positions]
        scores = process.cdist(tokens, numbers, scorer=fuzz.ratio, dtype=np.uint8)
        best = scores.max(axis=0)
        return {p: float(s) / 100 for p, s in zip(positions, best, strict=True)}
