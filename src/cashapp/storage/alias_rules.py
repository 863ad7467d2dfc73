"""Learned payer aliases as stored rules (``alias_rule``): proposed by the learning loop,
accepted or rejected by a person, and the accepted ones read by every run.

One row per tenant, kind (``account`` | ``name``), normalised key and customer: a rule a
person rejected stays, so the same proposal never comes back. ``version`` counts the row's
changes (a refresh that sees it again, a decision); a decision names the version the person
saw and is one conditional UPDATE, so two people deciding at once cannot both win.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Text,
    UniqueConstraint,
    and_,
    delete,
    select,
    update,
)
from sqlmodel import Field, Session, SQLModel, col

from cashapp.storage.tables import CustomerRow
from cashapp.storage.tables.columns import id_field, ref_field, timestamp_field


class RuleStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class AliasRuleRow(SQLModel, table=True):
    """"Account DE89... (or payer name ACME HOLDING) pays for customer C042", and its fate."""

    __tablename__ = "alias_rule"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "key", "customer_id", name="uq_alias_rule"),
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customer.tenant_id", "customer.id"],
            name="fk_alias_rule_customer",
        ),
        CheckConstraint("kind IN ('account', 'name')", name="ck_alias_rule_kind"),
        CheckConstraint("status IN ('proposed', 'accepted', 'rejected')",
                        name="ck_alias_rule_status"),
        CheckConstraint("(status = 'proposed') = (decided_at IS NULL)",
                        name="ck_alias_rule_decided"),
        CheckConstraint("times_seen >= 0 AND version >= 0", name="ck_alias_rule_counts"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    kind: str = Field(max_length=10)
    value: str = Field(sa_type=Text)  # as first written on the bank lines
    key: str = Field(max_length=300)  # the matcher's lookup form (iban_key / name_key)
    customer_id: int = ref_field()
    times_seen: int = 0  # confirmed lines behind it, at the last refresh
    status: str = Field(default=RuleStatus.PROPOSED.value, max_length=10)
    version: int = 0
    proposed_at: datetime = timestamp_field()
    decided_at: datetime | None = timestamp_field(nullable=True)
    decided_by: str | None = Field(default=None, max_length=200)


@dataclass(frozen=True, slots=True)
class AliasRuleView:
    """A stored rule as read (plain values: usable after its session ends), with its
    customer as the ERP names it."""

    id: int
    kind: str
    value: str
    key: str
    customer_key: str
    times_seen: int
    status: str
    version: int
    proposed_at: datetime
    decided_at: datetime | None
    decided_by: str | None

    @classmethod
    def of(cls, row: AliasRuleRow, customer_key: str) -> AliasRuleView:
        assert row.id is not None
        return cls(id=row.id, kind=row.kind, value=row.value, key=row.key,
                   customer_key=customer_key, times_seen=row.times_seen, status=row.status,
                   version=row.version, proposed_at=row.proposed_at, decided_at=row.decided_at,
                   decided_by=row.decided_by)


@dataclass(frozen=True, slots=True)
class Proposed:
    """A proposal of the learning loop, to store."""

    kind: str
    value: str
    key: str
    customer_key: str
    times_seen: int


_WITH_CUSTOMER = and_(col(CustomerRow.id) == AliasRuleRow.customer_id,
                      col(CustomerRow.tenant_id) == AliasRuleRow.tenant_id)


def list_alias_rules(
    session: Session, tenant_id: int, *, status: RuleStatus | None = None,
    after_id: int | None = None, limit: int = 100,
) -> list[AliasRuleView]:
    """The tenant's rules in id order (cursor ``after_id``), of one status when given."""
    query = (select(AliasRuleRow, col(CustomerRow.customer_key))
             .join(CustomerRow, _WITH_CUSTOMER).where(col(AliasRuleRow.tenant_id) == tenant_id))
    if status is not None:
        query = query.where(col(AliasRuleRow.status) == status.value)
    if after_id is not None:
        query = query.where(col(AliasRuleRow.id) > after_id)
    rows = session.execute(query.order_by(col(AliasRuleRow.id)).limit(limit)).all()
    return [AliasRuleView.of(rule, key) for rule, key in rows]


def find_alias_rule(session: Session, tenant_id: int, rule_id: int) -> AliasRuleView | None:
    query = (select(AliasRuleRow, col(CustomerRow.customer_key))
             .join(CustomerRow, _WITH_CUSTOMER)
             .where(col(AliasRuleRow.tenant_id) == tenant_id, col(AliasRuleRow.id) == rule_id))
    found = session.execute(query).first()
    return None if found is None else AliasRuleView.of(found[0], found[1])


def list_accepted(session: Session, tenant_id: int) -> list[AliasRuleView]:
    """Every accepted rule of the tenant (what a run hands the matcher)."""
    return list_alias_rules(session, tenant_id, status=RuleStatus.ACCEPTED, limit=2**31 - 1)


@dataclass(frozen=True, slots=True)
class LearnedAliases:
    """Accepted rules as the matcher takes them: the value as written -> customer ids."""

    accounts: dict[str, tuple[str, ...]]
    names: dict[str, tuple[str, ...]]


def learned_aliases(session: Session, tenant_id: int) -> LearnedAliases:
    """The tenant's accepted rules, for ``LedgerView.learned_accounts`` / ``learned_names``.

    Keyed by the value as written, not by the stored key: the matcher's index turns each
    value into its lookup key with the very function the key was made with
    (``matcher.aliases.alias_key``), so a value always finds the lines the key stands for."""
    found: dict[str, dict[str, set[str]]] = {"account": defaultdict(set), "name": defaultdict(set)}
    for view in list_accepted(session, tenant_id):
        found[view.kind][view.value].add(view.customer_key)
    return LearnedAliases(
        accounts={v: tuple(sorted(c)) for v, c in found["account"].items()},
        names={v: tuple(sorted(c)) for v, c in found["name"].items()},
    )


def decide(
    session: Session, tenant_id: int, rule_id: int, *, status: RuleStatus, version_seen: int,
    actor: str, at: datetime,
) -> bool:
    """Mark a proposed rule accepted or rejected if it is still at ``version_seen``; whether
    it was (one conditional UPDATE: a concurrent decision makes the other one miss)."""
    decided = session.execute(
        update(AliasRuleRow)
        .where(col(AliasRuleRow.tenant_id) == tenant_id, col(AliasRuleRow.id) == rule_id,
               col(AliasRuleRow.status) == RuleStatus.PROPOSED.value,
               col(AliasRuleRow.version) == version_seen)
        .values(status=status.value, decided_at=at, decided_by=actor,
                version=col(AliasRuleRow.version) + 1)
        .returning(col(AliasRuleRow.id))
        .execution_options(synchronize_session=False)
    ).first()
    return decided is not None


@dataclass(frozen=True, slots=True)
class RefreshCounts:
    new: int = 0
    updated: int = 0
    withdrawn: int = 0  # proposals the confirmed lines no longer support


def store_proposals(
    session: Session, tenant_id: int, proposals: Sequence[Proposed], *, at: datetime
) -> RefreshCounts:
    """Bring the tenant's proposed rules to ``proposals``: new ones added, known proposals
    given their new count, proposals no longer made withdrawn (deleted: nobody decided
    them). Accepted and rejected rules are left as they are, whatever ``proposals`` says."""
    customers = dict(session.execute(
        select(col(CustomerRow.customer_key), col(CustomerRow.id))
        .where(col(CustomerRow.tenant_id) == tenant_id,
               col(CustomerRow.customer_key).in_(sorted({p.customer_key for p in proposals})))
    ).all())
    stored = {(r.kind, r.key, r.customer_id): r for r in session.execute(
        select(AliasRuleRow).where(col(AliasRuleRow.tenant_id) == tenant_id)).scalars()}
    new = updated = 0
    wanted: set[tuple[str, str, int]] = set()
    for proposal in proposals:
        customer_id = customers.get(proposal.customer_key)
        if customer_id is None:
            continue  # a customer the ledger does not know (cannot happen from the labels)
        ident = (proposal.kind, proposal.key, customer_id)
        wanted.add(ident)
        row = stored.get(ident)
        if row is None:
            session.add(AliasRuleRow(tenant_id=tenant_id, kind=proposal.kind, value=proposal.value,
                                     key=proposal.key, customer_id=customer_id,
                                     times_seen=proposal.times_seen, proposed_at=at))
            new += 1
        elif row.status == RuleStatus.PROPOSED and row.times_seen != proposal.times_seen:
            row.times_seen = proposal.times_seen
            row.version += 1
            session.add(row)
            updated += 1
    gone = [r.id for ident, r in stored.items()
            if r.status == RuleStatus.PROPOSED and ident not in wanted]
    if gone:
        session.execute(delete(AliasRuleRow).where(col(AliasRuleRow.tenant_id) == tenant_id,
                                                   col(AliasRuleRow.id).in_(gone)))
    session.flush()
    return RefreshCounts(new=new, updated=updated, withdrawn=len(gone))
