"""``cashapp rules ...``: the payer aliases the learning loop proposes, and a person's decision.

``rules refresh`` proposes rules from the lines people confirmed in review; ``rules list``
shows them (``--status proposed|accepted|rejected``) as a person reads them; ``rules accept
ID`` / ``rules reject ID`` decide one. An accepted rule is used by the next ``cashapp run``;
a rejected one is never proposed again. The same as the API's ``/v1/alias-rules``.
"""

from __future__ import annotations

import getpass
from enum import StrEnum
from typing import Annotated

import typer

from cashapp.cli.context import TenantOption, context, fail
from cashapp.core.errors import CashappError

rules_app = typer.Typer(help="Learned payer aliases: refresh, list, accept, reject.",
                        no_args_is_help=True)


class Status(StrEnum):  # storage.alias_rules.RuleStatus, without importing the storage
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment
        return "cli"


@rules_app.command("refresh")
def refresh(ctx: typer.Context, tenant: TenantOption = None) -> None:
    """Propose rules from every line people confirmed (rejected rules stay rejected)."""
    from cashapp.reconciliation.alias_rules import refresh_alias_rules
    from cashapp.storage.transactions import run_in_transaction

    cli = context(ctx, tenant=tenant)
    try:
        tenant_id = cli.tenant_id()
        counts = run_in_transaction(cli.engine, lambda s: refresh_alias_rules(s, tenant_id))
    except CashappError as error:
        raise fail(error) from error
    typer.echo(f"alias rules: {counts.new} new, {counts.updated} updated, "
               f"{counts.withdrawn} withdrawn")


@rules_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option(
        "--status", help="Only the rules of this status; default: all.")] = None,
    tenant: TenantOption = None,
) -> None:
    """One rule per line: id, status, version and the rule as a sentence."""
    from cashapp.domain.aliases import alias_text
    from cashapp.storage.alias_rules import RuleStatus, list_alias_rules
    from cashapp.storage.transactions import read_session

    wanted = RuleStatus(status.value) if status else None
    cli = context(ctx, tenant=tenant)
    try:
        tenant_id = cli.tenant_id()
        with read_session(cli.engine) as session:
            views = list_alias_rules(session, tenant_id, status=wanted, limit=2**31 - 1)
    except CashappError as error:
        raise fail(error) from error
    for view in views:
        typer.echo(f"{view.id}\t{view.status}\tv{view.version}\t"
                   + alias_text(view.kind, view.value, view.customer_key, view.times_seen))


def _decide(ctx: typer.Context, rule_id: int, tenant: str | None, *, accept: bool) -> None:
    from cashapp.reconciliation.alias_rules import decide_alias_rule
    from cashapp.storage.transactions import run_in_transaction

    cli = context(ctx, tenant=tenant)
    try:
        tenant_id = cli.tenant_id()
        view = run_in_transaction(cli.engine, lambda s: decide_alias_rule(
            s, tenant_id, rule_id, accept=accept, actor=_actor()))
    except CashappError as error:
        raise fail(error) from error
    typer.echo(f"rule {view.id} {view.status}")


RuleId = Annotated[int, typer.Argument(help="The rule's id (first column of `rules list`).")]


@rules_app.command("accept")
def accept(ctx: typer.Context, rule_id: RuleId, tenant: TenantOption = None) -> None:
    """Accept a proposed rule: the next run takes it as evidence of the payer."""
    _decide(ctx, rule_id, tenant, accept=True)


@rules_app.command("reject")
def reject(ctx: typer.Context, rule_id: RuleId, tenant: TenantOption = None) -> None:
    """Reject a proposed rule: never used, never proposed again."""
    _decide(ctx, rule_id, tenant, accept=False)
