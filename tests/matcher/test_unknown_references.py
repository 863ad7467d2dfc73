"""A line that names invoices the ledger does not know (yet) beside one it knows: the
money left over belongs to those invoices, not on the customer's account, so the line is
never applied automatically. Other numbers in the text (a PO, a date, a phone number) are
not unknown invoices, and a plain overpayment keeps today's decision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cashapp.domain.ledger import Customer, OpenItem
from cashapp.domain.proposals import DecisionKind, MatchResult
from cashapp.domain.statements import BankLine
from cashapp.matcher.api import LedgerView, LineToMatch, Matcher, MatchPolicy
from cashapp.matcher.model import load_scorer
from cashapp.matcher.rules import RulesMatcher
from cashapp.matcher.scored import ScoredMatcher
from cashapp.training.matcher_dataset import with_extracted_references

CUSTOMERS = [Customer(customer_id="C1", name="Müller Maschinenbau GmbH",
                      ibans=("DE89370400440532013000",)),
             Customer(customer_id="C2", name="Acme Trading Ltd")]
KNOWN = "INV-2025-000101"
UNKNOWN = "INV-2025-000102 INV-2025-000103"  # the same numbering, not (yet) in the ledger


def _item(number: str, amount: str, customer: str) -> OpenItem:
    name = next(c.name for c in CUSTOMERS if c.customer_id == customer)
    return OpenItem(invoice_number=number, customer_id=customer, customer_name=name,
                    issue_date=date(2025, 10, 1), due_date=date(2025, 10, 31), currency="EUR",
                    amount=Decimal(amount), open_amount=Decimal(amount))


LEDGER = LedgerView(open_items=(_item(KNOWN, "100.00", "C1"),
                                _item("INV-2025-000087", "420.00", "C2"),
                                _item("INV-2025-000093", "77.10", "C2")),
                    customers=CUSTOMERS)


@pytest.fixture(scope="module", params=["scored", "rules"])
def matcher(request: pytest.FixtureRequest) -> Matcher:
    return ScoredMatcher(load_scorer()) if request.param == "scored" else RulesMatcher()


def run(matcher: Matcher, amount: str, text: str) -> MatchResult:
    """One line of the identified payer C1, read by the extractor as ``cashapp run`` does."""
    line = BankLine(bank_ref="B1", entry=0, amount=Decimal(amount), currency="EUR",
                    booking_date=date(2025, 11, 3), counterparty_name="MUELLER MASCHINENBAU GMBH",
                    counterparty_account="DE89370400440532013000", remittance_text=text)
    [task] = with_extracted_references([LineToMatch(key="L1", line=line)], LEDGER)
    [result] = matcher.match([task], LEDGER, MatchPolicy())
    return result


def on_account(result: MatchResult) -> Decimal:
    assert result.best is not None
    return sum((a.amount for a in result.best.allocations if a.kind.value == "on_account"),
               Decimal(0))


def test_unknown_invoices_beside_a_known_one_are_never_automatic(matcher: Matcher) -> None:
    result = run(matcher, "250.00", f"{KNOWN} {UNKNOWN}")
    assert result.decision is DecisionKind.SUGGESTED
    assert result.best is not None and on_account(result) == Decimal("150.00")
    [fact] = [e for e in result.best.evidence if e.name == "reference_unknown"]
    assert "INV-2025-000102" in fact.detail and "INV-2025-000103" in fact.detail
    assert "not in the ledger" in fact.detail


def test_unknown_invoices_without_money_left_over_stay_automatic(matcher: Matcher) -> None:
    result = run(matcher, "100.00", f"{KNOWN} {UNKNOWN}")  # nothing goes on account
    assert result.decision is DecisionKind.AUTO


@pytest.mark.parametrize("text", [
    KNOWN,  # a plain overpayment: only known references
    f"{KNOWN} PO 4711-2025",  # a purchase order number
    f"{KNOWN} Bestellung 450012345",
    f"{KNOWN} vom 03.11.2025",  # a date
    f"{KNOWN} Tel +49 89 1234567",  # a phone number (the extractor's shapes stretch to it)
])
def test_an_overpayment_without_unknown_invoices_keeps_its_decision(
    matcher: Matcher, text: str
) -> None:
    result = run(matcher, "250.00", text)
    assert result.decision is DecisionKind.AUTO
    assert on_account(result) == Decimal("150.00")
    assert result.best is not None
    assert not [e for e in result.best.evidence if e.name == "reference_unknown"]
