"""The lettrage run on stored lines with the real (rules) matcher and text extractor:
certain payments applied, the rest kept for review, the ledger sound afterwards."""

from __future__ import annotations

from decimal import Decimal

from cashapp.domain.proposals import DecisionKind
from cashapp.matcher import load_matcher
from cashapp.matcher.api import MatchPolicy
from cashapp.reconciliation.audit import audit_ledger
from cashapp.reconciliation.export import export_lettrage
from cashapp.reconciliation.run import prepare_run, record_result
from cashapp.storage.transactions import read_session, run_in_transaction

NAME = "Müller Maschinenbau GmbH"


def test_run_applies_the_certain_and_queues_the_rest(engine, tenant, ledger) -> None:
    for number in ("INV-1001", "INV-1002", "INV-1003"):
        ledger.invoice(number, "1000.00", customer_name=NAME)
    ledger.invoice("INV-1004", "500.00", customer="C2", customer_name="Acme Trading Ltd")
    ids = ledger.lines(
        ("1000.00", "INV-1001"),
        ("1200.00", "INV-1003"),
        ("950.00", "INV-1002 minus 50.00 promotion allowance"),
        ("77.00", "merci"),
        payer="MUELLER MASCHINENBAU GMBH",
    )
    policy = MatchPolicy()
    matcher = load_matcher()
    with read_session(engine) as session:
        work = prepare_run(session, tenant)
    assert [task.key for task in work.tasks] == [str(i) for i in ids]
    assert work.tasks[0].references[0].normalized == "INV-1001"
    results = matcher.match(work.tasks, work.ledger, policy)
    outcomes = [
        run_in_transaction(
            engine, lambda s, r=r: record_result(s, tenant, r, matcher=matcher, policy=policy)
        )
        for r in results
    ]
    assert outcomes[:3] == [DecisionKind.AUTO] * 3
    assert outcomes[3] in (DecisionKind.SUGGESTED, DecisionKind.UNMATCHED)
    with read_session(engine) as session:
        rows = list(export_lettrage(session, tenant))
        assert audit_ledger(session, tenant) == []
        assert prepare_run(session, tenant).tasks[0].key == str(ids[3])  # applied lines are done
    applied = [
        (r.invoice_number, r.applied_amount, r.kind, r.reason_code, r.decision) for r in rows[:5]
    ]
    assert applied == [
        ("INV-1001", "1000.00", "invoice", "", "auto"),
        ("INV-1003", "1000.00", "invoice", "", "auto"),
        ("", "200.00", "on_account", "", "auto"),
        ("INV-1002", "950.00", "invoice", "", "auto"),
        ("INV-1002", "50.00", "deduction", "promotion", "auto"),
    ]
    assert rows[0].model_version == matcher.version and rows[0].lettrage_code == "AAA"
    assert ledger.open_minor("INV-1001") == 0 and ledger.open_minor("INV-1002") == 0
    assert sum(Decimal(r.applied_amount) for r in rows[1:3]) == Decimal("1200.00")
