"""Read models of the API and the review queue, and the review audit trail (``review_action``).

A bank line's *state*: ``applied`` (a live application), ``suggested`` (a proposal waits in
review), ``unmatched`` (the matcher found nothing), ``new`` (not matched yet). Its *version*
counts what happened to it (applications, reversals, review actions): a reviewer's action
carries the version it saw, and a different current version means someone acted first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Text, and_, func, or_, select
from sqlmodel import Field, Session, SQLModel, col

from cashapp.core.clock import utc_now
from cashapp.storage.tables import (
    AllocationRow,
    ApplicationRow,
    BankAccountRow,
    BankLineRow,
    CustomerRow,
    OpenItemRow,
    StatementRow,
    SuggestionRow,
)
from cashapp.storage.tables.columns import id_field, ref_field, timestamp_field

LIVE = and_(col(ApplicationRow.reversed_at).is_(None), col(ApplicationRow.reverses_id).is_(None))


class ReviewActionRow(SQLModel, table=True):
    """One thing a person did in review (confirm, change, split, write off, reject, reverse).

    The audit trail of the queue and the labels of the learning loop.
    """

    __tablename__ = "review_action"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "bank_line_id"],
            ["bank_line.tenant_id", "bank_line.id"],
            name="fk_review_action_bank_line",
        ),
        CheckConstraint(
            "action IN ('confirm', 'change', 'split', 'write_off', 'reject', 'reverse')",
            name="ck_review_action_action",
        ),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    bank_line_id: int = ref_field(index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=20)
    version_seen: int = 0
    application_id: int | None = ref_field(nullable=True)
    detail: str = Field(default="{}", sa_type=Text)  # JSON
    created_at: datetime = timestamp_field()


def add_review_action(
    session: Session, *, tenant_id: int, bank_line_id: int, actor: str, action: str,
    version_seen: int, application_id: int | None = None, detail: dict[str, Any] | None = None,
) -> None:
    session.add(ReviewActionRow(
        tenant_id=tenant_id, bank_line_id=bank_line_id, actor=actor, action=action,
        version_seen=version_seen, application_id=application_id,
        detail=json.dumps(detail or {}, sort_keys=True, default=str), created_at=utc_now(),
    ))
    session.flush()


def list_review_actions(session: Session, tenant_id: int, bank_line_id: int) -> list[ReviewActionRow]:
    query = select(ReviewActionRow).where(
        col(ReviewActionRow.tenant_id) == tenant_id, col(ReviewActionRow.bank_line_id) == bank_line_id
    ).order_by(col(ReviewActionRow.id))
    return list(session.execute(query).scalars())


def line_version(session: Session, tenant_id: int, bank_line_id: int) -> int:
    apps = session.execute(select(func.count()).select_from(ApplicationRow).where(
        col(ApplicationRow.tenant_id) == tenant_id, col(ApplicationRow.bank_line_id) == bank_line_id
    )).scalar_one()
    acts = session.execute(select(func.count()).select_from(ReviewActionRow).where(
        col(ReviewActionRow.tenant_id) == tenant_id, col(ReviewActionRow.bank_line_id) == bank_line_id,
        col(ReviewActionRow.action) == "reject",
    )).scalar_one()
    return int(apps) + int(acts)


# --- bank lines --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineSummary:
    line: BankLineRow
    account: str
    statement_key: str
    state: str
    confidence: float | None
    live_application_id: int | None
    customer_key: str | None


_STATE_SQL = {
    "applied": col(ApplicationRow.id).is_not(None),
    "suggested": and_(col(ApplicationRow.id).is_(None), col(SuggestionRow.decision) == "suggested"),
    "unmatched": and_(col(ApplicationRow.id).is_(None), col(SuggestionRow.decision) == "unmatched"),
    "new": and_(col(ApplicationRow.id).is_(None), col(SuggestionRow.id).is_(None)),
    "open": col(ApplicationRow.id).is_(None),
}
STATES = tuple(_STATE_SQL)


def _state(app_id: int | None, decision: str | None) -> str:
    if app_id is not None:
        return "applied"
    return decision or "new"


def list_lines(
    session: Session,
    tenant_id: int,
    *,
    state: str | None = None,
    bank_account_id: int | None = None,
    min_amount_minor: int | None = None,
    max_amount_minor: int | None = None,
    customer_key: str | None = None,
    reason: str | None = None,
    text: str | None = None,
    sort: str = "id",
    after_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    credits_only: bool = False,
) -> list[LineSummary]:
    """Bank lines with their state; ``sort`` is ``id`` (cursor ``after_id``), ``amount`` or ``age``."""
    query = (
        select(BankLineRow, col(BankAccountRow.account), col(StatementRow.statement_key),
               col(ApplicationRow.id), col(SuggestionRow.decision), col(SuggestionRow.confidence),
               col(SuggestionRow.proposals))
        .join(BankAccountRow, and_(col(BankAccountRow.id) == BankLineRow.bank_account_id,
                                   col(BankAccountRow.tenant_id) == BankLineRow.tenant_id))
        .join(StatementRow, and_(col(StatementRow.id) == BankLineRow.statement_id,
                                 col(StatementRow.tenant_id) == BankLineRow.tenant_id))
        .outerjoin(ApplicationRow, and_(col(ApplicationRow.bank_line_id) == BankLineRow.id,
                                        col(ApplicationRow.tenant_id) == BankLineRow.tenant_id, LIVE))
        .outerjoin(SuggestionRow, and_(col(SuggestionRow.bank_line_id) == BankLineRow.id,
                                       col(SuggestionRow.tenant_id) == BankLineRow.tenant_id))
        .where(col(BankLineRow.tenant_id) == tenant_id)
    )
    if state:
        query = query.where(_STATE_SQL[state])
    if credits_only:
        query = query.where(col(BankLineRow.amount_minor) > 0, col(BankLineRow.status) == "booked")
    if bank_account_id is not None:
        query = query.where(col(BankLineRow.bank_account_id) == bank_account_id)
    if min_amount_minor is not None:
        query = query.where(col(BankLineRow.amount_minor) >= min_amount_minor)
    if max_amount_minor is not None:
        query = query.where(col(BankLineRow.amount_minor) <= max_amount_minor)
    if customer_key:
        query = query.where(col(SuggestionRow.proposals).contains(f'"customer_id":"{customer_key}"'))
    if reason:  # the proposals name this deduction / write-off reason
        query = query.where(col(SuggestionRow.proposals).contains(f'"reason_code":"{reason}"'))
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(or_(func.lower(col(BankLineRow.counterparty_name)).like(pattern),
                                func.lower(col(BankLineRow.remittance_text)).like(pattern),
                                func.lower(col(BankLineRow.bank_ref)).like(pattern)))
    if sort == "amount":
        query = query.order_by(col(BankLineRow.amount_minor).desc(), col(BankLineRow.id))
    elif sort == "age":
        query = query.order_by(col(BankLineRow.booking_date).asc(), col(BankLineRow.id))
    else:
        if after_id is not None:
            query = query.where(col(BankLineRow.id) > after_id)
        query = query.order_by(col(BankLineRow.id))
    rows = session.execute(query.offset(offset).limit(limit)).all()
    result = []
    for line, account, statement_key, app_id, decision, confidence, proposals in rows:
        customer = None
        if proposals:
            first = (json.loads(proposals) or [{}])[0]
            customer = first.get("customer_id") if isinstance(first, dict) else None
        result.append(LineSummary(line=line, account=account, statement_key=statement_key,
                                  state=_state(app_id, decision), confidence=confidence,
                                  live_application_id=app_id, customer_key=customer))
    return result


def count_lines(session: Session, tenant_id: int, *, state: str) -> int:
    query = (
        select(func.count()).select_from(BankLineRow)
        .outerjoin(ApplicationRow, and_(col(ApplicationRow.bank_line_id) == BankLineRow.id,
                                        col(ApplicationRow.tenant_id) == BankLineRow.tenant_id, LIVE))
        .outerjoin(SuggestionRow, and_(col(SuggestionRow.bank_line_id) == BankLineRow.id,
                                       col(SuggestionRow.tenant_id) == BankLineRow.tenant_id))
        .where(col(BankLineRow.tenant_id) == tenant_id, _STATE_SQL[state],
               col(BankLineRow.amount_minor) > 0, col(BankLineRow.status) == "booked")
    )
    return int(session.execute(query).scalar_one())


def get_line_summary(session: Session, tenant_id: int, bank_line_id: int) -> LineSummary | None:
    query_rows = list_lines(session, tenant_id, after_id=bank_line_id - 1, limit=1)
    return query_rows[0] if query_rows and query_rows[0].line.id == bank_line_id else None


def find_suggestion(session: Session, tenant_id: int, bank_line_id: int) -> SuggestionRow | None:
    return session.execute(select(SuggestionRow).where(
        col(SuggestionRow.tenant_id) == tenant_id, col(SuggestionRow.bank_line_id) == bank_line_id
    )).scalar_one_or_none()


def mark_suggestion_rejected(session: Session, tenant_id: int, bank_line_id: int) -> None:
    """A reviewer rejected every proposal: the line waits as unmatched (the audit keeps them)."""
    row = find_suggestion(session, tenant_id, bank_line_id)
    if row is not None:
        row.decision = "unmatched"
        row.confidence = None
        session.add(row)
        session.flush()


# --- applications, allocations, lettrage -----------------------------------------------


@dataclass(frozen=True, slots=True)
class AllocationView:
    kind: str
    amount_minor: int
    invoice_number: str | None
    reason_code: str | None


@dataclass(frozen=True, slots=True)
class ApplicationView:
    application: ApplicationRow
    bank_ref: str
    allocations: list[AllocationView]


def list_applications(
    session: Session, tenant_id: int, *, bank_line_id: int | None = None,
    application_id: int | None = None, after_id: int | None = None, limit: int = 100,
    application_ids: list[int] | None = None,
) -> list[ApplicationView]:
    query = (select(ApplicationRow, col(BankLineRow.bank_ref))
             .join(BankLineRow, and_(col(BankLineRow.id) == ApplicationRow.bank_line_id,
                                     col(BankLineRow.tenant_id) == ApplicationRow.tenant_id))
             .where(col(ApplicationRow.tenant_id) == tenant_id))
    if bank_line_id is not None:
        query = query.where(col(ApplicationRow.bank_line_id) == bank_line_id)
    if application_id is not None:
        query = query.where(col(ApplicationRow.id) == application_id)
    if after_id is not None:
        query = query.where(col(ApplicationRow.id) > after_id)
    if application_ids is not None:
        query = query.where(col(ApplicationRow.id).in_(application_ids))
    apps = session.execute(query.order_by(col(ApplicationRow.id)).limit(limit)).all()
    ids = [a.id for a, _ in apps]
    allocations: dict[int, list[AllocationView]] = {i: [] for i in ids if i is not None}
    if ids:
        rows = session.execute(
            select(AllocationRow, col(OpenItemRow.invoice_number))
            .outerjoin(OpenItemRow, and_(col(OpenItemRow.id) == AllocationRow.invoice_id,
                                         col(OpenItemRow.tenant_id) == AllocationRow.tenant_id))
            .where(col(AllocationRow.tenant_id) == tenant_id, col(AllocationRow.application_id).in_(ids))
            .order_by(col(AllocationRow.id))
        ).all()
        for allocation, number in rows:
            allocations[allocation.application_id].append(AllocationView(
                kind=allocation.kind, amount_minor=allocation.amount_minor,
                invoice_number=number, reason_code=allocation.reason_code))
    return [ApplicationView(application=a, bank_ref=ref, allocations=allocations.get(a.id or 0, []))
            for a, ref in apps]


@dataclass(frozen=True, slots=True)
class DeductionView:
    application_id: int
    bank_line_id: int
    kind: str
    amount_minor: int
    currency: str
    invoice_number: str | None
    reason_code: str | None
    created_at: datetime


def list_deductions(session: Session, tenant_id: int, *, after_id: int | None = None, limit: int = 100) -> list[DeductionView]:
    query = (select(AllocationRow, ApplicationRow, col(OpenItemRow.invoice_number))
             .join(ApplicationRow, and_(col(ApplicationRow.id) == AllocationRow.application_id,
                                        col(ApplicationRow.tenant_id) == AllocationRow.tenant_id, LIVE))
             .outerjoin(OpenItemRow, and_(col(OpenItemRow.id) == AllocationRow.invoice_id,
                                          col(OpenItemRow.tenant_id) == AllocationRow.tenant_id))
             .where(col(AllocationRow.tenant_id) == tenant_id,
                    col(AllocationRow.kind).in_(("deduction", "write_off"))))
    if after_id is not None:
        query = query.where(col(AllocationRow.application_id) > after_id)
    rows = session.execute(query.order_by(col(AllocationRow.id)).limit(limit)).all()
    return [DeductionView(application_id=app.id or 0, bank_line_id=app.bank_line_id, kind=al.kind,
                          amount_minor=al.amount_minor, currency=al.currency, invoice_number=number,
                          reason_code=al.reason_code, created_at=app.created_at)
            for al, app, number in rows]


# --- open items --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenItemView:
    item: OpenItemRow
    customer_key: str
    customer_name: str


def search_open_items(
    session: Session, tenant_id: int, *, customer_key: str | None = None, text: str | None = None,
    open_only: bool = True, after_id: int | None = None, limit: int = 100,
) -> list[OpenItemView]:
    query = (select(OpenItemRow, col(CustomerRow.customer_key), col(CustomerRow.name))
             .join(CustomerRow, and_(col(CustomerRow.id) == OpenItemRow.customer_id,
                                     col(CustomerRow.tenant_id) == OpenItemRow.tenant_id))
             .where(col(OpenItemRow.tenant_id) == tenant_id))
    if customer_key:
        query = query.where(col(CustomerRow.customer_key) == customer_key)
    if open_only:
        query = query.where(col(OpenItemRow.open_minor) != 0)
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(col(OpenItemRow.invoice_number).like(pattern),
                                col(OpenItemRow.payment_reference).like(pattern),
                                col(CustomerRow.name).like(pattern)))
    if after_id is not None:
        query = query.where(col(OpenItemRow.id) > after_id)
    rows = session.execute(query.order_by(col(OpenItemRow.id)).limit(limit)).all()
    return [OpenItemView(item=i, customer_key=k, customer_name=n) for i, k, n in rows]


def list_bank_accounts(session: Session, tenant_id: int) -> list[BankAccountRow]:
    return list(session.execute(select(BankAccountRow).where(
        col(BankAccountRow.tenant_id) == tenant_id).order_by(col(BankAccountRow.id))).scalars())


# --- dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DailyApplied:
    account: str
    currency: str
    day: date
    count: int
    amount_minor: int


def applied_per_account_and_day(session: Session, tenant_id: int, *, limit: int = 60) -> list[DailyApplied]:
    day = func.date(col(ApplicationRow.created_at))
    query = (select(col(BankAccountRow.account), col(BankLineRow.currency), day, func.count(),
                    func.sum(col(BankLineRow.amount_minor)))
             .join(BankLineRow, and_(col(BankLineRow.id) == ApplicationRow.bank_line_id,
                                     col(BankLineRow.tenant_id) == ApplicationRow.tenant_id))
             .join(BankAccountRow, col(BankAccountRow.id) == BankLineRow.bank_account_id)
             .where(col(ApplicationRow.tenant_id) == tenant_id, LIVE)
             .group_by(col(BankAccountRow.account), col(BankLineRow.currency), day)
             .order_by(day.desc()).limit(limit))
    out = []
    for account, currency, d, count, amount in session.execute(query).all():
        out.append(DailyApplied(account=account, currency=currency,
                                day=d if isinstance(d, date) else date.fromisoformat(str(d)),
                                count=int(count), amount_minor=int(amount or 0)))
    return out


def decision_counts(session: Session, tenant_id: int) -> dict[str, int]:
    """Live applications by decision kind (``auto`` / ``confirmed``)."""
    from cashapp.storage.tables import DecisionRow

    query = (select(col(DecisionRow.kind), func.count())
             .join(ApplicationRow, and_(col(ApplicationRow.decision_id) == DecisionRow.id,
                                        col(ApplicationRow.tenant_id) == DecisionRow.tenant_id, LIVE))
             .where(col(DecisionRow.tenant_id) == tenant_id).group_by(col(DecisionRow.kind)))
    return {kind: int(n) for kind, n in session.execute(query).all()}


def oldest_open_booking_date(session: Session, tenant_id: int) -> date | None:
    query = (select(func.min(col(BankLineRow.booking_date)))
             .outerjoin(ApplicationRow, and_(col(ApplicationRow.bank_line_id) == BankLineRow.id,
                                             col(ApplicationRow.tenant_id) == BankLineRow.tenant_id, LIVE))
             .where(col(BankLineRow.tenant_id) == tenant_id, col(ApplicationRow.id).is_(None),
                    col(BankLineRow.amount_minor) > 0, col(BankLineRow.status) == "booked"))
    value = session.execute(query).scalar_one_or_none()
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def remittances_for_amount(session: Session, tenant_id: int, *, currency: str, amount: str,
                           scan: int = 500, limit: int = 3) -> list[str]:
    """Payloads (JSON) of recent remittance advices whose total is the payment's amount."""
    from decimal import Decimal, InvalidOperation

    from cashapp.storage.tables import RemittanceRow

    rows = session.execute(
        select(col(RemittanceRow.total), col(RemittanceRow.payload))
        .where(col(RemittanceRow.tenant_id) == tenant_id, col(RemittanceRow.currency) == currency,
               col(RemittanceRow.total).is_not(None))
        .order_by(col(RemittanceRow.id).desc()).limit(scan)
    ).all()
    out = []
    for total, payload in rows:
        try:
            if Decimal(total) == Decimal(amount):
                out.append(payload)
        except InvalidOperation:
            continue
        if len(out) == limit:
            break
    return out


def next_open_line_id(session: Session, tenant_id: int, after_id: int) -> int | None:
    rows = list_lines(session, tenant_id, state="open", credits_only=True, after_id=after_id, limit=1)
    return rows[0].line.id if rows else None
