"""``cashapp run``: match every open payment, apply what is certain, queue the rest.

The entry point composes the pieces: it reads the work, runs the matcher (no database),
then gives each line's outcome its own transaction.
"""

from __future__ import annotations

from functools import partial

import typer

from cashapp.cli.context import context, fail, progress
from cashapp.core.errors import AlreadyAppliedError, CashappError, ConflictError, InvariantViolation
from cashapp.domain.proposals import DecisionKind, MatchResult
from cashapp.matcher import load_matcher
from cashapp.matcher.api import MatchPolicy
from cashapp.reconciliation.run import RunSummary, as_suggestion, prepare_run, record_result
from cashapp.storage import Session
from cashapp.storage.transactions import read_session, run_in_transaction


def run(ctx: typer.Context) -> None:
    """The lettrage run: extract, match, apply what is certain, queue the rest for review."""
    cli = context(ctx)
    settings = cli.settings
    policy = MatchPolicy(
        auto_precision=float(settings.auto_apply_precision),
        write_off_absolute=settings.write_off_absolute,
        write_off_relative=settings.write_off_relative,
    )
    summary = RunSummary()
    try:
        tenant = cli.tenant_id()
        with read_session(cli.engine) as session:
            work = prepare_run(session, tenant)
        matcher = load_matcher()
        results = matcher.match(work.tasks, work.ledger, policy)
        lines = {task.key: task.line for task in work.tasks}

        def record(session: Session, *, result: MatchResult) -> DecisionKind:
            return record_result(session, tenant, result, matcher=matcher, policy=policy)

        summary.lines_read = len(results)
        for result in progress(results, total=len(results), label="applying"):
            try:
                outcome = run_in_transaction(cli.engine, partial(record, result=result))
            except AlreadyAppliedError:
                summary.count("skipped", lines[result.line_key])
                continue
            except (InvariantViolation, ConflictError):
                # The ledger moved since the read (or refused): a person decides.
                fallback = as_suggestion(result)
                outcome = run_in_transaction(cli.engine, partial(record, result=fallback))
            summary.count(outcome, lines[result.line_key])
    except CashappError as error:
        raise fail(error) from error
    typer.echo(format_summary(summary, matcher_version=matcher.version))


def format_summary(summary: RunSummary, *, matcher_version: str) -> str:
    def amounts(key: str) -> str:
        sums = summary.amounts.get(key, {})
        return ", ".join(f"{total} {currency}" for currency, total in sorted(sums.items())) or "-"

    return "\n".join(
        [
            f"lettrage run ({matcher_version})",
            f"  lines read  {summary.lines_read}",
            f"  applied     {summary.applied:<6} {amounts('applied')}",
            f"  suggested   {summary.suggested:<6} {amounts('suggested')}",
            f"  unmatched   {summary.unmatched:<6} {amounts('unmatched')}",
        ]
        + ([f"  skipped     {summary.skipped:<6} (applied meanwhile)"] if summary.skipped else [])
    )
