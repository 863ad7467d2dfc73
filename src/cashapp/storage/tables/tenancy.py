"""Tenants, their customers (with known bank accounts) and open items (invoices)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from cashapp.storage.tables.columns import id_field, money_field, ref_field, timestamp_field


class TenantRow(SQLModel, table=True):
    """A company using cashapp. Every other row belongs to exactly one."""

    __tablename__ = "tenant"
    __table_args__ = (UniqueConstraint("name", name="uq_tenant_name"),)

    id: int | None = id_field()
    name: str = Field(max_length=200)
    # The last lettrage code number handed out (codes are per tenant, FEC ``EcritureLet``).
    lettrage_seq: int = Field(default=0)
    created_at: datetime = timestamp_field()


class CustomerRow(SQLModel, table=True):
    """A customer, keyed by the ERP's customer id within the tenant."""

    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_customer_tenant_id"),
        UniqueConstraint("tenant_id", "customer_key", name="uq_customer_key"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_customer_tenant"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    customer_key: str = Field(max_length=100)
    name: str = Field(max_length=300)


class CustomerAccountRow(SQLModel, table=True):
    """A bank account (IBAN or number) the customer is known to pay from."""

    __tablename__ = "customer_account"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id", "account", name="uq_customer_account"),
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customer.tenant_id", "customer.id"],
            name="fk_customer_account_customer",
        ),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    customer_id: int = ref_field()
    account: str = Field(max_length=64, index=True)


class OpenItemRow(SQLModel, table=True):
    """An invoice (or credit note, amount negative) and what is still open on it.

    ``open_minor`` is the ledger's figure: imported once, then moved only by allocations and
    their reversals (relative UPDATEs). ``baseline_open_minor`` is what the ERP said was open
    when the item was imported, so the audit can recompute ``open = baseline - applied``.
    """

    __tablename__ = "open_item"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_open_item_tenant_id"),
        UniqueConstraint("tenant_id", "id", "currency", name="uq_open_item_currency"),
        UniqueConstraint("tenant_id", "invoice_number", name="uq_open_item_number"),
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customer.tenant_id", "customer.id"],
            name="fk_open_item_customer",
        ),
        CheckConstraint(
            "(amount_minor >= 0 AND open_minor >= 0 AND open_minor <= amount_minor)"
            " OR (amount_minor < 0 AND open_minor <= 0 AND open_minor >= amount_minor)",
            name="ck_open_item_open_within_amount",
        ),
        CheckConstraint("length(currency) = 3", name="ck_open_item_currency"),
        CheckConstraint("version >= 0", name="ck_open_item_version"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    customer_id: int = ref_field()
    invoice_number: str = Field(max_length=100)
    issue_date: date
    due_date: date
    currency: str = Field(max_length=3)
    amount_minor: int = money_field()
    open_minor: int = money_field()
    baseline_open_minor: int = money_field()
    payment_reference: str | None = Field(default=None, max_length=100, index=True)
    po_number: str | None = Field(default=None, max_length=100)
    version: int = Field(default=0)
