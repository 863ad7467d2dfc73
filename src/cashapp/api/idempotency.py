"""``Idempotency-Key`` for every mutating call, in one middleware (Stripe semantics).

Same key and same request (method, path, query, body): the stored response is replayed with
``Idempotent-Replayed: true``. Same key, other request: 422 ``idempotency_key_mismatch``.
The first request still running: 409 ``idempotency_key_in_use``. Keys are scoped to the
tenant (from the credential) and the endpoint. Validation failures, auth failures and 5xx
are not stored, so the client can fix and retry with the same key.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from cashapp.api.deps import principal_from_header
from cashapp.api.errors import error_response
from cashapp.storage import idempotency as keys
from cashapp.storage.transactions import write_transaction

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADER = "idempotency-key"
NOT_STORED = frozenset({400, 401, 403, 413, 415, 422, 429})


def fingerprint(method: str, path: str, query: str, content_type: str, body: bytes) -> str:
    """SHA-256 of the request. A multipart body is taken without its boundary, which a
    client's retry may draw anew for the same file."""
    boundary = next((p.split("=", 1)[1].strip().strip('"') for p in content_type.split(";")
                     if p.strip().lower().startswith("boundary=")), "")
    if boundary:
        body = body.replace(boundary.encode("latin-1", "replace"), b"")
    digest = hashlib.sha256()
    for part in (method, path, query, content_type.split(";")[0].strip()):
        digest.update(part.encode("utf-8") + b"\x00")
    digest.update(body)
    return digest.hexdigest()


class IdempotencyMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        key = request.headers.get(HEADER)
        if request.method not in MUTATING or not key or not request.url.path.startswith("/v1/"):
            return await call_next(request)
        if len(key) > 255:
            return await call_next(request)  # the route's header validation answers 422
        engine = request.app.state.engine
        principal = await run_in_threadpool(principal_from_header, engine, request.headers.get("authorization"))
        if principal is None:
            return await call_next(request)  # the route answers 401
        request.state.principal = principal
        body = await request.body()
        fp = fingerprint(request.method, request.url.path, request.url.query,
                         request.headers.get("content-type", ""), body)
        scope: dict[str, Any] = {"tenant_id": principal.tenant_id, "endpoint": f"{request.method} {request.url.path}", "key": key}

        def _begin() -> keys.Outcome:
            with write_transaction(engine) as session:
                return keys.begin(session, fingerprint=fp, **scope)

        outcome = await run_in_threadpool(_begin)
        if isinstance(outcome, keys.Mismatch):
            return error_response(422, "idempotency_key_mismatch",
                                  "this Idempotency-Key was used with another request")
        if isinstance(outcome, keys.InFlight):
            return error_response(409, "idempotency_key_in_use",
                                  "a request with this Idempotency-Key is still running")
        if isinstance(outcome, keys.Replay):
            return Response(outcome.body, status_code=outcome.status, media_type="application/json",
                            headers={"Idempotent-Replayed": "true"})
        try:
            response = await call_next(request)
            chunks = [chunk async for chunk in response.body_iterator]  # type: ignore[attr-defined]
        except BaseException:
            await run_in_threadpool(_release, engine, scope)
            raise
        content = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        if response.status_code in NOT_STORED or response.status_code >= 500:
            await run_in_threadpool(_release, engine, scope)
        else:
            await run_in_threadpool(_finish, engine, scope, response.status_code, content.decode("utf-8", "replace"))
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content, status_code=response.status_code, headers=headers)


def _release(engine: Any, scope: dict[str, Any]) -> None:
    with write_transaction(engine) as session:
        keys.release(session, **scope)


def _finish(engine: Any, scope: dict[str, Any], status: int, body: str) -> None:
    with write_transaction(engine) as session:
        keys.finish(session, status=status, body=body, **scope)
