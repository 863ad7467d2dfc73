"""The ledger: decisions, applications (headers), allocations (lines) and review suggestions.

Allocations are append-only and an application is undone by a reversing application, never
deleted (R9). The partial unique index ``uq_application_live`` keeps one live application
per bank line (R1); ``decision_id NOT NULL`` makes every application auditable (R8). The
triggers that refuse UPDATE/DELETE live in the migrations.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKeyConstraint,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from cashapp.domain.reasons import ReasonCode
from cashapp.storage.tables.columns import id_field, money_field, ref_field, timestamp_field

REASON_CODES_SQL = ", ".join(f"'{code.value}'" for code in ReasonCode)
LIVE_APPLICATION = "reversed_at IS NULL AND reverses_id IS NULL"


class DecisionRow(SQLModel, table=True):
    """Who or what decided an application (or its reversal): actor, model, score, evidence."""

    __tablename__ = "decision"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_decision_tenant_id"),
        ForeignKeyConstraint(
            ["tenant_id", "bank_line_id"],
            ["bank_line.tenant_id", "bank_line.id"],
            name="fk_decision_bank_line",
        ),
        CheckConstraint("actor_type IN ('user', 'model', 'rule')", name="ck_decision_actor_type"),
        CheckConstraint("kind IN ('auto', 'confirmed', 'reversal')", name="ck_decision_kind"),
        CheckConstraint("length(evidence_sha256) = 64", name="ck_decision_evidence_sha256"),
        CheckConstraint(
            "actor_type = 'user' OR model_version IS NOT NULL", name="ck_decision_model_version"
        ),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    bank_line_id: int = ref_field(index=True)
    kind: str = Field(max_length=10)
    actor_type: str = Field(max_length=10)
    actor_id: str = Field(max_length=200)
    model_name: str | None = Field(default=None, max_length=200)
    model_version: str | None = Field(default=None, max_length=200)
    score: float | None = Field(default=None, sa_type=Float)  # a probability, not money
    threshold: float | None = Field(default=None, sa_type=Float)
    evidence: str = Field(default="[]", sa_type=Text)  # JSON
    evidence_sha256: str = Field(max_length=64)
    created_at: datetime = timestamp_field()


class ApplicationRow(SQLModel, table=True):
    """The application of one bank line (header), or the reversal of one (``reverses_id``)."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_application_tenant_id"),
        UniqueConstraint("tenant_id", "id", "currency", name="uq_application_currency"),
        UniqueConstraint("tenant_id", "bank_line_id", "id", name="uq_application_line_id"),
        UniqueConstraint("tenant_id", "reverses_id", name="uq_application_reverses"),
        UniqueConstraint("tenant_id", "lettrage_code", name="uq_application_lettrage_code"),
        ForeignKeyConstraint(
            ["tenant_id", "bank_line_id", "currency"],
            ["bank_line.tenant_id", "bank_line.id", "bank_line.currency"],
            name="fk_application_bank_line",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "decision_id"],
            ["decision.tenant_id", "decision.id"],
            name="fk_application_decision",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "bank_line_id", "reverses_id"],
            ["application.tenant_id", "application.bank_line_id", "application.id"],
            name="fk_application_reverses",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "reversed_by"],
            ["application.tenant_id", "application.id"],
            name="fk_application_reversed_by",
        ),
        CheckConstraint(
            "(reversed_at IS NULL) = (reversed_by IS NULL)", name="ck_application_reversed_pair"
        ),
        CheckConstraint(
            "reverses_id IS NULL OR reversed_at IS NULL", name="ck_application_reversal_final"
        ),
        CheckConstraint(
            "(reverses_id IS NULL) = (lettrage_code IS NOT NULL)",
            name="ck_application_lettrage_code",
        ),
        Index(
            "uq_application_live",
            "tenant_id",
            "bank_line_id",
            unique=True,
            sqlite_where=text(LIVE_APPLICATION),
            postgresql_where=text(LIVE_APPLICATION),
        ),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    bank_line_id: int = ref_field()
    currency: str = Field(max_length=3)
    decision_id: int = ref_field()
    reverses_id: int | None = ref_field(nullable=True)
    reversed_at: datetime | None = timestamp_field(nullable=True)
    reversed_by: int | None = ref_field(nullable=True)
    lettrage_code: str | None = Field(default=None, max_length=12)
    lettrage_date: date | None = None
    lettrage_partial: bool = False  # an invoice it touches is still partly open
    created_at: datetime = timestamp_field()


class AllocationRow(SQLModel, table=True):
    """One line of an application: cash to an invoice or on account, or a deduction/write-off.

    Cash side: ``invoice`` + ``on_account`` rows sum to the bank line's amount (R2).
    Invoice side: ``invoice`` + ``deduction`` + ``write_off`` rows reduce the invoice's open
    amount. Append-only.
    """

    __tablename__ = "allocation"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "application_id", "currency"],
            ["application.tenant_id", "application.id", "application.currency"],
            name="fk_allocation_application",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id", "currency"],
            ["open_item.tenant_id", "open_item.id", "open_item.currency"],
            name="fk_allocation_invoice",
        ),
        CheckConstraint(
            "kind IN ('invoice', 'deduction', 'write_off', 'on_account')",
            name="ck_allocation_kind",
        ),
        CheckConstraint("amount_minor > 0", name="ck_allocation_amount_positive"),
        CheckConstraint(
            "(kind = 'on_account') = (invoice_id IS NULL)", name="ck_allocation_invoice"
        ),
        CheckConstraint(
            "(kind IN ('deduction', 'write_off')) = (reason_code IS NOT NULL)",
            name="ck_allocation_reason",
        ),
        CheckConstraint(
            f"reason_code IS NULL OR reason_code IN ({REASON_CODES_SQL})",
            name="ck_allocation_reason_code",
        ),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    application_id: int = ref_field(index=True)
    currency: str = Field(max_length=3)
    kind: str = Field(max_length=12)
    invoice_id: int | None = ref_field(nullable=True, index=True)
    amount_minor: int = money_field()
    reason_code: str | None = Field(default=None, max_length=20)


class SuggestionRow(SQLModel, table=True):
    """The latest matcher outcome for a line waiting in review: ranked proposals with evidence.

    Not money: replaced on every run, ignored once the line has a live application.
    """

    __tablename__ = "suggestion"
    __table_args__ = (
        UniqueConstraint("tenant_id", "bank_line_id", name="uq_suggestion_line"),
        ForeignKeyConstraint(
            ["tenant_id", "bank_line_id"],
            ["bank_line.tenant_id", "bank_line.id"],
            name="fk_suggestion_bank_line",
        ),
        CheckConstraint("decision IN ('suggested', 'unmatched')", name="ck_suggestion_decision"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    bank_line_id: int = ref_field()
    decision: str = Field(max_length=10)
    confidence: float | None = Field(default=None, sa_type=Float)
    model_version: str | None = Field(default=None, max_length=200)
    proposals: str = Field(default="[]", sa_type=Text)  # JSON: ranked proposals with evidence
    created_at: datetime = timestamp_field()
