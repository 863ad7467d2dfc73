"""The tenant itself, its API keys (rotation, revocation) and its webhook endpoints."""

from __future__ import annotations

import json
import secrets
from typing import Annotated

from fastapi import APIRouter, Path, status

from cashapp.api.deps import Admin, EngineDep, IdempotencyKey, Reader
from cashapp.api.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPage,
    ApiKeyRead,
    TenantRead,
    WebhookDeliveryPage,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPage,
    WebhookEndpointRead,
)
from cashapp.core.errors import NotFoundError
from cashapp.reconciliation.webhooks import check_webhook_url
from cashapp.storage import apikeys, webhooks
from cashapp.storage.apikeys import ApiKeyRow, Scope
from cashapp.storage.tables import TenantRow
from cashapp.storage.transactions import read_session, write_transaction

router = APIRouter(prefix="/v1", tags=["tenant"])


def _key_read(row: ApiKeyRow) -> ApiKeyRead:
    return ApiKeyRead(
        key_id=row.key_id, name=row.name, scopes=[Scope(s) for s in json.loads(row.scopes)],
        created_at=row.created_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at,
    )


@router.get("/tenant", response_model=TenantRead)
def read_tenant(principal: Reader, engine: EngineDep) -> TenantRead:
    with read_session(engine) as session:
        tenant = session.get(TenantRow, principal.tenant_id)
        if tenant is None or tenant.id is None:
            raise NotFoundError("tenant not found")
        return TenantRead(id=tenant.id, name=tenant.name)


@router.get("/api-keys", response_model=ApiKeyPage, tags=["api-keys"])
def list_api_keys(principal: Admin, engine: EngineDep) -> ApiKeyPage:
    with read_session(engine) as session:
        rows = apikeys.list_api_keys(session, tenant_id=principal.tenant_id)
        return ApiKeyPage(items=[_key_read(r) for r in rows])


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED, tags=["api-keys"])
def create_api_key(body: ApiKeyCreate, principal: Admin, engine: EngineDep, _key: IdempotencyKey) -> ApiKeyCreated:
    with write_transaction(engine) as session:
        issued = apikeys.create_api_key(session, tenant_id=principal.tenant_id, scopes=body.scopes, name=body.name)
        row = apikeys.find_api_key(session, tenant_id=principal.tenant_id, key_id=issued.key_id)
        assert row is not None
        return ApiKeyCreated(key=issued.key, **_key_read(row).model_dump())


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyRead, tags=["api-keys"])
def revoke_api_key(key_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")], principal: Admin, engine: EngineDep, _key: IdempotencyKey) -> ApiKeyRead:
    with write_transaction(engine) as session:
        row = apikeys.revoke_api_key(session, tenant_id=principal.tenant_id, key_id=key_id)
        if row is None:
            raise NotFoundError("API key not found")
        return _key_read(row)


@router.get("/webhook-endpoints", response_model=WebhookEndpointPage, tags=["webhooks"])
def list_webhook_endpoints(principal: Admin, engine: EngineDep) -> WebhookEndpointPage:
    with read_session(engine) as session:
        rows = webhooks.list_endpoints(session, tenant_id=principal.tenant_id)
        return WebhookEndpointPage(items=[WebhookEndpointRead.model_validate(r, from_attributes=True) for r in rows])


@router.post("/webhook-endpoints", response_model=WebhookEndpointCreated,
             status_code=status.HTTP_201_CREATED, tags=["webhooks"])
def create_webhook_endpoint(
    body: WebhookEndpointCreate, principal: Admin, engine: EngineDep, _key: IdempotencyKey
) -> WebhookEndpointCreated:
    checked = check_webhook_url(body.url)  # save-time SSRF check (send time checks again)
    secret = "whsec_" + secrets.token_urlsafe(32)
    with write_transaction(engine) as session:
        row = webhooks.create_endpoint(session, tenant_id=principal.tenant_id, url=checked.url, secret=secret)
        read = WebhookEndpointRead.model_validate(row, from_attributes=True)
    return WebhookEndpointCreated(secret=secret, **read.model_dump())


@router.get("/webhook-deliveries", response_model=WebhookDeliveryPage, tags=["webhooks"])
def list_webhook_deliveries(principal: Admin, engine: EngineDep) -> WebhookDeliveryPage:
    with read_session(engine) as session:
        rows = webhooks.list_deliveries(session, tenant_id=principal.tenant_id)
        return WebhookDeliveryPage(items=[WebhookDeliveryRead.model_validate(r, from_attributes=True) for r in rows])
