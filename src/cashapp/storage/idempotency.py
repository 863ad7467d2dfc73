"""Idempotency keys of the ERP API (Stripe style) on the ``idempotency_key`` table.

``begin`` claims a key for a request fingerprint; ``finish`` stores the response to replay;
``release`` forgets a claim whose request produced nothing worth replaying. A key is scoped
to ``(tenant, endpoint)``; a claim older than ``stale_after`` is taken over (its process died).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cashapp.core.clock import utc_now
from cashapp.storage.tables.integration import IdempotencyKeyRow


@dataclass(frozen=True, slots=True)
class Claimed:
    """The key is ours: run the request, then ``finish`` or ``release``."""


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: str


@dataclass(frozen=True, slots=True)
class InFlight:
    """Another request with this key is running."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The key was used with another request body."""


Outcome = Claimed | Replay | InFlight | Mismatch


def _where(tenant_id: int, endpoint: str, key: str) -> list[object]:
    return [
        IdempotencyKeyRow.tenant_id == tenant_id,
        IdempotencyKeyRow.endpoint == endpoint,
        IdempotencyKeyRow.key == key,
    ]


def begin(
    session: Session,
    *,
    tenant_id: int,
    endpoint: str,
    key: str,
    fingerprint: str,
    stale_after: timedelta = timedelta(minutes=5),
) -> Outcome:
    """Claim ``key`` for this request, or say why not (the caller commits)."""
    now = utc_now()
    row = session.exec(select(IdempotencyKeyRow).where(*_where(tenant_id, endpoint, key))).first()  # type: ignore[arg-type]
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    IdempotencyKeyRow(
                        tenant_id=tenant_id,
                        endpoint=endpoint,
                        key=key,
                        request_sha256=fingerprint,
                        locked_at=now,
                        created_at=now,
                    )
                )
        except IntegrityError:  # a concurrent request claimed it first
            return InFlight()
        return Claimed()
    if row.request_sha256 != fingerprint:
        return Mismatch()
    if row.response_code is not None:
        return Replay(status=row.response_code, body=row.response_body or "")
    locked_at = row.locked_at
    if locked_at is not None and locked_at.tzinfo is None:
        locked_at = locked_at.replace(tzinfo=now.tzinfo)
    if locked_at is not None and now - locked_at < stale_after:
        return InFlight()
    row.locked_at = now
    session.add(row)
    session.flush()
    return Claimed()


def finish(session: Session, *, tenant_id: int, endpoint: str, key: str, status: int, body: str) -> None:
    session.execute(
        update(IdempotencyKeyRow)
        .where(*_where(tenant_id, endpoint, key))  # type: ignore[arg-type]
        .values(response_code=status, response_body=body, locked_at=None)
    )


def release(session: Session, *, tenant_id: int, endpoint: str, key: str) -> None:
    session.execute(
        delete(IdempotencyKeyRow).where(
            *_where(tenant_id, endpoint, key),  # type: ignore[arg-type]
            col(IdempotencyKeyRow.response_code).is_(None),
        )
    )
