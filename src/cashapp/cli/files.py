"""Files in and out: ``import-invoices``, ``ingest``, ``inspect`` and ``export``."""

from __future__ import annotations

import json
import os
import tempfile
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cashapp.cli.context import TenantOption, context, fail, progress, stderr
from cashapp.core.errors import CashappError, InputError

# Each command imports the readers, use cases and storage it needs when it runs, so that
# ``--help`` and the other commands start without them (test_cli_startup.py).
if TYPE_CHECKING:
    from cashapp.core.settings import Settings
    from cashapp.domain.remittances import RemittanceFile
    from cashapp.domain.statements import StatementFile
    from cashapp.reconciliation.ingest import StoredFile
    from cashapp.storage import Engine, Session


def import_invoices(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The open-items CSV (CONTRACT.md).")],
    tenant: TenantOption = None,
) -> None:
    """Upsert open items (and their customers) from CSV; the same file twice changes nothing."""
    from cashapp.extractors.openitems import read_open_items
    from cashapp.reconciliation.open_items import import_open_items
    from cashapp.storage.transactions import run_in_transaction

    cli = context(ctx, tenant=tenant)
    try:
        items = read_open_items(file.read_bytes(), source=str(file))
        tenant_id = cli.tenant_id()
        counts = run_in_transaction(cli.engine, lambda s: import_open_items(s, tenant_id, items))
    except (CashappError, OSError) as error:
        raise fail(error) from error
    typer.echo(
        f"{file}: {len(items)} open items ({counts.created} new, {counts.updated} updated, "
        f"{counts.unchanged} unchanged), {counts.customers_created} new customers"
    )


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.exists():
            found.append(path)
        else:
            raise InputError("no such file or folder", file=str(path))
    return found


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Statement or remittance files, or folders.")],
    tenant: TenantOption = None,
) -> None:
    """Store bank statements and remittance advices; the format is read from the content.

    Each file is stored whole or not at all: an unreadable file is reported on one line
    (and makes the exit status non-zero) while the readable ones are stored.
    """
    cli = context(ctx, tenant=tenant)
    try:
        files = _files(paths)
        tenant_id = cli.tenant_id()
    except (CashappError, OSError) as error:
        raise fail(error) from error
    failures = 0
    for path in progress(files, total=len(files), label="ingesting"):
        try:
            typer.echo(_ingest_one(cli.engine, tenant_id, path, settings=cli.settings))
        except InputError as error:
            failures += 1
            stderr().print(f"error: {error}", markup=False, soft_wrap=True)
        except (CashappError, OSError) as error:
            raise fail(error) from error
    if failures:
        raise typer.Exit(code=2)


def _ingest_one(engine: Engine, tenant: int, path: Path, *, settings: Settings) -> str:
    from cashapp.extractors.read import read_untrusted
    from cashapp.reconciliation.ingest import sha256_of
    from cashapp.storage.repositories.bank import find_file
    from cashapp.storage.transactions import read_session, run_in_transaction

    data = path.read_bytes()
    sha = sha256_of(data)
    with read_session(engine) as session:
        if find_file(session, tenant, sha) is not None:
            return f"{path}: already ingested (same content), nothing changed"
    # Parsed in a limited child process (RELIABILITY 3.1), never in this one.
    content = read_untrusted(data, source=str(path), settings=settings)
    stored = run_in_transaction(
        engine, partial(_store, tenant=tenant, content=content, data=data, sha=sha, path=path)
    )
    return _describe(path, stored)


def _store(
    session: Session,
    *,
    tenant: int,
    content: StatementFile | RemittanceFile,
    data: bytes,
    sha: str,
    path: Path,
) -> StoredFile:
    from cashapp.domain.statements import StatementFile
    from cashapp.reconciliation.ingest import store_remittance_file, store_statement_file

    if isinstance(content, StatementFile):
        return store_statement_file(
            session,
            tenant,
            content,
            sha256=sha,
            filename=str(path),
            size_bytes=len(data),
        )
    return store_remittance_file(
        session,
        tenant,
        content,
        sha256=sha,
        filename=str(path),
        size_bytes=len(data),
    )


def _describe(path: Path, stored: StoredFile) -> str:
    if not stored.created:
        return f"{path}: already ingested (same content), nothing changed"
    if stored.kind == "remittance":
        return f"{path}: {stored.format} remittance, {stored.remittances} advices stored"
    return (
        f"{path}: {stored.format}, {stored.statements} statements, {stored.lines_new} new lines, "
        f"{stored.lines_known} already known"
    )


def inspect(file: Annotated[Path, typer.Argument(help="A statement or remittance file.")]) -> None:
    """Print what cashapp reads from FILE as JSON; stores nothing."""
    from cashapp.domain.statements import StatementFile
    from cashapp.extractors.inspect_json import remittance_file_json, statement_file_json
    from cashapp.extractors.read import read_untrusted

    try:
        parsed = read_untrusted(file, source=str(file))
    except (CashappError, OSError) as error:
        raise fail(error) from error
    data = (
        statement_file_json(parsed)
        if isinstance(parsed, StatementFile)
        else remittance_file_json(parsed)
    )
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the lettrage.")],
    format: Annotated[
        ExportFormat, typer.Option("--format", help="csv or jsonl.")
    ] = ExportFormat.CSV,
    tenant: TenantOption = None,
) -> None:
    """Write the lettrage: every allocation of every bank line (CONTRACT.md)."""
    from cashapp.reconciliation.export import (
        export_lettrage,
        write_lettrage_csv,
        write_lettrage_jsonl,
    )
    from cashapp.storage.transactions import read_session

    cli = context(ctx, tenant=tenant)
    try:
        tenant_id = cli.tenant_id()
        target = file.resolve()
        # Written beside the target and renamed into place: never half a file.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with (
                os.fdopen(handle, "w", encoding="utf-8", newline="") as out,
                read_session(cli.engine) as session,
            ):
                rows = export_lettrage(session, tenant_id)
                if format is ExportFormat.CSV:
                    count = write_lettrage_csv(rows, out)
                else:
                    count = write_lettrage_jsonl(rows, out)
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (CashappError, OSError) as error:
        raise fail(error) from error
    typer.echo(f"{file}: {count} rows ({format.value})")
