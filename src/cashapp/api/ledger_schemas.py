"""Schemas of the ERP's ledger routes: open items, files, bank lines, proposals, review
actions, applications, deductions and the lettrage feed. Amounts are decimal strings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from cashapp.api.schemas import Input, Timestamp
from cashapp.domain.proposals import AllocationKind
from cashapp.domain.reasons import ReasonCode

AmountText = Annotated[str, StringConstraints(pattern=r"^-?\d{1,15}(\.\d{1,4})?$")]
PositiveAmount = Annotated[str, StringConstraints(pattern=r"^\d{1,15}(\.\d{1,4})?$")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Iban = Annotated[str, StringConstraints(max_length=64)]


def _iso_text(value: object) -> object:
    if not isinstance(value, str | date):
        raise ValueError("an ISO date (YYYY-MM-DD) is required")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_text)]


class OpenItemCreate(Input):
    """One row of the open-items CSV contract, as JSON."""

    invoice_number: Code
    customer_id: Code
    customer_name: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    issue_date: IsoDate
    due_date: IsoDate
    currency: Currency
    amount: AmountText
    open_amount: AmountText | None = None
    customer_iban: Iban | None = None
    payment_reference: Annotated[str, StringConstraints(max_length=100)] | None = None
    po_number: Annotated[str, StringConstraints(max_length=100)] | None = None


class OpenItemBulk(Input):
    items: Annotated[list[OpenItemCreate], Field(min_length=1, max_length=20000)]


class UpsertResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    customers_created: int


class OpenItemRead(BaseModel):
    id: int
    invoice_number: str
    customer_id: str
    customer_name: str
    issue_date: date
    due_date: date
    currency: str
    amount: str
    open_amount: str
    payment_reference: str | None
    version: int


class OpenItemPage(BaseModel):
    items: list[OpenItemRead]
    next_cursor: int | None


class BankAccountRead(BaseModel):
    id: int
    account: str
    currency: str


class BankAccountPage(BaseModel):
    items: list[BankAccountRead]


class FileStored(BaseModel):
    file_id: int
    created: bool
    kind: str
    format: str
    statements: int
    lines_new: int
    lines_known: int
    remittances: int


LineState = Literal["applied", "suggested", "unmatched", "new", "open"]


class BankLineRead(BaseModel):
    id: int
    bank_account: str
    statement_id: str
    bank_ref: str
    booking_date: date | None
    amount: str
    currency: str
    status: str
    counterparty_name: str | None
    remittance_text: str
    state: str
    confidence: float | None
    customer_id: str | None
    application_id: int | None


class BankLinePage(BaseModel):
    items: list[BankLineRead]
    next_cursor: int | None


class AllocationRead(BaseModel):
    kind: AllocationKind
    amount: str
    invoice_number: str | None
    reason_code: ReasonCode | None


class EvidenceRead(BaseModel):
    name: str
    detail: str
    weight: float | None = None


class ProposalRead(BaseModel):
    rank: int
    confidence: float
    customer_id: str | None
    model_version: str | None
    allocations: list[AllocationRead]
    evidence: list[EvidenceRead]


class ApplicationRead(BaseModel):
    id: int
    bank_line_id: int
    bank_ref: str
    reverses_id: int | None
    reversed_at: Timestamp | None
    reversed_by: int | None
    lettrage_code: str | None
    lettrage_date: date | None
    partial: bool
    created_at: Timestamp
    allocations: list[AllocationRead]


class BankLineDetail(BankLineRead):
    version: int
    proposals: list[ProposalRead]
    applications: list[ApplicationRead]


class AllocationIn(Input):
    kind: AllocationKind
    amount: PositiveAmount
    invoice_number: Code | None = None
    reason_code: ReasonCode | None = None


class ReviewApply(Input):
    """Confirm, change, split or write off: the allocation as the reviewer wants it."""

    version: Annotated[int, Field(ge=0)]
    action: Literal["confirm", "change", "split", "write_off"] = "confirm"
    allocations: Annotated[list[AllocationIn], Field(min_length=1, max_length=200)]
    customer_id: Code | None = None
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


class ReviewConfirmTop(Input):
    """Confirm the top proposal as it stands."""

    version: Annotated[int, Field(ge=0)]


class ReviewReject(Input):
    version: Annotated[int, Field(ge=0)]
    reason: Annotated[str, StringConstraints(max_length=1000)] = ""


class ReviewResult(BaseModel):
    bank_line_id: int
    version: int
    application_id: int | None
    lettrage_code: str | None


class ReverseRequest(Input):
    reason: Annotated[str, StringConstraints(max_length=1000)] = ""
    version: Annotated[int, Field(ge=0)] | None = None


class ReverseResult(BaseModel):
    application_id: int
    reversal_id: int


class DeductionRead(BaseModel):
    application_id: int
    bank_line_id: int
    kind: str
    amount: str
    currency: str
    invoice_number: str | None
    reason_code: str | None
    created_at: Timestamp


class DeductionPage(BaseModel):
    items: list[DeductionRead]
    next_cursor: int | None


class LettrageEntry(BaseModel):
    """One application or reversal, as the ERP letters its ledger (FEC ``EcritureLet``/``DateLet``)."""

    cursor: int
    event: Literal["lettrage", "delettrage"]
    application_id: int
    bank_line_id: int
    bank_ref: str
    EcritureLet: str | None
    DateLet: str | None
    partial: bool
    allocations: list[AllocationRead]


class LettragePage(BaseModel):
    items: list[LettrageEntry]
    next_cursor: int | None
