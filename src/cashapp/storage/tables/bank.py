"""Bank statement files, bank accounts, statements and their bank lines.

A file is stored once per tenant (by content hash, R4); a bank transaction is stored once per
account (by ``bank_ref``, R5) however many files report it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cashapp.storage.tables.columns import id_field, money_field, ref_field, timestamp_field


class StatementFileRow(SQLModel, table=True):
    """One received file (statement or remittance), identified by the SHA-256 of its bytes."""

    __tablename__ = "statement_file"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_statement_file_tenant_id"),
        UniqueConstraint("tenant_id", "sha256", name="uq_statement_file_sha256"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_statement_file_tenant"),
        CheckConstraint("length(sha256) = 64", name="ck_statement_file_sha256"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    sha256: str = Field(max_length=64)
    format: str = Field(max_length=64)
    filename: str = Field(max_length=500)
    size_bytes: int = Field(default=0)
    received_at: datetime = timestamp_field()


class BankAccountRow(SQLModel, table=True):
    """One of the tenant's own accounts (IBAN or number) in one currency."""

    __tablename__ = "bank_account"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_bank_account_tenant_id"),
        UniqueConstraint("tenant_id", "account", "currency", name="uq_bank_account"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_bank_account_tenant"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    account: str = Field(max_length=64)
    currency: str = Field(max_length=3)


class StatementRow(SQLModel, table=True):
    """One statement (or intraday report) of one account, as read from one file."""

    __tablename__ = "statement"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_statement_tenant_id"),
        ForeignKeyConstraint(
            ["tenant_id", "statement_file_id"],
            ["statement_file.tenant_id", "statement_file.id"],
            name="fk_statement_file",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "bank_account_id"],
            ["bank_account.tenant_id", "bank_account.id"],
            name="fk_statement_account",
        ),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    statement_file_id: int = ref_field(index=True)
    bank_account_id: int = ref_field()
    position: int = Field(default=0)  # index of the statement within its file
    statement_key: str = Field(max_length=200)  # the bank's statement id
    currency: str = Field(max_length=3)
    opening_balance_minor: int | None = money_field(nullable=True)
    closing_balance_minor: int | None = money_field(nullable=True)
    opening_date: date | None = None
    closing_date: date | None = None
    sequence: str | None = Field(default=None, max_length=100)
    balanced: bool | None = None  # opening + booked movements == closing; None when unknown
    warnings: str = Field(default="[]", sa_type=Text)  # JSON list of strings


class BankLineRow(SQLModel, table=True):
    """One bank transaction (``cashapp.domain.statements.BankLine``), stored once per account.

    Amounts are signed minor units (credit positive). Structured references, referred
    documents and format-specific extras are JSON text, kept whole.
    """

    __tablename__ = "bank_line"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_bank_line_tenant_id"),
        UniqueConstraint("tenant_id", "id", "currency", name="uq_bank_line_currency"),
        UniqueConstraint("tenant_id", "bank_account_id", "bank_ref", name="uq_bank_line_ref"),
        ForeignKeyConstraint(
            ["tenant_id", "bank_account_id"],
            ["bank_account.tenant_id", "bank_account.id"],
            name="fk_bank_line_account",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "statement_id"],
            ["statement.tenant_id", "statement.id"],
            name="fk_bank_line_statement",
        ),
        CheckConstraint("status IN ('booked', 'pending', 'info')", name="ck_bank_line_status"),
        CheckConstraint("length(currency) = 3", name="ck_bank_line_currency"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    bank_account_id: int = ref_field()
    statement_id: int = ref_field(index=True)
    bank_ref: str = Field(max_length=200)
    entry: int = 0
    amount_minor: int = money_field()
    currency: str = Field(max_length=3)
    booking_date: date | None = None
    value_date: date | None = None
    status: str = Field(default="booked", max_length=10)
    reversal: bool = False
    counterparty_name: str | None = Field(default=None, sa_type=Text)
    counterparty_account: str | None = Field(default=None, max_length=64)
    counterparty_bic: str | None = Field(default=None, max_length=11)
    ultimate_party: str | None = Field(default=None, sa_type=Text)
    end_to_end_id: str | None = Field(default=None, max_length=200)
    mandate_id: str | None = Field(default=None, max_length=200)
    remittance_text: str = Field(default="", sa_type=Text)
    structured_references: str = Field(default="[]", sa_type=Text)  # JSON list
    referred_documents: str = Field(default="[]", sa_type=Text)  # JSON list of objects
    bank_transaction_code: str | None = Field(default=None, max_length=100)
    instructed_amount: str | None = Field(default=None, max_length=40)  # exact decimal text
    instructed_currency: str | None = Field(default=None, max_length=3)
    charges: str | None = Field(default=None, max_length=40)  # exact decimal text
    entry_amount_minor: int | None = money_field(nullable=True)
    additional_info: str | None = Field(default=None, sa_type=Text)
    extra: str = Field(default="{}", sa_type=Text)  # JSON object
