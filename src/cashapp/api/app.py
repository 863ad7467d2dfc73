"""The FastAPI application: ERP routes under ``/v1``, the review pages, OpenAPI at ``/openapi.json``.

``create_app`` is the factory ``cashapp serve`` runs (uvicorn ``--factory``); tests call it
with their own engine. The database is migrated to head on creation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cashapp.api import pages
from cashapp.api.errors import ErrorBody, install_error_handlers
from cashapp.api.idempotency import IdempotencyMiddleware
from cashapp.api.limits import BodySizeLimit
from cashapp.api.ratelimit import RateLimit
from cashapp.api.relay import relay_lifespan
from cashapp.api.routes import admin, ledger, rules
from cashapp.core.settings import Settings, load_settings
from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import upgrade_to_head

JSON_CAP = int(os.environ.get("CASHAPP_MAX_JSON_BYTES", str(16 * 1024 * 1024)))
UPLOAD_CAP = int(os.environ.get("CASHAPP_MAX_UPLOAD_BYTES", str(25 * 1024 * 1024)))

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}


def create_app(settings: Settings | None = None, *, engine: Any = None, migrate: bool = True) -> FastAPI:
    settings = settings or load_settings()
    engine = engine if engine is not None else make_engine(settings.database_url)
    if migrate:
        upgrade_to_head(engine)
    app = FastAPI(
        title="cashapp",
        version="1",
        summary="Cash application: bank payments matched to open invoices, applied, exported.",
        responses=ERROR_RESPONSES,
        docs_url=None,
        redoc_url=None,
        lifespan=relay_lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(admin.router)
    app.include_router(ledger.router)
    app.include_router(rules.router)
    app.include_router(pages.router)
    app.mount("/review/static", StaticFiles(directory=Path(__file__).parent / "static"), name="review-static")
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodySizeLimit, json_bytes=JSON_CAP, upload_bytes=UPLOAD_CAP)
    app.add_middleware(RateLimit)
    return app


def create_default_app() -> FastAPI:
    """For ``uvicorn --factory cashapp.api.app:create_default_app``."""
    return create_app()
