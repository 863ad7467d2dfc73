"""``cashapp run``: match every open payment, apply what is certain, queue the rest.

The entry point picks the matcher and the policy from the settings (``run.policy_from``, as
the nightly run does); ``run_lettrage`` tightens it per customer from the tenant's reversals
and does the work (set-based transactions of applied lines, chunks of lines left for review).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cashapp.cli.context import TenantOption, context, fail, progress
from cashapp.core.errors import CashappError

# The matcher (scikit-learn, numpy) is imported by ``run`` only, not at start-up.
if TYPE_CHECKING:
    from cashapp.reconciliation.run import RunSummary


def run(ctx: typer.Context, tenant: TenantOption = None) -> None:
    """The lettrage run: extract, match, apply what is certain, queue the rest for review."""
    from cashapp.matcher import load_matcher
    from cashapp.reconciliation.run import policy_from, run_lettrage

    cli = context(ctx, tenant=tenant)
    policy = policy_from(cli.settings)
    matcher = load_matcher()
    try:
        tenant_id = cli.tenant_id()
        summary = run_lettrage(
            cli.engine,
            tenant_id,
            matcher=matcher,
            policy=policy,
            progress=lambda results, total: progress(results, total=total, label="applying"),
        )
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
