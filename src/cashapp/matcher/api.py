"""The matcher's contract with the use cases: lines (with what the extractor found) and a view
of the ledger in, one ``MatchResult`` per line out. Pure: no database, no I/O.

The reconciliation layer builds ``LineToMatch`` records (running the text extractor on the
bank line and any linked remittance), calls ``Matcher.match`` and hands AUTO results to the
ledger's apply step; SUGGESTED ones go to the review queue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from cashapp.domain.history import CustomerHistory
from cashapp.domain.ledger import Customer, OpenItem
from cashapp.domain.proposals import MatchResult
from cashapp.domain.references import ReferenceCandidate
from cashapp.domain.remittances import Remittance
from cashapp.domain.statements import BankLine


@dataclass(frozen=True, slots=True, kw_only=True)
class LineToMatch:
    """One bank line to match, with the references found in its text and linked remittances."""

    key: str  # the caller's id for the line, echoed in MatchResult.line_key
    line: BankLine
    references: Sequence[ReferenceCandidate] = ()
    remittances: Sequence[Remittance] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerView:
    """The open items and customers of one tenant, as the matcher sees them."""

    open_items: Sequence[OpenItem]
    customers: Sequence[Customer] = ()
    # Learned from confirmed matches (accepted alias rules): a payer account or payer name
    # (as written on bank lines) -> the customer id(s) it pays for. Evidence, not proof.
    learned_accounts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    learned_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # How each customer usually pays (delay, deductions, bundling), from past applications;
    # a customer missing here is new (the history features are then unknown, not zero).
    customer_history: Mapping[str, CustomerHistory] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchPolicy:
    """The tenant's rules for what may be applied without a person."""

    # The target precision of the automatic decisions as a set: the model's precision table
    # (``matcher.thresholds``) turns it into the calibrated probability a line must clear;
    # without a table (an older model) it is that probability itself, per decision.
    auto_precision: float = 0.999
    # The per-decision floor: no line is applied below this calibrated probability,
    # whatever the table allows for the target.
    auto_min_confidence: float = 0.99
    write_off_absolute: Decimal = Decimal("5.00")  # small unexplained differences closed by policy
    write_off_relative: Decimal = Decimal("0.005")
    # A short payment the bank did not explain (no instructed amount, no charges field, as in
    # OFX or most MT940) is read as the bank's charges, written off, when it is a round fee
    # (``differences.BANK_FEE_STEP``) under both limits and nothing else explains it.
    # ``bank_charges_absolute`` 0 turns the reading off.
    bank_charges_absolute: Decimal = Decimal("25.00")
    bank_charges_relative: Decimal = Decimal("0.05")
    per_customer_threshold: dict[str, float] = field(default_factory=dict)
    # An unexplained short payment is applied with a deduction `other` (for research) only
    # when the tenant allows it; by default it waits for a person to give the reason.
    auto_unexplained_deductions: bool = False


class Matcher(Protocol):
    """Anything that turns lines into match results."""

    version: str

    def match(
        self, lines: Sequence[LineToMatch], ledger: LedgerView, policy: MatchPolicy
    ) -> list[MatchResult]: ...
