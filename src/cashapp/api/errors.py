"""Errors to HTTP, in one place: the status comes from the error class, the body is generic.

Bodies are ``{"error": <code>, "detail": <message>}``. Nothing else leaks: no traceback, no
SQL, no stored data. An unexpected exception is logged server-side and answered with 500.
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from cashapp.core.errors import CashappError, ConflictError, InputError

log = logging.getLogger("cashapp.api")


class ErrorBody(BaseModel):
    """Every error response."""

    error: str
    detail: str


def _code(exc: CashappError) -> str:
    if isinstance(exc, ConflictError):
        return exc.code
    name = type(exc).__name__.removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CashappError)
    async def _cashapp(_: Request, exc: CashappError) -> JSONResponse:
        detail = exc.reason if isinstance(exc, InputError) and exc.file is None else exc.message
        if exc.status >= 500:
            log.error("internal error: %s", exc.message)
            detail = "internal error"
        return error_response(exc.status, _code(exc), detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the fields and the problems, never echo the input back.
        problems = []
        for item in exc.errors()[:10]:
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            problems.append(f"{where}: {item.get('msg', 'invalid')}")
        return error_response(422, "validation_error", "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 413: "request_too_large", 415: "unsupported_media_type"}
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # list every method of the path, not only the first route's
            headers["Allow"] = ", ".join(sorted(_methods_of(app, request.url.path)))
        return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), detail,
                              headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal_error", "internal error")


def _methods_of(app: FastAPI, path: str) -> set[str]:
    """The methods the published API has for ``path`` (from the OpenAPI paths)."""
    methods: set[str] = set()
    for template, item in app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)), path):
            methods |= {m.upper() for m in item}
    return methods or {"GET"}
