"""The learning loop's pure parts: review decisions become labelled examples, and the
payers people confirmed become readable alias rules a person can accept.

- ``labelled_from_reviews``: each reviewed line with what was finally booked (confirmed as
  proposed, changed, or rejected as not a customer payment) is one labelled line for
  ``train_matcher``.
- ``propose_alias_rules``: an account or payer name seen on confirmed lines of one
  customer (and never of another), not already known, becomes "account DE89... pays for
  customer C042 (seen 3 times)" (``matcher.aliases``, shared with the product's stored rules:
  ``reconciliation.alias_rules``). Accepted rules go into ``LedgerView.learned_accounts`` /
  ``learned_names``; the matcher treats them as evidence, not proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cashapp.domain.proposals import ProposedAllocation
from cashapp.matcher.aliases import MIN_SUPPORT, AliasRule, propose_aliases
from cashapp.matcher.api import LedgerView, LineToMatch
from cashapp.training.matcher_dataset import LabelledSet

__all__ = ["MIN_SUPPORT", "AliasRule", "ReviewOutcome", "ReviewedLine", "labelled_from_reviews",
           "propose_alias_rules"]


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
    """Accounts and payer names that consistently paid for one customer and are not known
    (``matcher.aliases.propose_aliases`` on the lines not rejected that name a customer)."""
    confirmed = [(r.task.line, r.customer_id) for r in reviewed
                 if r.outcome is not ReviewOutcome.REJECTED and r.customer_id is not None]
    return propose_aliases(ledger, confirmed, min_support=min_support)
