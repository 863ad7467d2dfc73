"""Candidate allocations for one bank line (blocking + allocation search).

Sources, none of them a scan of the ledger:
- the items the line names (reference index hits), as a whole, as subsets that pay the
  amount, one by one, and as an instalment;
- for each identified payer (account, name, alias): its open items whose sum fits the
  amount (bounded subset search), the oldest-first prefix that pays it exactly, and runs
  of items falling due one after the other that pay it exactly (a payment run);
- when nobody is identified: open items of exactly this amount anywhere (sorted-array
  ``searchsorted``), capped.
Every candidate is a complete allocation built by the differences policy.

Reads the index's columns (amounts in minor units, due dates as day ordinals, customer and
currency codes), never the ``OpenItem`` objects: see ``matcher.columns``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from cashapp.domain.money import to_minor
from cashapp.matcher.allocate import (
    MAX_ITEMS,
    Window,
    due_runs,
    oldest_prefix,
    subsets_within,
)
from cashapp.matcher.api import LineToMatch, MatchPolicy
from cashapp.matcher.customers import PayerEvidence, identify_customers
from cashapp.matcher.differences import (
    DISCOUNT_RATES,
    ItemFacts,
    PaymentFacts,
    Settlement,
    instalment_facts,
    settle_facts,
)
from cashapp.matcher.index import LedgerIndex
from cashapp.matcher.refscan import ReferenceHit, find_references
from cashapp.matcher.rules import payment_facts

MAX_CANDIDATES = 24
GLOBAL_AMOUNT_LIMIT = 12
MAX_NAMED = 12  # items named by one line considered for subsets


@dataclass(slots=True)
class Candidate:
    customer_id: str
    items: tuple[int, ...]  # positions in the index, due-date order
    settlement: Settlement
    origin: str  # reference | reference_subset | reference_single | instalment | subset | fifo
    #              | global_amount | due_run


@dataclass(slots=True)
class LineContext:
    """Everything found about one line, shared by candidates, features and evidence."""

    task: LineToMatch
    facts: PaymentFacts
    hits: dict[int, ReferenceHit]
    payers: dict[str, PayerEvidence]
    candidates: list[Candidate] = field(default_factory=list)


def build_context(task: LineToMatch, index: LedgerIndex, policy: MatchPolicy) -> LineContext:
    hits = find_references(task, index)
    payers = identify_customers(task, index, hits)
    ctx = LineContext(task=task, facts=payment_facts(task), hits=hits, payers=payers)
    ctx.candidates = _candidates(ctx, index, policy)
    return ctx


def item_facts(index: LedgerIndex, positions: Iterable[int]) -> list[ItemFacts]:
    """The items at ``positions`` as the differences policy reads them, from the columns."""
    columns = index.columns
    numbers, open_minor = columns.numbers, columns.open_minor
    amount_minor, issue_day = columns.amount_minor, columns.issue_day
    return [ItemFacts(numbers[p], open_minor[p], amount_minor[p], issue_day[p])
            for p in positions]


def _candidates(ctx: LineContext, index: LedgerIndex, policy: MatchPolicy) -> list[Candidate]:
    facts = ctx.facts
    columns = index.columns
    due, open_minor, currency_of = columns.due_day, columns.open_minor, columns.currency
    currency = columns.currency_code.get(facts.currency, -1)
    out: dict[tuple[int, ...], list[Candidate]] = {}
    settled: set[tuple[int, ...]] = set()  # positions already given the policy's settlement

    def add(customer_id: str, positions: tuple[int, ...], origin: str,
            form: Settlement | None = None) -> None:
        if len(positions) > 1:
            positions = tuple(sorted(positions, key=lambda p: (due[p], p)))
        if not positions:
            return
        if form is None:
            if positions in settled:
                return  # the same settlement again: already a candidate, or its duplicate
            settled.add(positions)
            named = [ctx.hits.get(p) for p in positions]
            form = settle_facts(item_facts(index, positions), facts, policy,
                                remitted=[h.amount if h else None for h in named],
                                item_reasons=[h.reason if h else None for h in named])
        forms = out.setdefault(positions, [])
        for reading in (form, form.alternative):  # a difference read two ways: both forms
            if reading is not None and all(f.settlement.parts != reading.parts for f in forms):
                forms.append(Candidate(customer_id, positions, reading, origin))

    windows = amount_windows(facts, policy)
    amount_minor = facts.amount_minor
    by_customer: dict[str, list[int]] = {}
    for pos, _hit in sorted(ctx.hits.items(), key=lambda kv: -kv[1].strength)[: MAX_NAMED * 2]:
        if currency_of[pos] == currency:
            by_customer.setdefault(index.customer_of(pos), []).append(pos)
    for customer_id, named in by_customer.items():
        named = named[:MAX_NAMED]
        add(customer_id, tuple(named), "reference")
        if len(named) > 1:
            amounts = [open_minor[p] for p in named]
            for combo in subsets_within(amounts, windows, max_results=4):
                add(customer_id, tuple(named[n] for n in combo), "reference_subset")
            for pos in named[:6]:
                add(customer_id, (pos,), "reference_single")
        total = sum(open_minor[p] for p in named)
        if amount_minor < total:
            ordered = sorted(named, key=lambda p: due[p])
            add(customer_id, tuple(named), "instalment",
                instalment_facts(item_facts(index, ordered), facts, amount_minor - total))
    identified = [p for p in ctx.payers.values() if max(p.account, p.name) >= 0.8]
    settled_by_reference = any(
        c.origin == "reference" and c.settlement.difference in ("exact", "remitted")
        and all(ctx.hits[p].strength >= 0.9 for p in c.items)
        for forms in out.values() for c in forms)
    highest = max(w[1] for w in windows)
    for payer in sorted(identified, key=lambda p: -p.score)[: 0 if settled_by_reference else 3]:
        for pos in index.customer_amount_items(payer.customer_id, amount_minor)[:8]:
            if currency_of[pos] == currency:
                add(payer.customer_id, (pos,), "subset")
        own = [p for p in index.customer_items(payer.customer_id)
               if currency_of[p] == currency and open_minor[p] <= highest]
        if len(own) > MAX_ITEMS and facts.paid_day is not None:
            # the items falling due around the payment, shifted by the payer's usual delay
            history = index.customer_history(payer.customer_id)
            paid_day = facts.paid_day - (round(history.delay_median) if history else 0)
            own = sorted(own, key=lambda p: abs(due[p] - paid_day))
            own = sorted(own[:MAX_ITEMS], key=lambda p: due[p])
        own = own[:MAX_ITEMS]
        amounts = [open_minor[p] for p in own]
        for combo in subsets_within(amounts, windows):
            add(payer.customer_id, tuple(own[n] for n in combo), "subset")
        prefix = oldest_prefix(amounts, amount_minor)
        if prefix:
            add(payer.customer_id, tuple(own[n] for n in prefix), "fifo")
        for run in due_runs(amounts, amount_minor):
            add(payer.customer_id, tuple(own[n] for n in run), "due_run")
    if not ctx.hits and not identified:
        table = index.amounts.get(facts.currency)
        if table is not None:
            for pos in table.between(amount_minor, amount_minor, GLOBAL_AMOUNT_LIMIT):
                add(index.customer_of(pos), (pos,), "global_amount")
    flat = [c for forms in out.values() for c in forms]
    return flat[:MAX_CANDIDATES]


def amount_windows(facts: PaymentFacts, policy: MatchPolicy) -> list[Window]:
    """Open totals (minor units) this payment could settle, most plausible first: exactly,
    plus the bank's charges, less an early-payment discount, less a tolerated difference."""
    paid = facts.amount_minor
    windows: list[Window] = [(paid, paid)]
    if facts.charges is not None and facts.charges > 0:
        charged = paid + to_minor(facts.charges, facts.currency)
        windows.append((charged, charged))
    for rate in DISCOUNT_RATES:
        gross = int(Decimal(paid) / (1 - rate))
        windows.append((gross - 5, gross + 5))  # per-invoice rounding of the discount
    absolute = int(policy.write_off_absolute.scaleb(facts.places))
    tolerated = min(absolute, int(Decimal(paid) * policy.write_off_relative))
    if tolerated > 0:
        windows.append((paid + 1, paid + tolerated))
    return windows
