"""``cashapp train``: retrain the matcher's scorer and promote it only if it measures no worse.

Training data is the seeded generated scenarios (a source checkout is needed for the
generator in ``fixtures/``); the new model is measured on a held-out scenario against the
shipped one, and replaces it only when it is no worse.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cashapp.cli.context import fail


def train(
    version: Annotated[
        str | None, typer.Option(help="Version of the new model (default: the next one).")
    ] = None,
) -> None:
    """Retrain the matcher model; refuse to promote one that measures worse."""
    from cashapp.training.matcher_ship import train as train_matcher

    try:
        report = train_matcher(version=version)
    except ModuleNotFoundError as error:
        raise fail(
            RuntimeError(f"training needs a source checkout (fixtures/ generator): {error}")
        ) from error
    typer.echo(f"{report.version}: {report.reason}")
    typer.echo(f"  new:     {report.new}")
    typer.echo(f"  current: {report.current}")
    if not report.promoted:
        raise typer.Exit(code=1)
