"""``cashapp apikey create --tenant NAME --scope SCOPE...``: print a new API key, once.

Also ``apikey list`` and ``apikey revoke KEY_ID`` (rotation: create, switch the ERP, revoke).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cashapp.core.settings import load_settings

# Storage (SQLAlchemy, Alembic) is imported when a command runs, not at start-up.
apikey_app = typer.Typer(help="API keys of a tenant: create (shown once), list, revoke.", no_args_is_help=True)


def _engine() -> Any:
    from cashapp.storage.engine import make_engine
    from cashapp.storage.migrate import upgrade_to_head

    engine = make_engine(load_settings().database_url)
    upgrade_to_head(engine)
    return engine


def _tenant_id(session: Any, name: str) -> int:
    from cashapp.storage.repositories.tenants import find_tenant

    tenant = find_tenant(session, name)
    if tenant is None or tenant.id is None:
        typer.echo(f"error: no tenant {name!r} (create it with `cashapp tenant create {name}`)", err=True)
        raise typer.Exit(2)
    return tenant.id


@apikey_app.command("create")
def create(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant name.")],
    scope: Annotated[list[str], typer.Option("--scope", help="read, write, review or admin (repeat or comma-separate).")],
    name: Annotated[str, typer.Option("--name", help="A label for the key.")] = "",
) -> None:
    """Create a key and print it once; only its hash is stored."""
    from cashapp.storage.apikeys import create_api_key, parse_scopes
    from cashapp.storage.transactions import write_transaction

    try:
        scopes = parse_scopes(scope)
    except ValueError as exc:
        typer.echo(f"error: --scope: {exc}", err=True)
        raise typer.Exit(2) from exc
    engine = _engine()
    with write_transaction(engine) as session:
        issued = create_api_key(session, tenant_id=_tenant_id(session, tenant), scopes=scopes, name=name)
    typer.echo(issued.key)


@apikey_app.command("list")
def list_keys(tenant: Annotated[str, typer.Option("--tenant")]) -> None:
    """Key ids, scopes and state (never the keys)."""
    from cashapp.storage.apikeys import list_api_keys
    from cashapp.storage.transactions import read_session

    engine = _engine()
    with read_session(engine) as session:
        for row in list_api_keys(session, tenant_id=_tenant_id(session, tenant)):
            state = "revoked" if row.revoked_at else "live"
            typer.echo(f"{row.key_id}\t{row.scopes}\t{state}\t{row.name}")


@apikey_app.command("revoke")
def revoke(key_id: str, tenant: Annotated[str, typer.Option("--tenant")]) -> None:
    """Revoke a key by its id (the 12 hex characters after ``cak_``)."""
    from cashapp.storage.apikeys import revoke_api_key
    from cashapp.storage.transactions import write_transaction

    engine = _engine()
    with write_transaction(engine) as session:
        if revoke_api_key(session, tenant_id=_tenant_id(session, tenant), key_id=key_id) is None:
            typer.echo(f"error: no key {key_id} for tenant {tenant}", err=True)
            raise typer.Exit(2)
    typer.echo(f"revoked {key_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(apikey_app, name="apikey")


if __name__ == "__main__":
    apikey_app()
