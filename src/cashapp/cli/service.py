"""The service's commands, registered on the ``cashapp`` Typer app in one call:
``serve``, ``nightly``, ``worker`` and the ``apikey`` group."""

from __future__ import annotations

import typer

from cashapp.cli import apikeys, nightly, serve


def register_service_commands(app: typer.Typer) -> None:
    serve.register(app)
    nightly.register(app)
    apikeys.register(app)
