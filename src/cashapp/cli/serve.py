"""``cashapp serve``: the HTTP API, the review queue (and, later, the portal) with uvicorn.

The app is built by ``cashapp.api.app:create_default_app`` (named, not imported: the CLI and
the API are sibling entry points). Register with ``register(app)`` on the Typer app.
"""

from __future__ import annotations

from typing import Annotated

import typer

APP_FACTORY = "cashapp.api.app:create_default_app"


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json) and the review queue (/review)."""
    import uvicorn  # here, not at start-up: only ``serve`` needs it

    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                proxy_headers=False, server_header=False, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


if __name__ == "__main__":  # python -m cashapp.cli.serve (tests, before the main app exists)
    typer.run(serve)
