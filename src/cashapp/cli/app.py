"""The ``cashapp`` command (Typer). Each command lives in a small module and is registered
here; ``--tenant NAME`` before the command picks the tenant (the default one otherwise).

To add a command: write it in its own module and register it below (``app.command``).
Keep the modules light to import: a command imports the use cases, storage and anything
heavy (the matcher, scikit-learn, spaCy, pdfplumber, uvicorn) inside its function, with
``TYPE_CHECKING`` imports for annotations, so that ``cashapp --help`` and the other
commands do not pay for it (``tests/cli/test_cli_startup.py``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cashapp.cli import demo, files, lettrage, train
from cashapp.cli.context import CliContext
from cashapp.cli.rules import rules_app
from cashapp.cli.service import register_service_commands
from cashapp.cli.tenants import tenant_app

app = typer.Typer(
    name="cashapp",
    help="Cash application: bank statements and remittances in, lettrage out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _top(
    ctx: typer.Context,
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant", help="The tenant (company) to act on; default: the default tenant."
        ),
    ] = None,
) -> None:
    cli = CliContext(tenant_name=tenant)
    ctx.obj = cli
    ctx.call_on_close(cli.close)


app.command("import-invoices")(files.import_invoices)
app.command("ingest")(files.ingest)
app.command("inspect")(files.inspect)
app.command("export")(files.export)
app.command("run")(lettrage.run)
app.command("demo")(demo.demo)
app.command("train")(train.train)
app.add_typer(tenant_app, name="tenant")
app.add_typer(rules_app, name="rules")
register_service_commands(app)


def main() -> None:
    """The console script's entry point."""
    app()
