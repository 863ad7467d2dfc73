"""The learning loop's pure parts: reviews to labelled examples, and alias rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cashapp.domain.ledger import Customer, OpenItem
from cashapp.domain.proposals import AllocationKind, ProposedAllocation
from cashapp.domain.statements import BankLine
from cashapp.matcher.api import LedgerView, LineToMatch
from cashapp.training.matcher_feedback import (
    ReviewedLine,
    ReviewOutcome,
    labelled_from_reviews,
    propose_alias_rules,
)

LEDGER = LedgerView(
    open_items=[OpenItem(invoice_number="INV-1", customer_id="C042", customer_name="Acme GmbH",
                         issue_date=date(2025, 1, 1), due_date=date(2025, 2, 1), currency="EUR",
                         amount=Decimal("10.00"), open_amount=Decimal("10.00"))],
    customers=[Customer(customer_id="C042", name="Acme GmbH", ibans=("DE02120300000000202051",)),
               Customer(customer_id="C043", name="Beta AG")])
PAID = (ProposedAllocation(kind=AllocationKind.INVOICE, amount=Decimal("10.00"),
                           invoice_number="INV-1"),)


def review(n: int, account: str | None, name: str | None, customer: str | None,
           outcome: ReviewOutcome = ReviewOutcome.CONFIRMED) -> ReviewedLine:
    line = BankLine(bank_ref=f"b{n}", entry=n, amount=Decimal("10.00"), currency="EUR",
                    counterparty_account=account, counterparty_name=name)
    return ReviewedLine(task=LineToMatch(key=f"k{n}", line=line), outcome=outcome,
                        allocations=PAID if customer else (), customer_id=customer)


def test_reviews_become_labelled_lines() -> None:
    labelled = labelled_from_reviews(LEDGER, [
        review(1, None, None, "C042"),
        review(2, None, None, None, ReviewOutcome.REJECTED)])
    assert labelled.right == {"k1": PAID, "k2": None}
    assert [t.key for t in labelled.lines] == ["k1", "k2"]


def test_alias_rules_need_support_and_one_customer() -> None:
    reviews = [
        review(1, "DE89 3704 0044 0532 0130 00", "ACME HOLDING", "C042"),
        review(2, "DE89370400440532013000", "ACME HOLDING", "C042"),
        review(3, "DE02120300000000202051", "Acme GmbH", "C042"),  # known already
        review(4, "FR7630006000011234567890189", "PAYPAL EUROPE", "C042"),
        review(5, "FR7630006000011234567890189", "PAYPAL EUROPE", "C043"),  # pays for two
        review(6, "NL91ABNA0417164300", "ONCE ONLY", "C043"),  # seen once
        review(7, "NL91ABNA0417164300", "ONCE ONLY", None, ReviewOutcome.REJECTED),
    ]
    rules = propose_alias_rules(LEDGER, reviews)
    assert [(r.kind, r.customer_id, r.support) for r in rules] == [
        ("account", "C042", 2), ("name", "C042", 2)]
    assert rules[0].text == ("account DE89 3704 0044 0532 0130 00 pays for customer C042 "
                             "(seen 2 times)")
