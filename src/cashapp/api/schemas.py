"""The API's request and response models (``XCreate`` / ``XRead`` / ``XPage``).

Input models forbid unknown fields (mass assignment, tenant smuggling: the tenant comes only
from the credential). Amounts are decimal strings, never floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cashapp.storage.apikeys import Scope

MAX_PAGE = 500


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TenantRead(BaseModel):
    id: int
    name: str


class ApiKeyCreate(Input):
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=4)]
    name: Annotated[str, StringConstraints(max_length=200)] = ""


class ApiKeyRead(BaseModel):
    key_id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself: shown once, stored only as a hash.")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyRead]


class WebhookEndpointCreate(Input):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000)]


class WebhookEndpointRead(BaseModel):
    id: int
    url: str
    created_at: datetime
    disabled_at: datetime | None


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(description="The signing secret: shown once.")


class WebhookEndpointPage(BaseModel):
    items: list[WebhookEndpointRead]


class WebhookDeliveryRead(BaseModel):
    id: int
    endpoint_id: int
    event_id: str
    status: str
    attempts: int
    last_status: int | None
    next_attempt_at: datetime
    delivered_at: datetime | None


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryRead]
