"""Talking to the outside: the outbox (events written with the money), idempotency keys for
the ERP API, and stored remittance advices.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, PrimaryKeyConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cashapp.storage.tables.columns import id_field, ref_field, timestamp_field


class OutboxRow(SQLModel, table=True):
    """An event for the ERP, committed in the same transaction as the money it reports.

    A relay delivers it after commit, keyed by ``event_id`` (the ERP dedupes on it).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_outbox_event_id"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_outbox_tenant"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    event_id: str = Field(max_length=200)
    kind: str = Field(max_length=100)
    payload: str = Field(sa_type=Text)  # JSON
    created_at: datetime = timestamp_field()
    delivered_at: datetime | None = timestamp_field(nullable=True)
    attempts: int = 0


class IdempotencyKeyRow(SQLModel, table=True):
    """A mutating API call's key (Stripe style): the request fingerprint and the stored answer."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "endpoint", "key", name="pk_idempotency_key"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_idempotency_key_tenant"),
    )

    tenant_id: int = ref_field()
    endpoint: str = Field(max_length=200)
    key: str = Field(max_length=255)
    request_sha256: str = Field(max_length=64)
    locked_at: datetime | None = timestamp_field(nullable=True)
    response_code: int | None = None
    response_body: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = timestamp_field()


class RemittanceRow(SQLModel, table=True):
    """One remittance advice read from a stored file, kept whole as JSON for the matcher."""

    __tablename__ = "remittance"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement_file_id", "position", name="uq_remittance"),
        ForeignKeyConstraint(
            ["tenant_id", "statement_file_id"],
            ["statement_file.tenant_id", "statement_file.id"],
            name="fk_remittance_file",
        ),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    statement_file_id: int = ref_field(index=True)
    position: int = 0
    format: str = Field(max_length=64)
    payer: str | None = Field(default=None, sa_type=Text)
    payment_id: str | None = Field(default=None, max_length=200)
    currency: str | None = Field(default=None, max_length=3)
    total: str | None = Field(default=None, max_length=40)  # exact decimal text
    payload: str = Field(sa_type=Text)  # JSON of the whole advice
