"""``cashapp apikey create/list/revoke`` and ``cashapp nightly`` through the Typer app, with
the service commands registered as the lead will register them."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cashapp.cli.app import app as ledger_app
from cashapp.cli.service import register_service_commands
from cashapp.storage.apikeys import authenticate_key
from cashapp.storage.database import open_database
from cashapp.storage.transactions import read_session


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[typer.Typer, str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CASHAPP_DATABASE_URL", url)
    monkeypatch.setenv("CASHAPP_INBOX", str(tmp_path / "inbox"))
    app = typer.Typer()
    app.registered_commands = list(ledger_app.registered_commands)
    app.registered_groups = list(ledger_app.registered_groups)
    app.registered_callback = ledger_app.registered_callback
    register_service_commands(app)
    return app, url


def test_apikey_create_prints_a_working_key_once(cli: tuple[typer.Typer, str]) -> None:
    app, url = cli
    runner = CliRunner()
    assert runner.invoke(app, ["tenant", "create", "acme"]).exit_code == 0
    created = runner.invoke(app, ["apikey", "create", "--tenant", "acme", "--scope", "read", "--scope", "review"])
    assert created.exit_code == 0, created.output
    key = created.output.strip()
    assert key.startswith("cak_")
    engine = open_database(url)
    with read_session(engine) as s:
        principal = authenticate_key(s, key)
    assert principal is not None and {p.value for p in principal.scopes} == {"read", "review"}
    listed = runner.invoke(app, ["apikey", "list", "--tenant", "acme"])
    assert key not in listed.output and principal.key_id in listed.output
    assert runner.invoke(app, ["apikey", "revoke", principal.key_id, "--tenant", "acme"]).exit_code == 0
    with read_session(engine) as s:
        assert authenticate_key(s, key) is None
    bad = runner.invoke(app, ["apikey", "create", "--tenant", "acme", "--scope", "root"])
    assert bad.exit_code == 2
    missing = runner.invoke(app, ["apikey", "create", "--tenant", "nobody", "--scope", "read"])
    assert missing.exit_code == 2 and "no tenant" in missing.output
    engine.dispose()


def test_nightly_on_sqlite_prints_a_summary(cli: tuple[typer.Typer, str]) -> None:
    app, _ = cli
    runner = CliRunner()
    assert runner.invoke(app, ["tenant", "create", "acme"]).exit_code == 0
    result = runner.invoke(app, ["nightly"])
    assert result.exit_code == 0, result.output
    assert "nightly lettrage" in result.output and "acme" in result.output
