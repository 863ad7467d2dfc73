"""Features: small named comparators of one bank line and one candidate allocation.

The names and their order are part of the model artifact (its card lists them); change
one and the model must be retrained. Every value is a float; ``CATEGORICAL`` ones are
small integer codes. Computed from the index's columns (minor units, day ordinals), never
from ``OpenItem`` objects; each value is the float the amounts and dates gave before.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from cashapp.domain.history import CustomerHistory
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
_DIFFERENCE_CODE = {name: code for code, name in enumerate(DIFFERENCES)}
_ORIGIN_CODE = {name: code for code, name in enumerate(ORIGINS)}
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
        self._number_keys: dict[int, str] = {}  # position -> reference key of its number

    def rows(self, ctx: LineContext) -> npt.NDArray[np.float64]:
        index, facts, line = self.index, ctx.facts, ctx.task.line
        candidates = ctx.candidates
        if not candidates:
            return np.zeros((0, len(FEATURES)), dtype=np.float64)
        columns = index.columns
        due, issue, open_minor = columns.due_day, columns.issue_day, columns.open_minor
        scale = 10**facts.places  # minor units / scale: the float of the amount, exactly
        paid_minor = facts.amount_minor
        table = index.amounts.get(facts.currency)
        ledger_same = 0
        if table is not None:
            ledger_same = int(np.searchsorted(table.minor, paid_minor, side="right")
                              - np.searchsorted(table.minor, paid_minor, side="left"))
        ledger_same_log = math.log1p(ledger_same)
        fuzzy = self._fuzzy(ctx)
        text = " ".join((line.remittance_text, line.additional_info or ""))
        non_payment = 1.0 if _NON_PAYMENT.search(fold(text)) else 0.0
        has_remittance = 1.0 if (ctx.task.remittances or line.referred_documents) else 0.0
        reason_explicit = 1.0 if facts.reason or any(h.reason for h in ctx.hits.values()) else 0.0
        text_len = len(line.remittance_text)
        n_candidates = len(candidates)
        when = facts.paid_day
        # computed once per line, not per candidate (the same values as before)
        fit_of = [(c.settlement.difference, c.settlement.delta_minor) for c in candidates]
        fits = Counter(fit_of)
        fit_customers: dict[tuple[str, int], set[str]] = {}
        for c, key in zip(candidates, fit_of, strict=True):
            fit_customers.setdefault(key, set()).add(c.customer_id)
        named_by_customer: dict[str, set[int]] = {}
        for p in ctx.hits:
            named_by_customer.setdefault(index.customer_of(p), set()).add(p)
        payer_strength = [(c, max(p.account, p.name)) for c, p in ctx.payers.items()]
        due_of = [[due[p] for p in c.items] for c in candidates]
        known: dict[str, CustomerHistory | None] = {}  # one per customer of the line
        for c in candidates:
            if c.customer_id not in known:
                known[c.customer_id] = index.customer_history(c.customer_id)
        histories = [known[c.customer_id] for c in candidates]
        delay_fits = [delay_vs_usual(h, when, days)
                      for h, days in zip(histories, due_of, strict=True)]
        # the smallest delay fit among each fit's candidates (and the runner-up), for rivals
        by_fit: dict[tuple[str, int], list[tuple[float, int]]] = {}
        for n, (key, d) in enumerate(zip(fit_of, delay_fits, strict=True)):
            if not math.isnan(d):
                by_fit.setdefault(key, []).append((d, n))
        owned: dict[str, range] = {}
        rows: list[tuple[float, ...]] = []
        for n, cand in enumerate(candidates):
            fit = fit_of[n]
            positions = cand.items
            hits = [ctx.hits.get(p) for p in positions]
            named_same = named_by_customer.get(cand.customer_id, set())
            payer = ctx.payers.get(cand.customer_id)
            other = max((v for c, v in payer_strength if c != cand.customer_id), default=0.0)
            open_total = sum(open_minor[p] for p in positions)
            delta = (paid_minor - open_total) / scale  # int / int: correctly rounded
            own = owned.get(cand.customer_id)
            if own is None:
                own = owned[cand.customer_id] = index.customer_items(cand.customer_id)
            k = len(positions)
            named = 0
            exact = 0
            structured = False
            weakest = math.inf
            remitted = 0
            untrusted = False
            for h in hits:
                if h is None:
                    weakest = min(weakest, 0.0)
                    continue
                named += 1
                method = h.method
                if method in ("number", "payment_reference"):
                    exact += 1
                if method == "payment_reference" or h.source in ("structured",
                                                                 "referred_document"):
                    structured = True
                if h.strength < weakest:
                    weakest = h.strength
                if h.amount is not None:
                    remitted += 1
                if not h.trusted:
                    untrusted = True
            after_due: float
            after_issue: float
            if when is not None:
                after_due = sum(when - d for d in due_of[n]) / k
                after_issue = min(when - issue[p] for p in positions)
            else:
                after_due = after_issue = 0.0
            rival = [d for d, m in by_fit.get(fit, ()) if m != n]
            rows.append((
                k,
                named / k,
                exact / k,
                float(structured),
                weakest,
                sum(fuzzy.get(p, 0.0) for p in positions) / k,
                len(named_same - set(positions)),
                len(ctx.hits) - len(named_same),
                payer.account if payer else 0.0,
                payer.name if payer else 0.0,
                other,
                delta / (open_total / scale) if open_total else 0.0,
                math.copysign(math.log1p(abs(delta)), delta),
                _DIFFERENCE_CODE[cand.settlement.difference],
                reason_explicit,
                remitted / k,
                float(untrusted),
                after_due,
                after_issue,
                ledger_same_log,
                _customer_amounts(index, cand.customer_id, self._amount_cache).get(paid_minor, 0),
                math.log1p(len(own)),
                float(tuple(own[:k]) == positions),
                n_candidates,
                _ORIGIN_CODE[cand.origin],
                text_len,
                non_payment,
                has_remittance,
                fits[fit] - 1,
                len(fit_customers[fit] - {cand.customer_id}),
                *habit_values(histories[n], cand, delay_fits[n], min(rival, default=math.nan)),
            ))
        return np.array(rows, dtype=np.float64)

    def _fuzzy(self, ctx: LineContext) -> dict[int, float]:
        """Best similarity of any text token to each candidate item's number (0..1)."""
        line = ctx.task.line
        text = " ".join((line.remittance_text, line.end_to_end_id or ""))
        tokens = list({k for t in _TOKEN.findall(text) if len(k := reference_key(t)) >= 5})
        positions = sorted({p for c in ctx.candidates for p in c.items})
        if not tokens or not positions:
            return {}
        known, written = self._number_keys, self.index.columns.numbers
        numbers = []
        for p in positions:
            number = known.get(p)
            if number is None:
                number = known[p] = reference_key(written[p])
            numbers.append(number)
        scores = process.cdist(tokens, numbers, scorer=fuzz.ratio, dtype=np.uint8)
        best = scores.max(axis=0)
        return {p: float(s) / 100 for p, s in zip(positions, best, strict=True)}
