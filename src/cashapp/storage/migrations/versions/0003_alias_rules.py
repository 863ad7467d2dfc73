"""Learned payer aliases: the ``alias_rule`` table (proposed, accepted, rejected rules).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alias_rule",
        sa.Column("id", _ID, nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("proposed_at", _TS, nullable=False),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("kind IN ('account', 'name')", name="ck_alias_rule_kind"),
        sa.CheckConstraint(
            "status IN ('proposed', 'accepted', 'rejected')", name="ck_alias_rule_status"
        ),
        sa.CheckConstraint(
            "(status = 'proposed') = (decided_at IS NULL)", name="ck_alias_rule_decided"
        ),
        sa.CheckConstraint("times_seen >= 0 AND version >= 0", name="ck_alias_rule_counts"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customer.tenant_id", "customer.id"],
            name="fk_alias_rule_customer",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "kind", "key", "customer_id", name="uq_alias_rule"),
    )


def downgrade() -> None:
    op.drop_table("alias_rule")
