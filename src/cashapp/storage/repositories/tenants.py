"""Tenants: create, find, and the per-tenant lettrage code counter."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import Session, col

from cashapp.core.clock import utc_now
from cashapp.core.errors import ConflictError, NotFoundError
from cashapp.storage.errors import flush
from cashapp.storage.tables import TenantRow


def find_tenant(session: Session, name: str) -> TenantRow | None:
    return session.execute(
        select(TenantRow).where(col(TenantRow.name) == name)
    ).scalar_one_or_none()


def get_tenant(session: Session, name: str) -> TenantRow:
    tenant = find_tenant(session, name)
    if tenant is None:
        raise NotFoundError(f"no tenant named {name!r} (create it with `cashapp tenant create`)")
    return tenant


def create_tenant(session: Session, name: str) -> TenantRow:
    if not name.strip():
        raise ConflictError("a tenant needs a name", code="invalid")
    if find_tenant(session, name) is not None:
        raise ConflictError(f"tenant {name!r} already exists", code="tenant_exists")
    tenant = TenantRow(name=name, created_at=utc_now())
    session.add(tenant)
    flush(session)
    return tenant


def ensure_tenant(session: Session, name: str) -> TenantRow:
    """The tenant named ``name``, created if missing (for the default tenant)."""
    return find_tenant(session, name) or create_tenant(session, name)


def list_tenants(session: Session) -> list[TenantRow]:
    return list(session.execute(select(TenantRow).order_by(col(TenantRow.id))).scalars())


def next_lettrage_number(session: Session, tenant_id: int) -> int:
    """Take the tenant's next lettrage number (a relative UPDATE: safe under concurrency).

    Called after the bank line and invoices are locked, so the tenant row is locked last.
    """
    statement = (
        update(TenantRow)
        .where(col(TenantRow.id) == tenant_id)
        .values(lettrage_seq=col(TenantRow.lettrage_seq) + 1)
        .returning(col(TenantRow.lettrage_seq))
    )
    return int(session.execute(statement).scalar_one())
