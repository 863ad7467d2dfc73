"""Bank statements as cashapp sees them, whatever the format: statements and their bank lines.

Amounts are signed from the account holder's view (a credit is positive). ``bank_ref`` is
the bank's own identifier of the transaction (CONTRACT.md, "Bank line identity").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class LineStatus(StrEnum):
    """Only booked lines are applicable; pending (and informational) ones are kept as information."""

    BOOKED = "booked"
    PENDING = "pending"
    INFO = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class Adjustment:
    """An ``AdjstmntAmtAndRsn`` (or the like): an amount the payer took off, and why."""

    amount: Decimal
    reason: str | None = None  # the code as sent (ISO 20022, X12, ...)
    text: str | None = None  # free-text explanation
    credit: bool = False  # True when the adjustment adds to what is paid


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferredDocument:
    """A document the payment says it settles (``RfrdDocInf`` + ``RfrdDocAmt``)."""

    number: str
    type: str | None = None  # CINV, CREN, DEBN, ... as sent
    date: date | None = None
    due_amount: Decimal | None = None
    discount_amount: Decimal | None = None
    credit_note_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    remitted_amount: Decimal | None = None
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BankLine:
    """One transaction as the bank reported it. A batch booking gives one line per detail."""

    bank_ref: str
    entry: int  # index of the bank's entry within the statement (batch lines share it)
    amount: Decimal  # signed: credit positive
    currency: str
    booking_date: date | None = None
    value_date: date | None = None
    status: LineStatus = LineStatus.BOOKED
    reversal: bool = False
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    counterparty_bic: str | None = None
    ultimate_party: str | None = None  # ultimate debtor (credits) or creditor (debits)
    end_to_end_id: str | None = None
    mandate_id: str | None = None
    remittance_text: str = ""  # unstructured remittance, subfields rejoined
    structured_references: tuple[str, ...] = ()  # creditor references (RF, OGM, QRR, ...)
    referred_documents: tuple[ReferredDocument, ...] = ()
    bank_transaction_code: str | None = None
    instructed_amount: Decimal | None = None
    instructed_currency: str | None = None
    charges: Decimal | None = None
    entry_amount: Decimal | None = None  # the entry's total when this line is part of a batch
    additional_info: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # format-specific facts, for inspect

    @property
    def is_credit(self) -> bool:
        return self.amount > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """One account's statement (or intraday report, or notification) for a period."""

    id: str
    account: str
    currency: str
    lines: Sequence[BankLine]
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    opening_date: date | None = None
    closing_date: date | None = None
    sequence: str | None = None  # the statement or page number as the bank wrote it
    warnings: tuple[str, ...] = ()
    available_balance: Decimal | None = None  # closing available balance (MT940 :64:, OFX AVAILBAL)
    information: str = ""  # statement-level free text (MT940 :86: outside a line, camt AddtlStmtInf)
    extra: Mapping[str, str] = field(default_factory=dict)  # format-specific facts, for inspect

    @property
    def balanced(self) -> bool | None:
        """opening + booked movements == closing; ``None`` when a balance is missing."""
        if self.opening_balance is None or self.closing_balance is None:
            return None
        moved = sum(
            (line.amount for line in self.lines if line.status is LineStatus.BOOKED),
            Decimal(0),
        )
        return self.opening_balance + moved == self.closing_balance


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementFile:
    """What one file held: its format (``camt.053.001.02``, ``mt940``, ``ofx``...) and statements."""

    format: str
    statements: Sequence[Statement]
