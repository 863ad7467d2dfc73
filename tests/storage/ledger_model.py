"""A pure-Python reference ledger for the model-based test (RELIABILITY 1.8, M6).

A dict ledger with the rules ``apply_proposal``, ``reverse_application``, the open-item upsert
and statement storage promise: open amount per invoice, the live application per bank line,
and the outcome (success or the exact error class) each operation must have. The test runs
the same operations on the database and compares after every step.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cashapp.core.errors import (
    AlreadyAppliedError,
    AlreadyReversedError,
    ConflictError,
    InvariantViolation,
    NotFoundError,
)

# (kind, invoice number or None, amount in minor units)
Allocation = tuple[str, str | None, int]
CASH = ("invoice", "on_account")


@dataclass
class Invoice:
    currency: str
    amount: int
    baseline: int  # what the ERP last said was open
    open: int


@dataclass
class Line:
    id: int
    amount: int
    currency: str


@dataclass
class Live:
    application: int
    allocations: list[Allocation]


@dataclass
class ReferenceLedger:
    invoices: dict[str, Invoice] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    live: dict[int, Live] = field(default_factory=dict)  # bank line id -> live application
    reversed: list[int] = field(default_factory=list)  # original application ids
    reversals: list[int] = field(default_factory=list)  # reversing application ids
    outbox_events: int = 0

    def upsert_invoice(self, number: str, currency: str, amount: int) -> None:
        """The ERP's figures win only while the ledger has not moved the item."""
        current = self.invoices.get(number)
        if current is None:
            self.invoices[number] = Invoice(currency, amount, amount, amount)
        elif current.open == current.baseline:
            current.currency, current.amount = currency, amount
            current.baseline = current.open = amount

    def expected_apply_error(self, line: Line, allocations: list[Allocation]) -> type | None:
        """The error ``apply_proposal`` must raise (checked in its order), or None."""
        if line.id in self.live:
            return AlreadyAppliedError
        if line.amount <= 0:
            return ConflictError
        if sum(m for kind, _, m in allocations if kind in CASH) != line.amount:
            return InvariantViolation
        taken: Counter[str] = Counter()
        for _, number, minor in allocations:
            if number is None:
                continue
            if number not in self.invoices:
                return NotFoundError
            if self.invoices[number].currency != line.currency:
                return InvariantViolation
            taken[number] += minor
        if any(t > self.invoices[n].open for n, t in taken.items()):
            return InvariantViolation
        return None

    def apply(self, line: Line, allocations: list[Allocation], application: int) -> None:
        for _, number, minor in allocations:
            if number is not None:
                self.invoices[number].open -= minor
        self.live[line.id] = Live(application, allocations)
        # application.created, plus one deduction.created per deduction allocation
        self.outbox_events += 1 + sum(1 for kind, _, _ in allocations if kind == "deduction")

    def expected_reverse_error(self, application: int) -> type | None:
        if application in self.reversals:
            return ConflictError  # a reversal cannot be reversed
        if application in self.reversed:
            return AlreadyReversedError
        return None

    def reverse(self, line_id: int, reversal: int) -> None:
        live = self.live.pop(line_id)
        for kind, number, minor in live.allocations:
            if number is not None and kind != "on_account":
                self.invoices[number].open += minor
        self.reversed.append(live.application)
        self.reversals.append(reversal)
        self.outbox_events += 1
