"""The API's request and response models (``XCreate`` / ``XRead`` / ``XPage``).

Input models forbid unknown fields (mass assignment, tenant smuggling: the tenant comes only
from the credential). Amounts are decimal strings, never floats.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from cashapp.storage.apikeys import Scope

MAX_PAGE = 500


def _aware(value: datetime) -> datetime:
    # SQLite hands timestamps back without their offset; they are stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Timestamp = Annotated[datetime, AfterValidator(_aware)]


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
    created_at: Timestamp
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself: shown once, stored only as a hash.")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyRead]


class WebhookEndpointCreate(Input):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://[^\s/?#@]+[^\s]*$")]


class WebhookEndpointRead(BaseModel):
    id: int
    url: str
    created_at: Timestamp
    disabled_at: Timestamp | None


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
    next_attempt_at: Timestamp
    delivered_at: Timestamp | None


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryRead]
