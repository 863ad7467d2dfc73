"""The differences policy: how a payment settles a chosen set of open items.

- paid == open: cash applied to each invoice.
- paid > open: the excess stays ``on_account``.
- the payer says what it pays per item (remittance, referred documents): taken as written.
- short by an early-payment discount within terms: ``write_off`` with ``discount`` (closed
  by policy); the same discount outside terms: a ``discount`` deduction (followed up).
- short with a reason in the text or remittance: a ``deduction`` with that reason.
- short by the bank's charges: ``write_off`` ``bank_charges``. The charges as the bank
  states them (an instructed amount, a charges field); else, when the bank says nothing (OFX
  has no field for either, most MT940 neither), a round fee under the policy's bank-charge
  limits that nothing else explains. A standard discount rate is a discount only within the
  discount period: the same round fee paid later is the bank's charges, and paid within it
  (nothing written about a discount either) the line is ambiguous: the discount, with the
  bank-charge reading as ``Settlement.alternative`` for the candidates (never one sure form).
  A round fee over the relative limit stays an unexplained deduction, with the bank-charge
  reading as its alternative, for the reviewer.
- short by a small unexplained amount within the tolerance: ``write_off`` ``other``.
- short by more, unexplained: a ``deduction`` ``other`` (never automatic), or, as an
  alternative form, an instalment (cash applied, the invoice stays open).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from cashapp.domain.ledger import OpenItem
from cashapp.domain.money import minor_units
from cashapp.domain.proposals import AllocationKind, ProposedAllocation
from cashapp.domain.reasons import ReasonCode
from cashapp.matcher.api import MatchPolicy

DISCOUNT_RATES = (
    Decimal("0.01"), Decimal("0.015"), Decimal("0.02"), Decimal("0.025"), Decimal("0.03"),
    Decimal("0.04"), Decimal("0.05"),
)
DISCOUNT_DAYS = 30  # an early-payment discount is earned when paid within this many days
BANK_FEE_STEP = Decimal("0.50")  # banks price their charges in round amounts (7.50, 10.00...)


@dataclass(frozen=True, slots=True)
class Settlement:
    """A complete allocation of a payment over items, and what kind of difference it has."""

    allocations: tuple[ProposedAllocation, ...]
    difference: str  # exact | over | remitted | discount | discount_late | reason | bank_charges
    #                   | tolerance | unexplained | instalment
    reason: ReasonCode | None
    delta: Decimal  # paid - open (negative when short)
    # Another reading of the same difference the line cannot tell apart (a standard discount
    # or an unexplained short that is also a round bank fee): a second candidate form for the
    # reviewer; a settlement read two ways is never applied automatically.
    alternative: Settlement | None = None


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """What the line says about itself that the policy needs."""

    amount: Decimal
    currency: str
    paid_on: date | None
    reason: ReasonCode | None = None  # a reason written in the text or remittance
    charges: Decimal | None = None  # bank charges the bank reported


def settle(
    items: Sequence[OpenItem],
    facts: PaymentFacts,
    policy: MatchPolicy,
    *,
    remitted: Sequence[Decimal | None] | None = None,
    item_reasons: Sequence[ReasonCode | None] | None = None,
) -> Settlement:
    """Allocate ``facts.amount`` over ``items`` (in the given order) by the policy above."""
    open_total = sum((i.open_amount for i in items), Decimal(0))
    delta = facts.amount - open_total
    if remitted is not None and all(r is not None for r in remitted):
        paid = [r for r in remitted if r is not None]
        if sum(paid, Decimal(0)) == facts.amount and all(p > 0 for p in paid):
            return _as_remitted(items, paid, item_reasons, delta)
    if delta >= 0:
        allocs = [_cash(i, i.open_amount) for i in items]
        if delta > 0:
            allocs.append(ProposedAllocation(kind=AllocationKind.ON_ACCOUNT, amount=delta))
        return Settlement(tuple(allocs), "exact" if delta == 0 else "over", None, delta)
    short = -delta
    if short >= facts.amount:
        return instalment(items, facts, delta)
    explicit = facts.reason or next((r for r in (item_reasons or ()) if r), None)
    if explicit is not None and explicit is not ReasonCode.DISCOUNT:
        kind = AllocationKind.WRITE_OFF if explicit is ReasonCode.BANK_CHARGES else (
            AllocationKind.DEDUCTION)
        return _on_last(items, short, kind, explicit, "reason", delta)
    if facts.charges is not None and facts.charges == short:
        return _on_last(items, short, AllocationKind.WRITE_OFF, ReasonCode.BANK_CHARGES,
                        "bank_charges", delta)
    # the bank said nothing about charges and the payer nothing about a discount
    unstated = facts.charges is None and explicit is None
    fee = unstated and is_bank_fee(short, open_total, policy)
    discount = _discount_fit(items, short, facts.currency)
    if discount is not None:
        earned = facts.paid_on is None or all(
            (facts.paid_on - i.issue_date).days <= DISCOUNT_DAYS for i in items
        )
        if fee and not earned:  # outside the discount period the rate is a coincidence
            return _bank_charges(items, short, delta)
        kind = AllocationKind.WRITE_OFF if earned else AllocationKind.DEDUCTION
        settlement = _per_item(items, discount, kind, ReasonCode.DISCOUNT,
                               "discount" if earned else "discount_late", delta)
        if fee:
            return replace(settlement, alternative=_bank_charges(items, short, delta))
        return settlement
    if explicit is ReasonCode.DISCOUNT:
        return _on_last(items, short, AllocationKind.DEDUCTION, explicit, "reason", delta)
    if within_tolerance(short, open_total, policy):
        return _on_last(items, short, AllocationKind.WRITE_OFF, ReasonCode.OTHER, "tolerance",
                        delta)
    if fee:
        return _bank_charges(items, short, delta)
    unexplained = _on_last(items, short, AllocationKind.DEDUCTION, ReasonCode.OTHER,
                           "unexplained", delta)
    if unstated and _round_fee(short, policy):  # a fee over the relative limit: for review
        return replace(unexplained, alternative=_bank_charges(items, short, delta))
    return unexplained


def instalment(items: Sequence[OpenItem], facts: PaymentFacts, delta: Decimal) -> Settlement:
    """The payment as cash on the items, oldest first, leaving the rest open."""
    left = facts.amount
    allocs: list[ProposedAllocation] = []
    for item in items:
        take = min(left, item.open_amount)
        if take > 0:
            allocs.append(_cash(item, take))
            left -= take
    if left > 0:
        allocs.append(ProposedAllocation(kind=AllocationKind.ON_ACCOUNT, amount=left))
    return Settlement(tuple(allocs), "instalment", None, delta)


def within_tolerance(short: Decimal, open_total: Decimal, policy: MatchPolicy) -> bool:
    """A difference small enough to close by policy: under both the absolute and the
    relative limit."""
    return short <= policy.write_off_absolute and short <= policy.write_off_relative * open_total


def is_bank_fee(short: Decimal, open_total: Decimal, policy: MatchPolicy) -> bool:
    """A short amount that reads as the bank's charges when the bank did not state them: a
    round fee (a multiple of ``BANK_FEE_STEP``) under both of the policy's bank-charge limits."""
    return _round_fee(short, policy) and short <= policy.bank_charges_relative * open_total


def _round_fee(short: Decimal, policy: MatchPolicy) -> bool:
    return Decimal(0) < short <= policy.bank_charges_absolute and short % BANK_FEE_STEP == 0


def _bank_charges(items: Sequence[OpenItem], short: Decimal, delta: Decimal) -> Settlement:
    return _on_last(items, short, AllocationKind.WRITE_OFF, ReasonCode.BANK_CHARGES,
                    "bank_charges", delta)


def _cash(item: OpenItem, amount: Decimal) -> ProposedAllocation:
    return ProposedAllocation(kind=AllocationKind.INVOICE, amount=amount,
                              invoice_number=item.invoice_number)


def _as_remitted(
    items: Sequence[OpenItem],
    paid: Sequence[Decimal],
    reasons: Sequence[ReasonCode | None] | None,
    delta: Decimal,
) -> Settlement:
    allocs: list[ProposedAllocation] = []
    excess = Decimal(0)
    first_reason: ReasonCode | None = None
    for n, (item, amount) in enumerate(zip(items, paid, strict=True)):
        cash = min(amount, item.open_amount)
        allocs.append(_cash(item, cash))
        excess += amount - cash
        gap = item.open_amount - cash
        if gap > 0:
            reason = (reasons[n] if reasons else None) or ReasonCode.OTHER
            first_reason = first_reason or reason
            kind = AllocationKind.DEDUCTION
            allocs.append(ProposedAllocation(kind=kind, amount=gap,
                                             invoice_number=item.invoice_number,
                                             reason_code=reason))
    if excess > 0:
        allocs.append(ProposedAllocation(kind=AllocationKind.ON_ACCOUNT, amount=excess))
    return Settlement(tuple(allocs), "remitted", first_reason, delta)


def _discount_fit(
    items: Sequence[OpenItem], short: Decimal, currency: str
) -> list[Decimal] | None:
    """Per-item discounts at one standard rate that add up to ``short``, if any."""
    unit = Decimal(1).scaleb(-minor_units(currency))
    for rate in DISCOUNT_RATES:
        parts = [(i.amount * rate).quantize(unit) for i in items]
        if sum(parts, Decimal(0)) == short and all(p < i.open_amount for p, i in zip(parts, items,
                                                                                      strict=True)):
            return parts
    return None


def _per_item(
    items: Sequence[OpenItem],
    parts: Sequence[Decimal],
    kind: AllocationKind,
    reason: ReasonCode,
    difference: str,
    delta: Decimal,
) -> Settlement:
    allocs: list[ProposedAllocation] = []
    for item, part in zip(items, parts, strict=True):
        allocs.append(_cash(item, item.open_amount - part))
        if part > 0:
            allocs.append(ProposedAllocation(kind=kind, amount=part,
                                             invoice_number=item.invoice_number,
                                             reason_code=reason))
    return Settlement(tuple(allocs), difference, reason, delta)


def _on_last(
    items: Sequence[OpenItem],
    short: Decimal,
    kind: AllocationKind,
    reason: ReasonCode,
    difference: str,
    delta: Decimal,
) -> Settlement:
    """Full cash on every item but the last that can absorb the short amount."""
    target = max(range(len(items)), key=lambda n: (items[n].open_amount > short, n))
    if items[target].open_amount <= short:
        facts = PaymentFacts(amount=sum((i.open_amount for i in items), Decimal(0)) - short,
                             currency=items[0].currency, paid_on=None)
        return instalment(items, facts, delta)
    allocs: list[ProposedAllocation] = []
    for n, item in enumerate(items):
        if n == target:
            allocs.append(_cash(item, item.open_amount - short))
            allocs.append(ProposedAllocation(kind=kind, amount=short,
                                             invoice_number=item.invoice_number,
                                             reason_code=reason))
        else:
            allocs.append(_cash(item, item.open_amount))
    return Settlement(tuple(allocs), difference, reason, delta)
