"""Per-customer tightening: an automatic application a person reversed was a wrong automatic
decision, and that customer's lines then need a stricter calibrated probability
(``run.tightened_policy``; ``matcher.thresholds`` for the base and the steps)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.conftest import LedgerBuilder, proposal

from cashapp.domain.proposals import DecisionKind
from cashapp.matcher import load_matcher
from cashapp.matcher.api import MatchPolicy
from cashapp.reconciliation.apply import ActorType, reverse_application
from cashapp.reconciliation.review_actions import reverse_reviewed
from cashapp.reconciliation.run import prepare_run, run_lettrage, tightened_policy
from cashapp.storage import review
from cashapp.storage.labels import count_reversed_automatic
from cashapp.storage.transactions import read_session, write_transaction


def test_the_policy_tightens_per_reversal_from_the_stricter_of_target_and_floor() -> None:
    default = tightened_policy(MatchPolicy(), {"C1": 1, "C2": 2, "C3": 0})
    assert default.per_customer_threshold == pytest.approx({"C1": 0.9999, "C2": 0.99999})
    loose_target = tightened_policy(MatchPolicy(auto_precision=0.95), {"C1": 1})
    assert loose_target.per_customer_threshold == pytest.approx({"C1": 0.999})  # from the floor
    stricter = tightened_policy(MatchPolicy(per_customer_threshold={"C1": 0.99999, "C9": 0.995}),
                                {"C1": 1})
    assert stricter.per_customer_threshold == pytest.approx({"C1": 0.99999, "C9": 0.995})
    assert tightened_policy(MatchPolicy(), {}) == MatchPolicy()


def _reverse(ledger: LedgerBuilder, application: int, *, person: bool = True) -> None:
    with write_transaction(ledger.engine) as session:
        if person:
            reverse_reviewed(session, ledger.tenant, application, actor="alice", reason="wrong")
        else:
            reverse_application(session, ledger.tenant, application, actor_type=ActorType.MODEL,
                                actor_id="cleanup", reason="re-run")


def test_only_automatic_applications_a_person_reversed_count(ledger: LedgerBuilder) -> None:
    for number, customer in (("INV-1", "C1"), ("INV-2", "C2"), ("INV-3", "C3"), ("INV-4", "C4")):
        ledger.invoice(number, "100.00", customer=customer)
    named, unnamed, by_model, confirmed = ledger.lines(
        ("100.00", "INV-1"), ("100.00", "INV-2"), ("100.00", "INV-3"), ("100.00", "INV-4"))
    one = proposal(("invoice", "INV-1", "100.00"))
    _reverse(ledger, ledger.apply(named, replace(one, customer_id="C1")))  # the decision names C1
    _reverse(ledger, ledger.apply(unnamed, proposal(("invoice", "INV-2", "100.00"))))  # by invoice
    _reverse(ledger, ledger.apply(by_model, proposal(("invoice", "INV-3", "100.00"))), person=False)
    _reverse(ledger, ledger.apply(confirmed, proposal(("invoice", "INV-4", "100.00")), user=True))
    with read_session(ledger.engine) as session:
        assert count_reversed_automatic(session, ledger.tenant) == {"C1": 1, "C2": 1}
        assert prepare_run(session, ledger.tenant).reversals == {"C1": 1, "C2": 1}


def test_after_a_reversal_a_line_at_the_old_threshold_waits_in_review(ledger: LedgerBuilder) -> None:
    """The rules matcher gives a certain line 0.999, the default threshold: applied for a
    customer nobody reversed, kept for review for the one whose automatic booking was undone."""
    ledger.invoice("INV-1", "100.00", customer="C1")
    ledger.invoice("INV-2", "200.00", customer="C1")
    ledger.invoice("INV-3", "300.00", customer="C2")
    (wrong,) = ledger.lines(("100.00", "INV-1"), payer="Customer C1")
    _reverse(ledger, ledger.apply(wrong, proposal(("invoice", "INV-1", "100.00"))))
    (c1,) = ledger.lines(("200.00", "INV-2"), payer="Customer C1")
    (c2,) = ledger.lines(("300.00", "INV-3"), payer="Customer C2")
    matcher = load_matcher(rules_only=True)
    with read_session(ledger.engine) as session:
        work = prepare_run(session, ledger.tenant)
    (task,) = [t for t in work.tasks if t.key == str(c1)]
    (before,) = matcher.match([task], work.ledger, MatchPolicy())
    assert before.decision is DecisionKind.AUTO and before.best is not None
    assert before.best.confidence == MatchPolicy().auto_precision  # exactly the old threshold
    (after,) = matcher.match([task], work.ledger, work.tightened(MatchPolicy()))
    assert after.decision is DecisionKind.SUGGESTED and after.best == before.best
    summary = run_lettrage(ledger.engine, ledger.tenant, matcher=matcher, policy=MatchPolicy())
    with read_session(ledger.engine) as session:
        states = {s.line.id: s.state for s in review.list_lines(session, ledger.tenant)}
    assert states[c1] == "suggested" and states[wrong] == "suggested"  # C1 waits for a person
    assert states[c2] == "applied" and (summary.applied, summary.suggested) == (1, 2)


def test_a_tightened_customers_decisions_record_its_threshold() -> None:
    from cashapp.reconciliation.run import run_actor

    actor = run_actor(load_matcher(rules_only=True), tightened_policy(MatchPolicy(), {"C1": 1}))
    paid = proposal(("invoice", "INV-1", "100.00"))
    assert actor.threshold_for(replace(paid, customer_id="C1")) == pytest.approx(0.9999)
    assert actor.threshold_for(replace(paid, customer_id="C2")) == actor.threshold == 0.999
    assert actor.threshold_for(paid) == 0.999  # no customer named: the run's threshold
