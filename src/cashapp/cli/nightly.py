"""``cashapp nightly`` (the scheduled job) and ``cashapp worker`` (one nightly worker process).

On SQLite the whole run happens in this process. On PostgreSQL ``nightly`` enqueues the
chunks for the workers (``cashapp worker`` on this or other machines), waits for them,
retries the chunks of workers that died, delivers the webhooks and prints the summary;
``--in-process`` runs everything here instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cashapp.cli.context import context, fail, on_terminal
from cashapp.core.errors import CashappError

# The run (and rich's progress bar) are imported when ``nightly`` runs, not at start-up.
if TYPE_CHECKING:
    from rich.progress import Progress


def _bar() -> tuple[Progress | None, object]:
    if not on_terminal():
        return None, None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   transient=True)
    return bar, bar.add_task("nightly", total=None)


def nightly(
    ctx: typer.Context,
    in_process: Annotated[bool, typer.Option("--in-process", help="PostgreSQL: run the chunks here, not on workers.")] = False,
    wait: Annotated[float, typer.Option(help="PostgreSQL: seconds to wait for the workers.")] = 3600,
    stalled_after: Annotated[float, typer.Option(help="Seconds without a worker heartbeat before its chunk is retried.")] = 30,
) -> None:
    """The scheduled job: for every tenant, ingest what arrived, run, deliver the lettrage."""
    from cashapp.reconciliation.nightly import format_report, run_nightly

    cli = context(ctx)
    bar, task = _bar()

    def on_progress(label: str, done: int, total: int) -> None:
        if bar is not None:
            bar.update(task, description=label, completed=done, total=total)  # type: ignore[arg-type]

    try:
        if bar is not None:
            bar.start()
        engine = cli.engine
        if engine.dialect.name == "postgresql" and not in_process:
            from cashapp.reconciliation.jobs import run_nightly_on_workers

            fan = run_nightly_on_workers(engine, wait_seconds=wait, stalled_after=stalled_after, on_progress=on_progress)
            summaries = fan.summaries
            footer = f"  run {fan.run_id}: {fan.chunks} chunks, {len(fan.failed)} failed, {fan.stalled_retried} retried after a worker stopped"
        else:
            summaries = run_nightly(engine, cli.settings, on_progress=on_progress)
            footer = ""
    except CashappError as error:
        raise fail(error) from error
    finally:
        if bar is not None:
            bar.stop()
    typer.echo(format_report(summaries) + ("\n" + footer if footer else ""))
    if any(s.errors for s in summaries):
        raise typer.Exit(1)


def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Chunks run at once by this process.")] = 2,
    heartbeat: Annotated[float, typer.Option(help="Seconds between heartbeats.")] = 2.0,
) -> None:
    """A nightly worker (PostgreSQL): runs chunks until stopped; start one per process."""
    from cashapp.reconciliation.jobs import run_worker

    run_worker(concurrency=concurrency, heartbeat=heartbeat)


def register(app: typer.Typer) -> None:
    app.command("nightly")(nightly)
    app.command("worker")(worker)


if __name__ == "__main__":  # python -m cashapp.cli.nightly nightly|worker (before registration)
    _app = typer.Typer(no_args_is_help=True)
    register(_app)
    _app()
