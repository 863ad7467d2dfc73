"""The learning loop's pure parts: review decisions become labelled examples, and the
payers people confirmed become readable alias rules a person can accept.

- ``labelled_from_reviews``: each reviewed line with what was finally booked (confirmed as
  proposed, changed, or rejected as not a customer payment) is one labelled line for
  ``train_matcher``.
- ``propose_alias_rules``: an account or payer name seen on confirmed lines of one
  customer (and never of another), not already known, becomes "account DE89... pays for
  customer C042 (seen 3 times)". Accepted rules go into ``LedgerView.learned_accounts`` /
  ``learned_names``; the matcher treats them as evidence, not proof.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cashapp.domain.proposals import ProposedAllocation
from cashapp.matcher.api import LedgerView, LineToMatch
from cashapp.matcher.normalize import iban_key, name_key
from cashapp.training.matcher_dataset import LabelledSet

MIN_SUPPORT = 2


class ReviewOutcome(StrEnum):
    CONFIRMED = "confirmed"  # the proposal was right
    CHANGED = "changed"  # a person booked something else
    REJECTED = "rejected"  # not a customer payment: nothing to apply


@dataclass(frozen=True, slots=True)
class ReviewedLine:
    """A line a person decided: the allocation finally booked and for which customer."""

    task: LineToMatch
    outcome: ReviewOutcome
    allocations: tuple[ProposedAllocation, ...] = ()
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class AliasRule:
    """A learned payer identity, readable and reversible."""

    kind: str  # "account" | "name"
    value: str  # as written on the bank lines (first seen form)
    customer_id: str
    support: int

    @property
    def text(self) -> str:
        what = "account" if self.kind == "account" else "payer name"
        return (f"{what} {self.value} pays for customer {self.customer_id} "
                f"(seen {self.support} times)")


def labelled_from_reviews(ledger: LedgerView, reviewed: Sequence[ReviewedLine]) -> LabelledSet:
    """The reviewed lines as a labelled set against the ledger as it was when matched."""
    right: dict[str, tuple[ProposedAllocation, ...] | None] = {}
    for review in reviewed:
        if review.outcome is ReviewOutcome.REJECTED or not review.allocations:
            right[review.task.key] = None
        else:
            right[review.task.key] = review.allocations
    return LabelledSet(ledger=ledger, lines=[r.task for r in reviewed], right=right)


def propose_alias_rules(
    ledger: LedgerView, reviewed: Sequence[ReviewedLine], *, min_support: int = MIN_SUPPORT
) -> list[AliasRule]:
    """Accounts and payer names that consistently paid for one customer and are not known."""
    known_accounts = {iban_key(i) for c in ledger.customers for i in c.ibans}
    known_accounts |= {iban_key(i.customer_iban) for i in ledger.open_items if i.customer_iban}
    known_accounts |= {iban_key(a) for a in ledger.learned_accounts}
    known_names = {name_key(c.name) for c in ledger.customers}
    known_names |= {name_key(i.customer_name) for i in ledger.open_items}
    known_names |= {name_key(n) for n in ledger.learned_names}
    seen: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    written: dict[tuple[str, str], str] = {}
    for review in reviewed:
        if review.outcome is ReviewOutcome.REJECTED or review.customer_id is None:
            continue
        line = review.task.line
        for kind, raw, key in (("account", line.counterparty_account,
                                iban_key(line.counterparty_account)),
                               ("name", line.counterparty_name,
                                name_key(line.counterparty_name or ""))):
            if not raw or not key:
                continue
            if (kind == "account" and key in known_accounts) or (
                    kind == "name" and key in known_names):
                continue
            seen[(kind, key)][review.customer_id] += 1
            written.setdefault((kind, key), raw)
    rules: list[AliasRule] = []
    for (kind, key), customers in sorted(seen.items()):
        if len(customers) != 1:
            continue  # paid for several customers: a group payer or a bank, not an alias
        [(customer_id, support)] = customers.items()
        if support >= min_support:
            rules.append(AliasRule(kind=kind, value=written[(kind, key)],
                                   customer_id=customer_id, support=support))
    return rules
