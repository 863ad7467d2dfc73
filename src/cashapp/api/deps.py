"""Request dependencies: the engine, the caller (from the API key only) and scope checks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cashapp.storage.apikeys import Principal, Scope, authenticate_key
from cashapp.storage.transactions import read_session

BEARER = "bearer "
bearer_scheme = HTTPBearer(auto_error=False, scheme_name="ApiKey",
                           description="An API key of the tenant: `Authorization: Bearer cak_...`")


def get_engine(request: Request) -> Any:
    return request.app.state.engine


EngineDep = Annotated[Any, Depends(get_engine)]


def principal_from_header(engine: Any, authorization: str | None) -> Principal | None:
    """The principal for an ``Authorization: Bearer <key>`` header, or ``None``."""
    if not authorization or not authorization.lower().startswith(BEARER):
        return None
    key = authorization[len(BEARER):].strip()
    if not key or len(key) > 200:
        return None
    with read_session(engine) as session:
        return authenticate_key(session, key)


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    authorization = f"Bearer {credentials.credentials}" if credentials else None
    principal = principal_from_header(request.app.state.engine, authorization)
    if principal is None:
        raise HTTPException(401, "a valid API key is required", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = principal
    return principal


def require(scope: Scope) -> Any:
    """A dependency giving the principal if its key has ``scope`` (403 otherwise)."""

    def _check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.allows(scope):
            raise HTTPException(403, f"this key lacks the {scope.value!r} scope")
        return principal

    return Depends(_check)


Reader = Annotated[Principal, require(Scope.READ)]
Writer = Annotated[Principal, require(Scope.WRITE)]
Reviewer = Annotated[Principal, require(Scope.REVIEW)]
Admin = Annotated[Principal, require(Scope.ADMIN)]

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="A unique key per logical operation; retries reuse it (Stripe semantics).",
    ),
]
