"""API keys: their format, how they are hashed, and the ``api_key`` table with its queries.

A key reads ``cak_<key_id>_<secret>``: ``key_id`` (12 hex chars, random) finds the row,
``secret`` is 32 random bytes in base64url. Only ``SHA-256(key)`` is stored: the key is
high-entropy, so a slow hash adds latency and no safety (RELIABILITY 4.1). Keys are shown
once, compared in constant time, carry scopes, and are revoked (never deleted). Rotation is
"create the new key, move the ERP to it, revoke the old one": a tenant may hold several
live keys at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from cashapp.core.clock import utc_now
from cashapp.storage.tables.columns import id_field, ref_field, timestamp_field

KEY_PREFIX = "cak"
_KEY_RE = re.compile(r"^cak_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


class Scope(StrEnum):
    """What a key may do. ``admin`` implies every other scope."""

    READ = "read"
    WRITE = "write"
    REVIEW = "review"
    ADMIN = "admin"


class ApiKeyRow(SQLModel, table=True):
    """One API key of one tenant. ``key_sha256`` is the only trace of the secret."""

    __tablename__ = "api_key"
    __table_args__ = (
        UniqueConstraint("key_id", name="uq_api_key_key_id"),
        UniqueConstraint("tenant_id", "id", name="uq_api_key_tenant_id"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_api_key_tenant"),
        CheckConstraint("length(key_sha256) = 64", name="ck_api_key_sha256"),
    )

    id: int | None = id_field()
    tenant_id: int = ref_field(index=True)
    key_id: str = Field(max_length=12)
    key_sha256: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    scopes: str = Field(default="[]", sa_type=Text)  # JSON list of Scope values
    created_at: datetime = timestamp_field()
    last_used_at: datetime | None = timestamp_field(nullable=True)
    revoked_at: datetime | None = timestamp_field(nullable=True)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A freshly created key: the plaintext (show it once) and its row's public facts."""

    key: str
    key_id: str
    tenant_id: int
    scopes: tuple[Scope, ...]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the tenant and scopes come only from the credential."""

    tenant_id: int
    key_id: str
    scopes: frozenset[Scope]

    def allows(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_key() -> tuple[str, str]:
    """A new ``(key, key_id)``."""
    key_id = secrets.token_hex(6)
    return f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}", key_id


def parse_scopes(values: Iterable[str]) -> tuple[Scope, ...]:
    """Scopes from their names (``ValueError`` on an unknown one), deduplicated, in order."""
    seen: dict[Scope, None] = {}
    for value in values:
        for part in value.split(","):
            if part.strip():
                seen[Scope(part.strip().lower())] = None
    if not seen:
        raise ValueError("at least one scope is needed")
    return tuple(seen)


def create_api_key(
    session: Session, *, tenant_id: int, scopes: Iterable[Scope], name: str = ""
) -> IssuedKey:
    """Store a new key for the tenant and return its plaintext once (the caller commits)."""
    key, key_id = generate_key()
    scope_list = tuple(dict.fromkeys(scopes))
    row = ApiKeyRow(
        tenant_id=tenant_id,
        key_id=key_id,
        key_sha256=hash_key(key),
        name=name,
        scopes=json.dumps([s.value for s in scope_list]),
        created_at=utc_now(),
    )
    session.add(row)
    session.flush()
    return IssuedKey(key=key, key_id=key_id, tenant_id=tenant_id, scopes=scope_list)


def authenticate_key(session: Session, key: str, *, touch: bool = False) -> Principal | None:
    """The principal for a presented key, or ``None`` (unknown, malformed, wrong or revoked)."""
    match = _KEY_RE.match(key.strip())
    if match is None:
        return None
    row = session.exec(select(ApiKeyRow).where(ApiKeyRow.key_id == match.group(1))).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_sha256, hash_key(key.strip())):
        return None
    if touch:
        row.last_used_at = utc_now()
        session.add(row)
        session.flush()
    return Principal(
        tenant_id=row.tenant_id,
        key_id=row.key_id,
        scopes=frozenset(Scope(s) for s in json.loads(row.scopes)),
    )


def list_api_keys(session: Session, *, tenant_id: int) -> list[ApiKeyRow]:
    statement = select(ApiKeyRow).where(ApiKeyRow.tenant_id == tenant_id).order_by(ApiKeyRow.id)  # type: ignore[arg-type]
    return list(session.exec(statement).all())


def find_api_key(session: Session, *, tenant_id: int, key_id: str) -> ApiKeyRow | None:
    statement = select(ApiKeyRow).where(
        ApiKeyRow.tenant_id == tenant_id, ApiKeyRow.key_id == key_id
    )
    return session.exec(statement).first()


def revoke_api_key(session: Session, *, tenant_id: int, key_id: str) -> ApiKeyRow | None:
    """Mark the key revoked (idempotent); ``None`` when the tenant has no such key."""
    row = find_api_key(session, tenant_id=tenant_id, key_id=key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        session.add(row)
        session.flush()
    return row
