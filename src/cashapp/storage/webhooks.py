"""Webhook endpoints and deliveries: the tables and the queries of the outbox relay.

``webhook_endpoint``: where a tenant wants its events (URL checked at save time by the
caller, and again before every send), with the signing secret. ``webhook_delivery``: one row
per (outbox event, endpoint), created by the fan-out, moved by the relay from ``pending`` to
``delivered`` (or ``dead`` after the last attempt). Events of one bank line (the delivery's
``ordering_key``) go out in outbox order: a delivery is not due while an earlier one of the
same line and endpoint is still undelivered.

The signing secret is stored as is: HMAC needs it back. Protect the database accordingly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Text,
    UniqueConstraint,
    and_,
    exists,
    func,
    update,
)
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col, select

from cashapp.core.clock import utc_now
from cashapp.storage.tables.columns import id_field, ref_field, timestamp_field
from cashapp.storage.tables.integration import OutboxRow

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


class WebhookEndpointRow(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_webhook_endpoint_tenant_id"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_webhook_endpoint_tenant"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field(index=True)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    # Events with an outbox id up to this one have been fanned out to this endpoint.
    outbox_cursor: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = timestamp_field()
    disabled_at: datetime | None = timestamp_field(nullable=True)


class WebhookDeliveryRow(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "outbox_id", name="uq_webhook_delivery_event"),
        ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"],
            ["webhook_endpoint.tenant_id", "webhook_endpoint.id"],
            name="fk_webhook_delivery_endpoint",
        ),
        ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name="fk_webhook_delivery_outbox"),
        CheckConstraint(
            "status IN ('pending', 'delivered', 'dead')", name="ck_webhook_delivery_status"
        ),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_order", "endpoint_id", "ordering_key", "outbox_id"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field()
    endpoint_id: int = ref_field()
    outbox_id: int = ref_field()
    event_id: str = Field(max_length=200)
    ordering_key: str = Field(max_length=200)
    status: str = Field(default=PENDING, max_length=10)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = timestamp_field()
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    delivered_at: datetime | None = timestamp_field(nullable=True)


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery: everything the relay needs to send it, outside any transaction."""

    delivery_id: int
    tenant_id: int
    url: str
    secret: str
    event_id: str
    event_type: str
    payload: str
    attempts: int


def ordering_key_of(payload: str, event_id: str) -> str:
    """The bank line an event is about (its order group); the event itself when none is named.

    Every ledger event names its line in the payload (``bank_line_id``).
    """
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    line = data.get("bank_line_id") if isinstance(data, dict) else None
    return f"line:{line}" if line is not None else f"event:{event_id}"


def create_endpoint(session: Session, *, tenant_id: int, url: str, secret: str) -> WebhookEndpointRow:
    """A new endpoint; it receives the events written from now on (the caller checks the URL)."""
    last = session.exec(
        select(func.max(OutboxRow.id)).where(OutboxRow.tenant_id == tenant_id)
    ).one()
    row = WebhookEndpointRow(
        tenant_id=tenant_id, url=url, secret=secret, outbox_cursor=int(last or 0), created_at=utc_now()
    )
    session.add(row)
    session.flush()
    return row


def list_endpoints(session: Session, *, tenant_id: int) -> list[WebhookEndpointRow]:
    statement = select(WebhookEndpointRow).where(WebhookEndpointRow.tenant_id == tenant_id)
    return list(session.exec(statement.order_by(col(WebhookEndpointRow.id))).all())


def find_endpoint(session: Session, *, tenant_id: int, endpoint_id: int) -> WebhookEndpointRow | None:
    statement = select(WebhookEndpointRow).where(
        WebhookEndpointRow.tenant_id == tenant_id, WebhookEndpointRow.id == endpoint_id
    )
    return session.exec(statement).first()


def fan_out(session: Session, *, tenant_id: int | None = None, now: datetime | None = None) -> int:
    """Create the deliveries of new outbox events for every live endpoint; how many were made."""
    moment = now or utc_now()
    statement = select(WebhookEndpointRow).where(col(WebhookEndpointRow.disabled_at).is_(None))
    if tenant_id is not None:
        statement = statement.where(WebhookEndpointRow.tenant_id == tenant_id)
    made = 0
    for endpoint in session.exec(statement.with_for_update()).all():
        events = session.exec(
            select(OutboxRow)
            .where(OutboxRow.tenant_id == endpoint.tenant_id, col(OutboxRow.id) > endpoint.outbox_cursor)
            .order_by(col(OutboxRow.id))
        ).all()
        for event in events:
            assert event.id is not None and endpoint.id is not None
            session.add(
                WebhookDeliveryRow(
                    tenant_id=endpoint.tenant_id,
                    endpoint_id=endpoint.id,
                    outbox_id=event.id,
                    event_id=event.event_id,
                    ordering_key=ordering_key_of(event.payload, event.event_id),
                    next_attempt_at=moment,
                )
            )
            endpoint.outbox_cursor = event.id
            made += 1
        session.add(endpoint)
    session.flush()
    return made


def claim_due(
    session: Session, *, now: datetime | None = None, limit: int = 50, lease_seconds: float = 60
) -> list[DueDelivery]:
    """Claim deliveries that are due and first in their line's order, pushing them out by a lease.

    On PostgreSQL rows another relay holds are skipped (``SKIP LOCKED``); on SQLite the write
    transaction (``BEGIN IMMEDIATE``) already serialises relays.
    """
    moment = now or utc_now()
    earlier = aliased(WebhookDeliveryRow)
    blocked = exists().where(
        and_(
            col(earlier.endpoint_id) == WebhookDeliveryRow.endpoint_id,
            col(earlier.ordering_key) == WebhookDeliveryRow.ordering_key,
            col(earlier.outbox_id) < WebhookDeliveryRow.outbox_id,
            col(earlier.status) != DELIVERED,
        )
    )
    statement = (
        select(WebhookDeliveryRow, WebhookEndpointRow, OutboxRow)
        .join(WebhookEndpointRow, col(WebhookEndpointRow.id) == WebhookDeliveryRow.endpoint_id)
        .join(OutboxRow, col(OutboxRow.id) == WebhookDeliveryRow.outbox_id)
        .where(
            WebhookDeliveryRow.status == PENDING,
            col(WebhookDeliveryRow.next_attempt_at) <= moment,
            ~blocked,
        )
        .order_by(col(WebhookDeliveryRow.outbox_id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(of=WebhookDeliveryRow, skip_locked=True)  # type: ignore[arg-type]
    claimed: list[DueDelivery] = []
    lease_until = moment + timedelta(seconds=lease_seconds)
    for delivery, endpoint, event in session.exec(statement).all():
        assert delivery.id is not None
        delivery.next_attempt_at = lease_until
        session.add(delivery)
        claimed.append(
            DueDelivery(
                delivery_id=delivery.id,
                tenant_id=delivery.tenant_id,
                url=endpoint.url,
                secret=endpoint.secret,
                event_id=event.event_id,
                event_type=event.kind,
                payload=event.payload,
                attempts=delivery.attempts,
            )
        )
    session.flush()
    return claimed


def record_attempt(
    session: Session,
    *,
    delivery_id: int,
    delivered: bool,
    status: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
    now: datetime | None = None,
) -> None:
    """Record one attempt: delivered, or retry at ``next_attempt_at`` (``None``: dead)."""
    moment = now or utc_now()
    values: dict[str, object] = {
        "attempts": WebhookDeliveryRow.attempts + 1,  # type: ignore[operator]
        "last_status": status,
        "last_error": error,
    }
    if delivered:
        values.update(status=DELIVERED, delivered_at=moment)
    elif next_attempt_at is None:
        values.update(status=DEAD)
    else:
        values.update(next_attempt_at=next_attempt_at)
    session.execute(
        update(WebhookDeliveryRow).where(col(WebhookDeliveryRow.id) == delivery_id).values(**values)
    )
    if delivered:
        outbox_id = session.exec(
            select(WebhookDeliveryRow.outbox_id).where(WebhookDeliveryRow.id == delivery_id)
        ).one()
        session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == outbox_id, col(OutboxRow.delivered_at).is_(None))
            .values(delivered_at=moment)
        )


def list_deliveries(session: Session, *, tenant_id: int, limit: int = 100) -> list[WebhookDeliveryRow]:
    statement = (
        select(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.tenant_id == tenant_id)
        .order_by(col(WebhookDeliveryRow.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())


def count_pending(session: Session, *, tenant_id: int | None = None) -> int:
    statement = select(func.count()).select_from(WebhookDeliveryRow).where(
        WebhookDeliveryRow.status == PENDING
    )
    if tenant_id is not None:
        statement = statement.where(WebhookDeliveryRow.tenant_id == tenant_id)
    return int(session.exec(statement).one())
