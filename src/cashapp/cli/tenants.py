"""``cashapp tenant ...``: the companies one installation serves."""

from __future__ import annotations

from typing import Annotated

import typer

from cashapp.cli.context import context, fail
from cashapp.core.errors import CashappError

tenant_app = typer.Typer(
    help="Tenants (companies): every command acts on one.", no_args_is_help=True
)


@tenant_app.command("create")
def create(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The tenant's name.")]
) -> None:
    """Create a tenant; the other commands act on it with ``--tenant NAME``."""
    from cashapp.storage.repositories.tenants import create_tenant
    from cashapp.storage.transactions import run_in_transaction

    cli = context(ctx)
    try:
        run_in_transaction(cli.engine, lambda s: create_tenant(s, name))
    except CashappError as error:
        raise fail(error) from error
    typer.echo(f"tenant {name!r} created")


@tenant_app.command("list")
def list_(ctx: typer.Context) -> None:
    """The tenants, one per line."""
    from cashapp.storage.repositories.tenants import list_tenants
    from cashapp.storage.transactions import read_session

    cli = context(ctx)
    with read_session(cli.engine) as session:
        for tenant in list_tenants(session):
            typer.echo(tenant.name)
