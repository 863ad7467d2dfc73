"""What the matcher proposes and the ledger applies: allocations, proposals, evidence, decisions.

Cash side: ``invoice`` + ``on_account`` allocations add up to the bank line's amount.
Invoice side: ``invoice`` + ``deduction`` + ``write_off`` on an invoice reduce its open amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from cashapp.domain.reasons import ReasonCode


class AllocationKind(StrEnum):
    INVOICE = "invoice"  # cash applied to an invoice
    DEDUCTION = "deduction"  # short payment with a reason, kept for follow-up
    WRITE_OFF = "write_off"  # small difference closed by policy
    ON_ACCOUNT = "on_account"  # cash beyond the invoices, kept for the customer


CASH_KINDS = frozenset({AllocationKind.INVOICE, AllocationKind.ON_ACCOUNT})
INVOICE_SIDE_KINDS = frozenset(
    {AllocationKind.INVOICE, AllocationKind.DEDUCTION, AllocationKind.WRITE_OFF}
)


class DecisionKind(StrEnum):
    AUTO = "auto"  # applied by the service
    CONFIRMED = "confirmed"  # applied by a person
    SUGGESTED = "suggested"  # waiting in the review queue
    UNMATCHED = "unmatched"  # no proposal


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposedAllocation:
    kind: AllocationKind
    amount: Decimal  # positive
    invoice_number: str | None = None  # required for invoice / deduction / write_off
    reason_code: ReasonCode | None = None  # required for deduction / write_off

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"allocation amount must be positive, got {self.amount}")
        needs_invoice = self.kind is not AllocationKind.ON_ACCOUNT
        if needs_invoice != (self.invoice_number is not None):
            raise ValueError(f"{self.kind} allocation and invoice_number disagree")
        needs_reason = self.kind in (AllocationKind.DEDUCTION, AllocationKind.WRITE_OFF)
        if needs_reason != (self.reason_code is not None):
            raise ValueError(f"{self.kind} allocation and reason_code disagree")


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One fact that made (or unmade) a proposal, readable by a reviewer."""

    name: str  # e.g. "reference_found", "amount_delta", "known_account", "runner_up"
    detail: str
    weight: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A complete allocation of one bank line, with its calibrated probability of being right."""

    allocations: tuple[ProposedAllocation, ...]
    confidence: float
    customer_id: str | None = None
    evidence: tuple[Evidence, ...] = ()
    model_version: str = "rules-1"

    def cash_total(self) -> Decimal:
        return sum((a.amount for a in self.allocations if a.kind in CASH_KINDS), Decimal(0))

    def invoice_numbers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for a in self.allocations:
            if a.invoice_number is not None:
                seen[a.invoice_number] = None
        return tuple(seen)


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchResult:
    """The matcher's answer for one bank line: ranked proposals and whether to apply the first."""

    line_key: str
    decision: DecisionKind  # AUTO, SUGGESTED or UNMATCHED (never CONFIRMED)
    proposals: tuple[Proposal, ...] = ()

    @property
    def best(self) -> Proposal | None:
        return self.proposals[0] if self.proposals else None
