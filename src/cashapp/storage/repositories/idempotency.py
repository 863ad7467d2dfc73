"""Idempotency keys for mutating API calls (RELIABILITY 1.2, Stripe's design).

``claim_key`` runs in the same transaction as the effect: the first call records the key
(with the request's fingerprint) and proceeds; a retry of a finished call gets the stored
response back; a different body under the same key, or a retry while the first call is
still running, is a conflict. ``store_response`` saves the answer before the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from cashapp.core.errors import ConflictError
from cashapp.storage.tables import IdempotencyKeyRow, table_of


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: str


def claim_key(
    session: Session,
    tenant_id: int,
    *,
    endpoint: str,
    key: str,
    request_sha256: str,
    at: datetime,
) -> StoredResponse | None:
    """None: go ahead (the key is now ours). A ``StoredResponse``: replay it, do nothing."""
    target = table_of(IdempotencyKeyRow)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(
        dialect.insert(target)
        .values(
            tenant_id=tenant_id,
            endpoint=endpoint,
            key=key,
            request_sha256=request_sha256,
            locked_at=at,
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "endpoint", "key"])
        .returning(target.c.key)
    ).first()
    if inserted is not None:
        return None
    row = session.execute(
        select(IdempotencyKeyRow).where(
            col(IdempotencyKeyRow.tenant_id) == tenant_id,
            col(IdempotencyKeyRow.endpoint) == endpoint,
            col(IdempotencyKeyRow.key) == key,
        )
    ).scalar_one()
    if row.request_sha256 != request_sha256:
        raise ConflictError(
            "this Idempotency-Key was used with another request body",
            code="idempotency_key_mismatch",
        )
    if row.response_code is None:
        raise ConflictError(
            "a request with this Idempotency-Key is still in progress",
            code="idempotency_key_in_use",
        )
    return StoredResponse(status=row.response_code, body=row.response_body or "")


def store_response(
    session: Session, tenant_id: int, *, endpoint: str, key: str, status: int, body: str
) -> None:
    """Save the answer of the call that claimed ``key`` (in the same transaction)."""
    target = table_of(IdempotencyKeyRow)
    session.execute(
        update(target)
        .where(target.c.tenant_id == tenant_id, target.c.endpoint == endpoint, target.c.key == key)
        .values(response_code=status, response_body=body, locked_at=None)
    )
