"""The learning loop: what people decide in review comes out as labelled examples.

Confirmed and changed applications label their line with the allocation applied; a rejection
labels "none of these"; the matcher's own applications and reversed decisions are no labels;
the ledger is rebuilt to what the reviewer saw."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from tests.api.scenario import suggest
from tests.conftest import LedgerBuilder, proposal

from cashapp.domain.proposals import AllocationKind, ProposedAllocation
from cashapp.domain.reasons import ReasonCode
from cashapp.reconciliation.labels import LabelledDecisions, list_labelled_decisions
from cashapp.reconciliation.review_actions import (
    ReviewAction,
    apply_reviewed,
    reject_proposals,
    reverse_reviewed,
)
from cashapp.storage import review as store
from cashapp.storage.labels import list_confirmed_applications
from cashapp.storage.transactions import read_session, write_transaction
from cashapp.training.review_labels import labelled_sets


def _seen(engine: Engine, tenant: int, line: int) -> int:
    with read_session(engine) as session:
        return store.line_version(session, tenant, line)


def _review(ledger: LedgerBuilder) -> dict[str, int]:
    """Five lines: confirmed, changed (with a deduction), rejected, auto-applied, reversed."""
    for number, amount in (("INV-1001", "100.00"), ("INV-1002", "80.00"), ("INV-1003", "50.00"),
                           ("INV-1004", "30.00"), ("INV-1005", "20.00")):
        ledger.invoice(number, amount)
    confirm, change, reject, auto, undone = ledger.lines(
        ("100.00", "INV-1001"), ("70.00", "INV-1002 less 10 damaged"), ("12.34", "interest"),
        ("30.00", "INV-1004"), ("20.00", "INV-1005"))
    engine, tenant = ledger.engine, ledger.tenant
    suggest(engine, tenant, change, proposal(("invoice", "INV-1003", "50.00"), ("on_account", None, "20.00")))
    suggest(engine, tenant, reject, proposal(("invoice", "INV-1005", "12.34")))
    with write_transaction(engine) as s:
        apply_reviewed(s, tenant, confirm, [ProposedAllocation(kind=AllocationKind.INVOICE, amount=Decimal("100.00"), invoice_number="INV-1001")],
                       version_seen=_seen(engine, tenant, confirm), action=ReviewAction.CONFIRM, actor="alice", customer_id="C1")
    with write_transaction(engine) as s:
        apply_reviewed(s, tenant, change, [
            ProposedAllocation(kind=AllocationKind.INVOICE, amount=Decimal("70.00"), invoice_number="INV-1002"),
            ProposedAllocation(kind=AllocationKind.DEDUCTION, amount=Decimal("10.00"), invoice_number="INV-1002",
                               reason_code=ReasonCode.DAMAGED)],
            version_seen=_seen(engine, tenant, change), action=ReviewAction.CHANGE, actor="bob")
    with write_transaction(engine) as s:
        reject_proposals(s, tenant, reject, version_seen=_seen(engine, tenant, reject), actor="alice", reason="interest")
    ledger.apply(auto, proposal(("invoice", "INV-1004", "30.00")))  # the matcher's: no label
    with write_transaction(engine) as s:
        undone_app = apply_reviewed(s, tenant, undone, [ProposedAllocation(kind=AllocationKind.INVOICE, amount=Decimal("20.00"), invoice_number="INV-1005")],
                                    version_seen=_seen(engine, tenant, undone), action=ReviewAction.CONFIRM, actor="bob")
    with write_transaction(engine) as s:
        reverse_reviewed(s, tenant, undone_app.applied.application_id, actor="bob", reason="wrong customer")
    return {"confirm": confirm, "change": change, "reject": reject, "auto": auto, "undone": undone}


def _labels(ledger: LedgerBuilder) -> LabelledDecisions:
    with read_session(ledger.engine) as session:
        return list_labelled_decisions(session, ledger.tenant)


def test_review_decisions_become_labelled_examples(ledger: LedgerBuilder) -> None:
    lines = _review(ledger)
    labels = _labels(ledger)
    assert dict(labels.right) == {
        str(lines["confirm"]): (ProposedAllocation(kind=AllocationKind.INVOICE, amount=Decimal("100.00"), invoice_number="INV-1001"),),
        str(lines["change"]): (
            ProposedAllocation(kind=AllocationKind.INVOICE, amount=Decimal("70.00"), invoice_number="INV-1002"),
            ProposedAllocation(kind=AllocationKind.DEDUCTION, amount=Decimal("10.00"), invoice_number="INV-1002",
                               reason_code=ReasonCode.DAMAGED)),
        str(lines["reject"]): None,
    }
    assert [t.key for t in labels.lines] == sorted(labels.right, key=int)
    assert {t.key: t.line.amount for t in labels.lines}[str(lines["change"])] == Decimal("70.00")
    open_at_review = {i.invoice_number: i.open_amount for i in labels.ledger.open_items}
    # INV-1001 and INV-1002 are closed now; the reviewer saw them open. INV-1004 went to the matcher.
    assert open_at_review == {"INV-1001": Decimal("100.00"), "INV-1002": Decimal("80.00"),
                              "INV-1003": Decimal("50.00"), "INV-1005": Decimal("20.00")}
    with read_session(ledger.engine) as session:  # read in pages, the same two applications
        paged = list_confirmed_applications(session, ledger.tenant, page=1)
        assert [v.application.bank_line_id for v in paged] == [lines["confirm"], lines["change"]]
    (labelled,) = labelled_sets(labels.ledger, labels.lines, labels.right)
    change_line = next(t for t in labelled.lines if t.key == str(lines["change"]))
    assert "INV-1002" in {r.normalized for r in change_line.references}


def test_no_decisions_no_labelled_set(ledger: LedgerBuilder) -> None:
    labels = _labels(ledger)
    assert labels.lines == [] and labelled_sets(labels.ledger, labels.lines, labels.right) == []


def test_cashapp_train_learns_from_reviews(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``cashapp train`` on tiny generated sets plus the tenant's decisions promotes into an
    empty model directory (refusing a worse model: tests/training/test_matcher_training.py)."""
    from typer.testing import CliRunner

    from cashapp.cli.app import app
    from cashapp.matcher.model import load_scorer
    from cashapp.storage.engine import make_engine
    from cashapp.storage.migrate import upgrade_to_head
    from cashapp.storage.repositories.tenants import create_tenant

    url = f"sqlite:///{tmp_path / 'train.db'}"
    monkeypatch.setenv("CASHAPP_DATABASE_URL", url)
    engine = make_engine(url)
    upgrade_to_head(engine)
    with write_transaction(engine) as s:
        tenant = create_tenant(s, "acme").id
    assert tenant is not None
    _review(LedgerBuilder(engine=engine, tenant=tenant))
    engine.dispose()
    models = tmp_path / "models"
    models.mkdir()
    run = CliRunner().invoke(app, ["train", "--tenant", "acme", "--model-dir", str(models), "--version", "r1",
                                   "--generated-lines", "200", "--generated-sets", "2"], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert "r1: promoted (3 reviewed lines)" in run.stdout
    assert load_scorer(models).version == "r1"
    assert "3 reviewed lines in 1 sets" in (models / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_labelled_lines_see_the_payer_history_but_not_their_own_label(ledger: LedgerBuilder) -> None:
    _review(ledger)
    history = _labels(ledger).ledger.customer_history
    # C1's live applications: the two labelled ones (left out: a label must not feed its own
    # features) and the matcher's INV-1004 (the history the reviewer's line had); the
    # reversed one is not live
    assert set(history) == {"C1"} and history["C1"].payments == 1


def test_labels_see_the_history_of_their_own_time(ledger: LedgerBuilder) -> None:
    """Decisions on old statements train with the payer's habits of the 730 days before the
    labelled lines (``customer_history_as_of``), as the run does, not of the 730 days before
    today: a 2015 backlog keeps its history, and a payment after its latest line is left out."""
    from datetime import date

    ledger.invoice("INV-1", "100.00", customer="C1", issued=date(2015, 1, 1))
    ledger.invoice("INV-2", "100.00", customer="C1", issued=date(2015, 2, 1))
    ledger.invoice("INV-3", "100.00", customer="C2", issued=date(2015, 2, 1))
    [paid_before] = ledger.lines(("100.00", "INV-1"), booked=date(2015, 2, 10))
    ledger.apply(paid_before, proposal(("invoice", "INV-1", "100.00")))  # the matcher's
    [reviewed] = ledger.lines(("100.00", "INV-2"), booked=date(2015, 3, 10))
    engine, tenant = ledger.engine, ledger.tenant
    with write_transaction(engine) as s:
        apply_reviewed(s, tenant, reviewed, [ProposedAllocation(kind=AllocationKind.INVOICE, amount=Decimal("100.00"), invoice_number="INV-2")],
                       version_seen=_seen(engine, tenant, reviewed), action=ReviewAction.CONFIRM, actor="alice", customer_id="C1")
    [paid_after] = ledger.lines(("100.00", "INV-3"), booked=date(2015, 6, 1))
    ledger.apply(paid_after, proposal(("invoice", "INV-3", "100.00")))

    labels = _labels(ledger)
    assert [t.key for t in labels.lines] == [str(reviewed)]
    assert set(labels.ledger.customer_history) == {"C1"}  # C2 paid after the as-of date
    assert labels.ledger.customer_history["C1"].payments == 1  # not the label itself
