"""``cashapp train``: retrain the matcher's scorer and promote it only if it measures no worse.

Training data is the seeded generated scenarios (a source checkout is needed for the
generator in ``fixtures/``) plus the tenant's review decisions (confirmed, changed and
rejected lines: the learning loop); the new model is measured on a held-out scenario against
the one in place, and replaces it only when it is no worse.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cashapp.cli.context import TenantOption, context, fail
from cashapp.core.errors import CashappError

if TYPE_CHECKING:
    from cashapp.training.matcher_dataset import LabelledSet


def train(
    ctx: typer.Context,
    version: Annotated[
        str | None, typer.Option(help="Version of the new model (default: the next one).")
    ] = None,
    tenant: TenantOption = None,
    reviews: Annotated[
        bool, typer.Option(help="Learn from the tenant's review decisions too.")
    ] = True,
    model_dir: Annotated[
        Path | None, typer.Option(help="Where the model lives (default: the shipped one).")
    ] = None,
    generated_lines: Annotated[
        int, typer.Option(min=50, help="Bank lines per generated training scenario.")
    ] = 5000,
    generated_sets: Annotated[
        int, typer.Option(min=1, max=20, help="How many generated scenarios to train on.")
    ] = 20,
) -> None:
    """Retrain the matcher model; refuse to promote one that measures worse."""
    from cashapp.matcher.model import MODEL_DIR
    from cashapp.training.matcher_ship import TRAIN_SEEDS
    from cashapp.training.matcher_ship import train as train_matcher

    confirmed = _review_sets(ctx, tenant) if reviews else []
    size = {"customers": max(10, generated_lines * 3 // 10), "open_items": generated_lines * 3,
            "lines": generated_lines}
    try:
        report = train_matcher(model_dir=model_dir or MODEL_DIR, confirmed=confirmed,
                               version=version, seeds=TRAIN_SEEDS[:generated_sets], size=size,
                               command=f"cashapp train --generated-lines {generated_lines} "
                                       f"--generated-sets {generated_sets}"
                                       + ("" if reviews else " --no-reviews"))
    except ModuleNotFoundError as error:
        raise fail(
            RuntimeError(f"training needs a source checkout (fixtures/ generator): {error}")
        ) from error
    reviewed = sum(len(s.lines) for s in confirmed)
    typer.echo(f"{report.version}: {report.reason} ({reviewed} reviewed lines)")
    typer.echo(f"  new:     {report.new}")
    typer.echo(f"  current: {report.current}")
    if not report.promoted:
        raise typer.Exit(code=1)


def _review_sets(ctx: typer.Context, tenant: str | None) -> list[LabelledSet]:
    from cashapp.reconciliation.labels import list_labelled_decisions
    from cashapp.storage.transactions import read_session
    from cashapp.training.review_labels import labelled_sets

    cli = context(ctx, tenant=tenant)
    try:
        tenant_id = cli.tenant_id()
        with read_session(cli.engine) as session:
            decisions = list_labelled_decisions(session, tenant_id)
    except CashappError as error:
        raise fail(error) from error
    return labelled_sets(decisions.ledger, decisions.lines, decisions.right)
