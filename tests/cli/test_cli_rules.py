"""``cashapp rules refresh|list|accept|reject`` on a fresh embedded database: a payer alias
two confirmations support is proposed, accepted by its id, then reaches the run's ledger;
deciding it again is a one-line error; another tenant sees nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import LedgerBuilder
from tests.reconciliation.test_alias_rules import ALIAS, _reviewed_payer
from typer.testing import CliRunner

from cashapp.cli.app import app
from cashapp.reconciliation.run import prepare_run
from cashapp.storage.engine import make_engine
from cashapp.storage.migrate import upgrade_to_head
from cashapp.storage.repositories.tenants import ensure_tenant
from cashapp.storage.transactions import read_session, write_transaction


def cashapp(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LedgerBuilder:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CASHAPP_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    engine = make_engine(url)
    upgrade_to_head(engine)
    with write_transaction(engine) as session:
        tenant = ensure_tenant(session, "default").id
    assert tenant is not None
    ledger = LedgerBuilder(engine=engine, tenant=tenant)
    _reviewed_payer(ledger)
    return ledger


def test_rules_from_proposal_to_the_run(seeded: LedgerBuilder) -> None:
    refreshed = cashapp("rules", "refresh")
    assert refreshed.exit_code == 0, refreshed.output
    assert refreshed.stdout.strip() == "alias rules: 1 new, 0 updated, 0 withdrawn"
    listed = cashapp("rules", "list", "--status", "proposed")
    assert listed.exit_code == 0, listed.output
    (line,) = listed.stdout.splitlines()
    rule_id, status, version, text = line.split("\t")
    assert (status, version) == ("proposed", "v0")
    assert text == f"payer name {ALIAS} pays for customer C1 (seen 2 times)"
    accepted = cashapp("rules", "accept", rule_id)
    assert accepted.exit_code == 0 and accepted.stdout.strip() == f"rule {rule_id} accepted"
    with read_session(seeded.engine) as session:
        assert prepare_run(session, seeded.tenant).ledger.learned_names == {ALIAS: ("C1",)}
    again = cashapp("rules", "reject", rule_id)
    assert again.exit_code == 1 and "already accepted" in again.output
    assert cashapp("rules", "list", "--status", "proposed").stdout == ""
    assert cashapp("rules", "list", "--status", "maybe").exit_code == 2
    assert cashapp("tenant", "create", "other").exit_code == 0
    assert cashapp("--tenant", "other", "rules", "list").stdout == ""
    assert cashapp("--tenant", "other", "rules", "accept", rule_id).exit_code == 1
