"""The deterministic matcher: a high-precision rule layer that needs no model.

AUTO only for the certain cases: exact or normalised references to open items of the
identified payer, in the line's currency, whose amounts add up to the payment (exactly, with
an overpayment left on account unless the line also names invoices of the ledger's numbering
that the ledger does not know, or short with an explicit reason). Everything less certain
is SUGGESTED with its best proposal, or UNMATCHED. The scored matcher uses it as a fallback
and the benchmark as a reference point.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import combinations

from cashapp.domain.ledger import OpenItem
from cashapp.domain.proposals import DecisionKind, Evidence, MatchResult, Proposal
from cashapp.domain.statements import LineStatus
from cashapp.matcher.api import LedgerView, LineToMatch, MatchPolicy
from cashapp.matcher.customers import PayerEvidence, identify_customers
from cashapp.matcher.differences import PaymentFacts, Settlement, settle
from cashapp.matcher.index import LedgerIndex, build_index
from cashapp.matcher.reason_words import reason_in_text
from cashapp.matcher.refscan import (
    ReferenceHit,
    find_references,
    unknown_invoice_numbers,
    unknown_invoices_evidence,
)

VERSION = "rules-1"
CERTAIN_DIFFERENCES = frozenset({"exact", "over", "remitted", "discount", "reason", "bank_charges"})
MAX_SUBSET = 4


def is_applicable(task: LineToMatch) -> bool:
    """Only booked, non-reversed credits can be customer payments."""
    line = task.line
    return line.is_credit and line.status is LineStatus.BOOKED and not line.reversal


def payment_facts(task: LineToMatch) -> PaymentFacts:
    line = task.line
    reason = next((r.reason for r in task.references if r.reason), None)
    reason = reason or reason_in_text(line.remittance_text)
    charges = line.charges
    if charges is None and line.instructed_amount is not None and (
        line.instructed_currency in (None, line.currency)
    ):
        gap = line.instructed_amount - line.amount
        charges = gap if gap >= 0 else None  # 0: the bank states it charged nothing
    return PaymentFacts(amount=line.amount, currency=line.currency,
                        paid_on=line.value_date or line.booking_date, reason=reason,
                        charges=charges)


class RulesMatcher:
    """Deterministic rules; implements ``cashapp.matcher.api.Matcher``."""

    version = VERSION

    def match(
        self, lines: Sequence[LineToMatch], ledger: LedgerView, policy: MatchPolicy
    ) -> list[MatchResult]:
        index = build_index(ledger)
        return [self.match_one(task, index, policy) for task in lines]

    def match_one(self, task: LineToMatch, index: LedgerIndex, policy: MatchPolicy) -> MatchResult:
        if not is_applicable(task):
            return MatchResult(line_key=task.key, decision=DecisionKind.UNMATCHED)
        hits = find_references(task, index)
        payers = identify_customers(task, index, hits)
        facts = payment_facts(task)
        if hits:
            return self._by_reference(task, index, policy, hits, payers, facts)
        return self._by_amount(task, index, payers, facts, policy)

    def _by_reference(
        self,
        task: LineToMatch,
        index: LedgerIndex,
        policy: MatchPolicy,
        hits: dict[int, ReferenceHit],
        payers: dict[str, PayerEvidence],
        facts: PaymentFacts,
    ) -> MatchResult:
        strong = [h for h in hits.values() if h.strength >= 0.9] or list(hits.values())
        by_customer: dict[str, list[ReferenceHit]] = {}
        for hit in strong:
            by_customer.setdefault(index.items[hit.item].customer_id, []).append(hit)
        customer_id = max(by_customer, key=lambda c: (
            _payer_score(payers, c), sum(index.items[h.item].currency == facts.currency
                                         for h in by_customer[c]), len(by_customer[c])))
        chosen = sorted(by_customer[customer_id], key=lambda h: index.items[h.item].due_date)
        items = [index.items[h.item] for h in chosen]
        evidence: list[Evidence] = [_payer_evidence(payers.get(customer_id))]
        evidence += [Evidence(name="reference_found", weight=h.strength,
                              detail=f"{h.written!r} names {index.items[h.item].invoice_number} "
                                     f"({h.method}, in {h.source})") for h in chosen]
        foreign = [i for i in items if i.currency != facts.currency]
        if foreign:
            evidence.append(Evidence(name="currency_mismatch", detail=(
                f"line in {facts.currency}, {foreign[0].invoice_number} in {foreign[0].currency}")))
            items = [i for i in items if i.currency == facts.currency] or items
            chosen = [h for h in chosen if index.items[h.item] in items] or chosen
        subset = _subset_paying(items, chosen, facts.amount)
        if subset is not None:
            chosen = [chosen[n] for n in subset]
            items = [items[n] for n in subset]
        settlement = settle(items, facts, policy,
                            remitted=[h.amount for h in chosen],
                            item_reasons=[h.reason for h in chosen])
        evidence.append(_amount_evidence(settlement, items))
        unknown = unknown_invoice_numbers(task, index) if settlement.on_account else ()
        if unknown:
            evidence.append(unknown_invoices_evidence(unknown, settlement.on_account))
        certain = (
            not unknown  # the money left on account probably pays invoices not yet known
            and not foreign
            and all(h.method in ("number", "payment_reference") and h.trusted for h in chosen)
            and _payer_agrees(payers, customer_id, settlement)
            and settlement.difference in CERTAIN_DIFFERENCES
            and settlement.alternative is None  # a difference read two ways is not certain
            and len({h.item for h in strong}) == len(chosen)
        )
        confidence = 0.999 if certain else (0.8 if not foreign else 0.3)
        proposal = Proposal(allocations=settlement.allocations, confidence=confidence,
                            customer_id=customer_id, evidence=tuple(evidence),
                            model_version=VERSION)
        threshold = max(policy.auto_precision,
                        policy.per_customer_threshold.get(customer_id, 0.0))
        decision = DecisionKind.AUTO if certain and confidence >= threshold else (
            DecisionKind.SUGGESTED)
        return MatchResult(line_key=task.key, decision=decision, proposals=(proposal,))

    def _by_amount(
        self,
        task: LineToMatch,
        index: LedgerIndex,
        payers: dict[str, PayerEvidence],
        facts: PaymentFacts,
        policy: MatchPolicy,
    ) -> MatchResult:
        known = [p for p in payers.values() if max(p.account, p.name) >= 0.9]
        if len(known) != 1:
            return MatchResult(line_key=task.key, decision=DecisionKind.UNMATCHED)
        payer = known[0]
        items = [index.items[n] for n in index.customer_items(payer.customer_id)]
        same = [i for i in items if i.currency == facts.currency and i.open_amount == facts.amount]
        if len(same) != 1:
            return MatchResult(line_key=task.key, decision=DecisionKind.UNMATCHED)
        settlement = settle(same, facts, policy)
        proposal = Proposal(
            allocations=settlement.allocations, confidence=0.7, customer_id=payer.customer_id,
            evidence=(_payer_evidence(payer), _amount_evidence(settlement, same),
                      Evidence(name="no_reference", detail="no reference found; the only open "
                               "item of this payer with exactly this amount")),
            model_version=VERSION)
        return MatchResult(line_key=task.key, decision=DecisionKind.SUGGESTED,
                           proposals=(proposal,))


def _payer_agrees(
    payers: dict[str, PayerEvidence], customer_id: str, settlement: Settlement
) -> bool:
    """The payer is identified as the items' customer; or it is not identified as anyone
    (a third party, or no name given) and the amounts agree to the cent."""
    if _payer_score(payers, customer_id, names_only=True) >= 0.9:
        return True
    others = any(max(p.account, p.name) >= 0.9 for c, p in payers.items() if c != customer_id)
    return not others and settlement.difference in ("exact", "remitted")


def _payer_score(
    payers: dict[str, PayerEvidence], customer_id: str, *, names_only: bool = False
) -> float:
    ev = payers.get(customer_id)
    if ev is None:
        return 0.0
    return max(ev.account, ev.name) if names_only else ev.score


def _subset_paying(
    items: Sequence[OpenItem], hits: Sequence[ReferenceHit], amount: Decimal
) -> tuple[int, ...] | None:
    """The smallest proper subset of the named items whose open amounts pay ``amount``
    exactly, when the whole set does not."""
    if sum((i.open_amount for i in items), Decimal(0)) == amount or any(
        h.amount is not None for h in hits
    ):
        return None
    for size in range(1, min(len(items), MAX_SUBSET + 1)):
        for combo in combinations(range(len(items)), size):
            if sum((items[n].open_amount for n in combo), Decimal(0)) == amount:
                return combo
    return None


def _payer_evidence(payer: PayerEvidence | None) -> Evidence:
    if payer is None or not payer.how:
        return Evidence(name="payer_unknown", detail="the payer is not a known customer")
    return Evidence(name="payer", detail=f"customer {payer.customer_id}: " + "; ".join(payer.how),
                    weight=payer.score)


def _amount_evidence(settlement: Settlement, items: Sequence[OpenItem]) -> Evidence:
    open_total = sum((i.open_amount for i in items), Decimal(0))
    return Evidence(name="amount_delta", detail=(
        f"paid - open = {settlement.delta} over {len(items)} item(s) of {open_total}: "
        f"{settlement.difference}" + (f" ({settlement.reason})" if settlement.reason else "")))
