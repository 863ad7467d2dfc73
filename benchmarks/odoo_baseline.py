"""Odoo's documented invoice-matching rule (CE <= 16 ``invoice_matching`` reconcile model,
LANDSCAPE.md 2.2), re-implemented as a baseline on our data. Not used by cashapp.

1. Partner: the statement line's account is a known bank account of a partner, else the
   payer name equals a partner name (case-insensitive).
2. Text: split the remittance text on whitespace; drop tokens shorter than 4 characters;
   keep only their digits; drop those with fewer than 4 digits. Invoice tokens: the digits
   of the invoice number and of its payment reference (other characters removed).
   Candidates sharing a token rank by number of shared tokens, then oldest due date first.
3. Amount, greedy: a single candidate whose open amount equals the payment (or equals it
   less an early-payment discount) is a perfect match; otherwise walk the candidates,
   accumulating open amounts while the payment still has room.
4. Auto-reconcile only perfect matches found through tokens; a partner's open items without
   a token hit are proposed (oldest first) but never auto-reconciled. No tolerance.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from cashapp.domain.ledger import OpenItem
from cashapp.domain.proposals import (
    AllocationKind,
    DecisionKind,
    Evidence,
    MatchResult,
    Proposal,
    ProposedAllocation,
)
from cashapp.domain.reasons import ReasonCode
from cashapp.matcher.api import LedgerView, LineToMatch, MatchPolicy

_NOT_DIGIT = re.compile(r"\D")
CENT = Decimal("0.01")
VERSION = "odoo-invoice-matching"


def _digit_tokens(text: str) -> set[str]:
    out = set()
    for token in text.split():
        if len(token) < 4:
            continue
        digits = _NOT_DIGIT.sub("", token)
        if len(digits) >= 4:
            out.add(digits)
    return out


class OdooBaseline:
    version = VERSION

    def match(self, lines: Sequence[LineToMatch], ledger: LedgerView, policy: MatchPolicy
              ) -> list[MatchResult]:
        items = [i for i in ledger.open_items if i.open_amount > 0]
        by_token: dict[str, list[OpenItem]] = defaultdict(list)
        by_partner: dict[str, list[OpenItem]] = defaultdict(list)
        for item in items:
            for ref in (item.invoice_number, item.payment_reference or ""):
                digits = _NOT_DIGIT.sub("", ref)
                if digits:
                    by_token[digits].append(item)
            by_partner[item.customer_id].append(item)
        accounts = {iban.replace(" ", "").upper(): c.customer_id
                    for c in ledger.customers for iban in c.ibans}
        names = {c.name.casefold(): c.customer_id for c in ledger.customers}
        return [self._one(task, by_token, by_partner, accounts, names) for task in lines]

    def _one(self, task: LineToMatch, by_token: dict[str, list[OpenItem]],
             by_partner: dict[str, list[OpenItem]], accounts: dict[str, str],
             names: dict[str, str]) -> MatchResult:
        line = task.line
        if not line.is_credit or line.reversal:
            return MatchResult(line_key=task.key, decision=DecisionKind.UNMATCHED)
        partner = accounts.get((line.counterparty_account or "").replace(" ", "").upper()) or (
            names.get((line.counterparty_name or "").casefold()))
        text = " ".join([line.remittance_text, *line.structured_references,
                         *(d.number for d in line.referred_documents)])
        tokens = _digit_tokens(text)
        hits: dict[str, tuple[int, OpenItem]] = {}
        for token in tokens:
            for item in by_token.get(token, ()):
                if item.currency != line.currency or (partner and item.customer_id != partner):
                    continue
                count = hits.get(item.invoice_number, (0, item))[0] + 1
                hits[item.invoice_number] = (count, item)
        ranked = [i for _, i in sorted(hits.values(), key=lambda h: (-h[0], h[1].due_date))]
        via_tokens = bool(ranked)
        if not ranked and partner:
            ranked = sorted((i for i in by_partner.get(partner, ()) if i.currency == line.currency),
                            key=lambda i: i.due_date)
        if not ranked:
            return MatchResult(line_key=task.key, decision=DecisionKind.UNMATCHED)
        allocs, perfect = _greedy(ranked, line.amount)
        if not allocs:
            return MatchResult(line_key=task.key, decision=DecisionKind.UNMATCHED)
        auto = perfect and via_tokens
        proposal = Proposal(allocations=tuple(allocs), confidence=1.0 if auto else 0.5,
                            customer_id=ranked[0].customer_id, model_version=VERSION,
                            evidence=(Evidence(name="odoo_rule", detail="digit tokens, greedy"),))
        return MatchResult(line_key=task.key, proposals=(proposal,),
                           decision=DecisionKind.AUTO if auto else DecisionKind.SUGGESTED)


def _greedy(ranked: list[OpenItem], amount: Decimal) -> tuple[list[ProposedAllocation], bool]:
    for item in ranked:
        if item.open_amount == amount:
            return [_cash(item, amount)], True
        for rate in (Decimal("0.02"), Decimal("0.03")):
            discount = (item.amount * rate).quantize(CENT)
            if item.open_amount - discount == amount:
                return [_cash(item, amount), ProposedAllocation(
                    kind=AllocationKind.WRITE_OFF, amount=discount,
                    invoice_number=item.invoice_number, reason_code=ReasonCode.DISCOUNT)], True
    allocs: list[ProposedAllocation] = []
    left = amount
    for item in ranked:
        if left <= 0:
            break
        take = min(left, item.open_amount)
        allocs.append(_cash(item, take))
        left -= take
    if left > 0:
        allocs.append(ProposedAllocation(kind=AllocationKind.ON_ACCOUNT, amount=left))
    total = sum((a.amount for a in allocs if a.kind is AllocationKind.INVOICE), Decimal(0))
    return allocs, total == amount and left == 0 and all(
        a.amount == i.open_amount for a, i in zip(allocs, ranked, strict=False))


def _cash(item: OpenItem, amount: Decimal) -> ProposedAllocation:
    return ProposedAllocation(kind=AllocationKind.INVOICE, amount=amount,
                              invoice_number=item.invoice_number)
