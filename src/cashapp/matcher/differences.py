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
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from cashapp.domain.ledger import OpenItem
from cashapp.domain.money import minor_units, to_minor
from cashapp.domain.proposals import AllocationKind, ProposedAllocation
from cashapp.domain.reasons import ReasonCode
from cashapp.matcher.api import MatchPolicy

DISCOUNT_RATES = (
    Decimal("0.01"), Decimal("0.015"), Decimal("0.02"), Decimal("0.025"), Decimal("0.03"),
    Decimal("0.04"), Decimal("0.05"),
)
DISCOUNT_DAYS = 30  # an early-payment discount is earned when paid within this many days
BANK_FEE_STEP = Decimal("0.50")  # banks price their charges in round amounts (7.50, 10.00...)
_ONE = Decimal(1)


class ItemFacts(NamedTuple):
    """What the policy reads of one open item, in minor units and day ordinals (built from
    the index's columns while matching, or from an ``OpenItem`` by ``facts_of``)."""

    invoice_number: str
    open_minor: int
    amount_minor: int
    issue_day: int


class Part(NamedTuple):
    """One allocation row in minor units (``ProposedAllocation`` once it leaves the matcher;
    equal parts are equal allocations)."""

    kind: AllocationKind
    minor: int
    invoice_number: str | None = None
    reason_code: ReasonCode | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """A complete allocation of a payment over items, and what kind of difference it has."""

    parts: tuple[Part, ...]
    difference: str  # exact | over | remitted | discount | discount_late | reason | bank_charges
    #                   | tolerance | unexplained | instalment
    reason: ReasonCode | None
    delta_minor: int  # paid - open (negative when short), minor units
    places: int  # the currency's decimals
    # Another reading of the same difference the line cannot tell apart (a standard discount
    # or an unexplained short that is also a round bank fee): a second candidate form for the
    # reviewer; a settlement read two ways is never applied automatically.
    alternative: Settlement | None = None

    @property
    def delta(self) -> Decimal:
        """paid - open as an amount."""
        return _amount(self.delta_minor, self.places)

    @property
    def on_account(self) -> Decimal:
        """What the allocation keeps on the customer's account (0 when nothing)."""
        return _amount(sum(p.minor for p in self.parts
                           if p.kind is AllocationKind.ON_ACCOUNT), self.places)

    @property
    def allocations(self) -> tuple[ProposedAllocation, ...]:
        """The parts as the domain's allocations (amounts with the currency's decimals)."""
        places = self.places
        return tuple(ProposedAllocation(kind=p.kind, amount=_amount(p.minor, places),
                                        invoice_number=p.invoice_number,
                                        reason_code=p.reason_code) for p in self.parts)


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """What the line says about itself that the policy needs."""

    amount: Decimal
    currency: str
    paid_on: date | None
    reason: ReasonCode | None = None  # a reason written in the text or remittance
    charges: Decimal | None = None  # bank charges the bank reported
    # the same in minor units and day ordinals (derived)
    amount_minor: int = field(init=False)
    places: int = field(init=False)
    paid_day: int | None = field(init=False)
    charges_minor: int | None = field(init=False)  # -1: not a whole number of minor units

    def __post_init__(self) -> None:
        places = minor_units(self.currency)
        object.__setattr__(self, "places", places)
        object.__setattr__(self, "amount_minor", to_minor(self.amount, self.currency))
        object.__setattr__(self, "paid_day",
                           self.paid_on.toordinal() if self.paid_on is not None else None)
        charges = None if self.charges is None else _minor(self.charges, places)
        object.__setattr__(self, "charges_minor", -1 if self.charges is not None and (
            charges is None) else charges)


def facts_of(item: OpenItem) -> ItemFacts:
    """An ``OpenItem`` as the policy reads it."""
    places = minor_units(item.currency)
    return ItemFacts(item.invoice_number, int(item.open_amount.scaleb(places)),
                     int(item.amount.scaleb(places)), item.issue_date.toordinal())


def settle(
    items: Sequence[OpenItem],
    facts: PaymentFacts,
    policy: MatchPolicy,
    *,
    remitted: Sequence[Decimal | None] | None = None,
    item_reasons: Sequence[ReasonCode | None] | None = None,
) -> Settlement:
    """Allocate ``facts.amount`` over ``items`` (in the given order) by the policy above."""
    return settle_facts([facts_of(i) for i in items], facts, policy, remitted=remitted,
                        item_reasons=item_reasons)


def settle_facts(
    items: Sequence[ItemFacts],
    facts: PaymentFacts,
    policy: MatchPolicy,
    *,
    remitted: Sequence[Decimal | None] | None = None,
    item_reasons: Sequence[ReasonCode | None] | None = None,
) -> Settlement:
    """``settle`` on items as ``ItemFacts``, in minor units (the matcher's hot path)."""
    places = facts.places
    amount = facts.amount_minor
    open_total = sum(i.open_minor for i in items)
    delta = amount - open_total
    if remitted is not None and all(r is not None for r in remitted):
        paid = [_minor(r, places) for r in remitted if r is not None]
        if all(p is not None and p > 0 for p in paid) and sum(
                p for p in paid if p is not None) == amount:
            return _as_remitted(items, [p for p in paid if p is not None], item_reasons, delta,
                                places)
    if delta >= 0:
        parts = [_cash(i, i.open_minor) for i in items]
        if delta > 0:
            parts.append(Part(AllocationKind.ON_ACCOUNT, delta))
        return Settlement(tuple(parts), "exact" if delta == 0 else "over", None, delta, places)
    short = -delta
    if short >= amount:
        return _instalment(items, amount, delta, places)
    explicit = facts.reason or next((r for r in (item_reasons or ()) if r), None)
    if explicit is not None and explicit is not ReasonCode.DISCOUNT:
        kind = AllocationKind.WRITE_OFF if explicit is ReasonCode.BANK_CHARGES else (
            AllocationKind.DEDUCTION)
        return _on_last(items, short, kind, explicit, "reason", delta, places)
    if facts.charges_minor is not None and facts.charges_minor == short:
        return _on_last(items, short, AllocationKind.WRITE_OFF, ReasonCode.BANK_CHARGES,
                        "bank_charges", delta, places)
    # the bank said nothing about charges and the payer nothing about a discount
    unstated = facts.charges is None and explicit is None
    fee = unstated and is_bank_fee(short, open_total, policy, places)
    discount = _discount_fit(items, short)
    if discount is not None:
        paid_day = facts.paid_day
        earned = paid_day is None or all(
            paid_day - i.issue_day <= DISCOUNT_DAYS for i in items)
        if fee and not earned:  # outside the discount period the rate is a coincidence
            return _bank_charges(items, short, delta, places)
        kind = AllocationKind.WRITE_OFF if earned else AllocationKind.DEDUCTION
        settlement = _per_item(items, discount, kind, ReasonCode.DISCOUNT,
                               "discount" if earned else "discount_late", delta, places)
        if fee:
            return replace(settlement, alternative=_bank_charges(items, short, delta, places))
        return settlement
    if explicit is ReasonCode.DISCOUNT:
        return _on_last(items, short, AllocationKind.DEDUCTION, explicit, "reason", delta,
                        places)
    if within_tolerance(short, open_total, policy, places):
        return _on_last(items, short, AllocationKind.WRITE_OFF, ReasonCode.OTHER, "tolerance",
                        delta, places)
    if fee:
        return _bank_charges(items, short, delta, places)
    unexplained = _on_last(items, short, AllocationKind.DEDUCTION, ReasonCode.OTHER,
                           "unexplained", delta, places)
    if unstated and _round_fee(short, policy, places):  # over the relative limit: for review
        return replace(unexplained, alternative=_bank_charges(items, short, delta, places))
    return unexplained


def instalment(items: Sequence[OpenItem], facts: PaymentFacts, delta: Decimal) -> Settlement:
    """The payment as cash on the items, oldest first, leaving the rest open."""
    return instalment_facts([facts_of(i) for i in items], facts,
                            _minor(delta, facts.places) or 0)


def instalment_facts(items: Sequence[ItemFacts], facts: PaymentFacts, delta: int) -> Settlement:
    """``instalment`` on ``ItemFacts`` with ``delta`` in minor units."""
    return _instalment(items, facts.amount_minor, delta, facts.places)


def _instalment(items: Sequence[ItemFacts], amount: int, delta: int, places: int) -> Settlement:
    left = amount
    parts: list[Part] = []
    for item in items:
        take = min(left, item.open_minor)
        if take > 0:
            parts.append(_cash(item, take))
            left -= take
    if left > 0:
        parts.append(Part(AllocationKind.ON_ACCOUNT, left))
    return Settlement(tuple(parts), "instalment", None, delta, places)


# The policy's tests in minor units: ``short`` and ``open_total`` scaled by 10**places and
# the policy's amounts too, so every comparison is exact, as between the amounts themselves.
def within_tolerance(short: int, open_total: int, policy: MatchPolicy, places: int) -> bool:
    """A difference small enough to close by policy: under both the absolute and the
    relative limit."""
    return (short <= policy.write_off_absolute.scaleb(places)
            and short <= policy.write_off_relative * open_total)


def is_bank_fee(short: int, open_total: int, policy: MatchPolicy, places: int) -> bool:
    """A short amount that reads as the bank's charges when the bank did not state them: a
    round fee (a multiple of ``BANK_FEE_STEP``) under both of the policy's bank-charge limits."""
    return _round_fee(short, policy, places) and short <= policy.bank_charges_relative * open_total


def _round_fee(short: int, policy: MatchPolicy, places: int) -> bool:
    return 0 < short <= policy.bank_charges_absolute.scaleb(places) and (
        Decimal(short) % BANK_FEE_STEP.scaleb(places) == 0)


def _amount(minor: int, places: int) -> Decimal:
    return Decimal(minor).scaleb(-places)


def _minor(value: Decimal, places: int) -> int | None:
    """``value`` in minor units; None when it is not a whole number of them."""
    scaled = value.scaleb(places)
    whole = int(scaled)
    return whole if whole == scaled else None


def _bank_charges(items: Sequence[ItemFacts], short: int, delta: int, places: int
                  ) -> Settlement:
    return _on_last(items, short, AllocationKind.WRITE_OFF, ReasonCode.BANK_CHARGES,
                    "bank_charges", delta, places)


def _cash(item: ItemFacts, amount: int) -> Part:
    return Part(AllocationKind.INVOICE, amount, item.invoice_number)


def _as_remitted(
    items: Sequence[ItemFacts],
    paid: Sequence[int],
    reasons: Sequence[ReasonCode | None] | None,
    delta: int,
    places: int,
) -> Settlement:
    parts: list[Part] = []
    excess = 0
    first_reason: ReasonCode | None = None
    for n, (item, amount) in enumerate(zip(items, paid, strict=True)):
        cash = min(amount, item.open_minor)
        parts.append(_cash(item, cash))
        excess += amount - cash
        gap = item.open_minor - cash
        if gap > 0:
            reason = (reasons[n] if reasons else None) or ReasonCode.OTHER
            first_reason = first_reason or reason
            parts.append(Part(AllocationKind.DEDUCTION, gap, item.invoice_number, reason))
    if excess > 0:
        parts.append(Part(AllocationKind.ON_ACCOUNT, excess))
    return Settlement(tuple(parts), "remitted", first_reason, delta, places)


def _discount_fit(items: Sequence[ItemFacts], short: int) -> list[int] | None:
    """Per-item discounts at one standard rate that add up to ``short``, if any: each
    invoiced amount times the rate, rounded (half even) to a minor unit."""
    invoiced = sum(i.amount_minor for i in items)
    for rate in DISCOUNT_RATES:
        # each part is within half a unit of its exact value: a rate whose exact total is
        # further than that from ``short`` cannot fit (the test below, made cheaply)
        if abs(rate * invoiced - short) * 2 > len(items):
            continue
        parts = [int((rate * i.amount_minor).quantize(_ONE)) for i in items]
        if sum(parts) == short and all(p < i.open_minor for p, i in zip(parts, items,
                                                                         strict=True)):
            return parts
    return None


def _per_item(
    items: Sequence[ItemFacts],
    discounts: Sequence[int],
    kind: AllocationKind,
    reason: ReasonCode,
    difference: str,
    delta: int,
    places: int,
) -> Settlement:
    parts: list[Part] = []
    for item, part in zip(items, discounts, strict=True):
        parts.append(_cash(item, item.open_minor - part))
        if part > 0:
            parts.append(Part(kind, part, item.invoice_number, reason))
    return Settlement(tuple(parts), difference, reason, delta, places)


def _on_last(
    items: Sequence[ItemFacts],
    short: int,
    kind: AllocationKind,
    reason: ReasonCode,
    difference: str,
    delta: int,
    places: int,
) -> Settlement:
    """Full cash on every item but the last that can absorb the short amount."""
    target = max(range(len(items)), key=lambda n: (items[n].open_minor > short, n))
    if items[target].open_minor <= short:
        return _instalment(items, sum(i.open_minor for i in items) - short, delta, places)
    parts: list[Part] = []
    for n, item in enumerate(items):
        if n == target:
            parts.append(_cash(item, item.open_minor - short))
            parts.append(Part(kind, short, item.invoice_number, reason))
        else:
            parts.append(_cash(item, item.open_minor))
    return Settlement(tuple(parts), difference, reason, delta, places)
