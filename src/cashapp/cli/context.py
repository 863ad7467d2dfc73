"""What every command shares: settings, the database (opened on first use), the tenant,
one-line errors and a progress bar that only appears on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from cashapp.core.errors import CashappError, InputError
from cashapp.core.settings import Settings, load_settings

# Start-up stays light: storage (SQLAlchemy) and rich are imported where they are used, so
# that ``--help`` and commands that need neither do not pay for them (test_cli_startup.py).
if TYPE_CHECKING:
    from rich.console import Console

    from cashapp.storage import Engine

T = TypeVar("T")


@cache
def stderr() -> Console:
    """The console for one-line errors and progress bars (made on first use)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@dataclass
class CliContext:
    """Built once per invocation by the top-level callback."""

    settings: Settings = field(default_factory=load_settings)
    tenant_name: str | None = None  # --tenant; None means the default tenant
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from cashapp.storage.database import open_database

            self._engine = open_database(self.settings.database_url)
        return self._engine

    def tenant_id(self) -> int:
        """The tenant the command acts on (the default one is created on first use)."""
        from cashapp.storage.repositories.tenants import ensure_tenant, get_tenant
        from cashapp.storage.transactions import run_in_transaction

        name = self.tenant_name
        if name is None:
            default = self.settings.default_tenant
            row = run_in_transaction(self.engine, lambda s: ensure_tenant(s, default))
        else:
            row = run_in_transaction(self.engine, lambda s: get_tenant(s, name))
        assert row.id is not None
        return row.id

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


# ``--tenant`` is accepted before the command (global) and after it (per command).
TenantOption = Annotated[
    str | None,
    typer.Option("--tenant", help="The tenant (company) to act on; default: the default tenant."),
]


def context(ctx: typer.Context, *, tenant: str | None = None) -> CliContext:
    found = ctx.find_object(CliContext)
    if found is None:  # a command invoked without the top-level callback (tests)
        found = ctx.ensure_object(CliContext)
    if tenant is not None:
        found.tenant_name = tenant
    return found


def fail(error: BaseException) -> typer.Exit:
    """Print ``error`` as the one line CONTRACT.md promises; the exit to raise."""
    stderr().print(f"error: {error}", markup=False, soft_wrap=True)
    return typer.Exit(code=2 if isinstance(error, InputError | OSError) else 1)


def on_terminal() -> bool:
    return sys.stderr.isatty()


def progress(items: Iterable[T], *, total: int, label: str) -> Iterator[T]:
    """``items``, with a progress bar on stderr when it is a terminal."""
    if not on_terminal() or total < 2:
        yield from items
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr(),
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=total)
        for item in items:
            yield item
            bar.advance(task)


__all__ = ["CashappError", "CliContext", "context", "fail", "progress", "stderr"]
