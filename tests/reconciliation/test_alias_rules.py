"""Learned payer aliases through the product: proposed from what people confirmed, decided
by a person, and the accepted ones used by the next run (SQLite and PostgreSQL).

A payer that writes itself "MMB HOLDING" (no account: an OFX-like line) is not any
customer's name; after two confirmed lines the learning loop proposes "payer name MMB
HOLDING pays for customer C1"; accepted, the run identifies such a line by it; rejected, it
is neither used nor proposed again; another tenant never sees it."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from tests.conftest import LedgerBuilder

from cashapp.core.clock import utc_now
from cashapp.core.errors import ConflictError, NotFoundError
from cashapp.domain.proposals import AllocationKind, DecisionKind, MatchResult, ProposedAllocation
from cashapp.domain.statements import BankLine
from cashapp.matcher import load_matcher
from cashapp.matcher.api import LineToMatch, MatchPolicy
from cashapp.matcher.normalize import name_key
from cashapp.reconciliation.alias_rules import decide_alias_rule, refresh_alias_rules
from cashapp.reconciliation.review_actions import ReviewAction, apply_reviewed
from cashapp.reconciliation.run import prepare_run, run_lettrage
from cashapp.storage import alias_rules as store
from cashapp.storage import review
from cashapp.storage.repositories.tenants import create_tenant
from cashapp.storage.transactions import read_session, write_transaction

ALIAS = "MMB HOLDING"
NAME = "Müller Maschinenbau GmbH"


def _confirm(ledger: LedgerBuilder, line: int, number: str, amount: str) -> None:
    engine, tenant = ledger.engine, ledger.tenant
    with read_session(engine) as session:
        seen = review.line_version(session, tenant, line)
    with write_transaction(engine) as session:
        apply_reviewed(session, tenant, line, [ProposedAllocation(
            kind=AllocationKind.INVOICE, amount=Decimal(amount), invoice_number=number)],
            version_seen=seen, action=ReviewAction.CONFIRM, actor="alice")


def _reviewed_payer(ledger: LedgerBuilder) -> None:
    """Two lines from ``ALIAS`` a person booked on C1's invoices; a third line of C1 to match."""
    ledger.invoice("INV-1001", "100.00", customer_name=NAME)
    ledger.invoice("INV-1002", "200.00", customer_name=NAME)
    ledger.invoice("INV-1003", "1234.56", customer_name=NAME)
    ledger.invoice("INV-2001", "999.00", customer="C2", customer_name="Acme Trading Ltd")
    first, second = ledger.lines(("100.00", "INV-1001"), ("200.00", "INV-1002"), payer=ALIAS)
    _confirm(ledger, first, "INV-1001", "100.00")
    _confirm(ledger, second, "INV-1002", "200.00")


def _refresh(ledger: LedgerBuilder) -> store.RefreshCounts:
    with write_transaction(ledger.engine) as session:
        return refresh_alias_rules(session, ledger.tenant)


def _rules(engine: Engine, tenant: int) -> list[store.AliasRuleView]:
    with read_session(engine) as session:
        return store.list_alias_rules(session, tenant)


def _decide(ledger: LedgerBuilder, rule_id: int, *, accept: bool, version: int | None = None) -> None:
    with write_transaction(ledger.engine) as session:
        decide_alias_rule(session, ledger.tenant, rule_id, accept=accept, actor="alice",
                          version_seen=version)


def _alias_line(ledger: LedgerBuilder) -> tuple[int, MatchResult]:
    """An OFX-like line (a payer name, no account, no reference) paying C1's INV-1003, and
    what the scored matcher makes of it in the run's ledger."""
    (line,) = ledger.lines(("1234.56", "PAYMENT"), payer=ALIAS.lower())
    with read_session(ledger.engine) as session:
        work = prepare_run(session, ledger.tenant)
    (task,) = [t for t in work.tasks if t.key == str(line)]
    assert task.line.counterparty_account is None
    (result,) = load_matcher().match([task], work.ledger, MatchPolicy())
    return line, result


def _evidence(result: MatchResult) -> str:
    return " ".join(e.detail for e in result.best.evidence) if result.best else ""


def test_an_accepted_name_rule_identifies_the_payer_in_the_next_run(ledger: LedgerBuilder) -> None:
    _reviewed_payer(ledger)
    assert _refresh(ledger) == store.RefreshCounts(new=1)
    (rule,) = _rules(ledger.engine, ledger.tenant)
    assert (rule.kind, rule.value, rule.key, rule.customer_key) == (
        "name", ALIAS, name_key(ALIAS), "C1")
    assert (rule.status, rule.times_seen, rule.decided_at) == ("proposed", 2, None)
    with read_session(ledger.engine) as session:
        assert prepare_run(session, ledger.tenant).ledger.learned_names == {}  # not accepted yet
    _decide(ledger, rule.id, accept=True, version=rule.version)
    (accepted,) = _rules(ledger.engine, ledger.tenant)
    assert (accepted.status, accepted.decided_by) == ("accepted", "alice")
    assert accepted.decided_at is not None
    with read_session(ledger.engine) as session:
        assert prepare_run(session, ledger.tenant).ledger.learned_names == {ALIAS: ("C1",)}
    line, result = _alias_line(ledger)
    assert result.best is not None and result.best.customer_id == "C1"
    assert "learned payer name" in _evidence(result) and result.decision is DecisionKind.AUTO
    summary = run_lettrage(ledger.engine, ledger.tenant, matcher=load_matcher(), policy=MatchPolicy())
    assert summary.applied == 1
    with read_session(ledger.engine) as session:
        assert review.get_line_summary(session, ledger.tenant, line).state == "applied"  # type: ignore[union-attr]
    assert _refresh(ledger) == store.RefreshCounts()  # accepted: known, not proposed again


def test_without_the_rule_the_payer_is_nobody(ledger: LedgerBuilder) -> None:
    """The amount alone points at C1's invoice, from a payer nobody knows: never automatic."""
    _reviewed_payer(ledger)
    _, result = _alias_line(ledger)
    assert "learned payer name" not in _evidence(result)
    assert result.decision is not DecisionKind.AUTO


def test_a_rejected_rule_is_neither_used_nor_proposed_again(ledger: LedgerBuilder) -> None:
    _reviewed_payer(ledger)
    _refresh(ledger)
    (rule,) = _rules(ledger.engine, ledger.tenant)
    _decide(ledger, rule.id, accept=False)
    (line,) = ledger.lines(("1234.56", "INV-1003"), payer=ALIAS)  # a third confirmation
    _confirm(ledger, line, "INV-1003", "1234.56")
    assert _refresh(ledger) == store.RefreshCounts()
    (still,) = _rules(ledger.engine, ledger.tenant)
    assert (still.status, still.times_seen) == ("rejected", 2)
    with read_session(ledger.engine) as session:
        assert prepare_run(session, ledger.tenant).ledger.learned_names == {}


def test_a_decided_or_moved_rule_is_a_conflict(ledger: LedgerBuilder) -> None:
    _reviewed_payer(ledger)
    _refresh(ledger)
    (rule,) = _rules(ledger.engine, ledger.tenant)
    rule_id = rule.id
    with pytest.raises(ConflictError) as stale:
        _decide(ledger, rule_id, accept=True, version=rule.version + 1)
    assert stale.value.code == "stale_version"
    _decide(ledger, rule_id, accept=True, version=rule.version)
    for accept in (True, False):
        with pytest.raises(ConflictError) as decided:
            _decide(ledger, rule_id, accept=accept, version=rule.version)
        assert decided.value.code == "already_decided"
    with pytest.raises(NotFoundError):
        _decide(ledger, rule_id + 10_000, accept=True)


def test_a_proposal_the_lines_stop_supporting_is_withdrawn(ledger: LedgerBuilder) -> None:
    """The payer then pays for C2 too: a group payer, not an alias; the proposal goes."""
    _reviewed_payer(ledger)
    _refresh(ledger)
    (line,) = ledger.lines(("999.00", "INV-2001"), payer=ALIAS)
    _confirm(ledger, line, "INV-2001", "999.00")
    assert _refresh(ledger) == store.RefreshCounts(withdrawn=1)
    assert _rules(ledger.engine, ledger.tenant) == []


def test_another_tenants_rules_are_invisible(ledger: LedgerBuilder) -> None:
    _reviewed_payer(ledger)
    _refresh(ledger)
    (rule,) = _rules(ledger.engine, ledger.tenant)
    _decide(ledger, rule.id, accept=True)
    with write_transaction(ledger.engine) as session:
        other = create_tenant(session, f"other-{uuid.uuid4().hex[:8]}").id
    assert other is not None
    assert _rules(ledger.engine, other) == []
    with read_session(ledger.engine) as session:
        assert store.find_alias_rule(session, other, rule.id) is None
        assert prepare_run(session, other).ledger.learned_names == {}
        assert store.learned_aliases(session, other) == store.LearnedAliases(accounts={}, names={})
    with pytest.raises(NotFoundError), write_transaction(ledger.engine) as session:
        decide_alias_rule(session, other, rule.id, accept=False, actor="mallory")
    with write_transaction(ledger.engine) as session:
        assert refresh_alias_rules(session, other) == store.RefreshCounts()


def test_an_accepted_account_rule_reaches_the_ledger_by_its_written_value(ledger: LedgerBuilder) -> None:
    """Stored as written, keyed by ``iban_key``; the run's ledger gets the written value (the
    matcher's index normalises it with the same function)."""
    ledger.invoice("INV-1", "10.00", customer="C7")
    written = "de89 3704 0044 0532 0130 00"
    with write_transaction(ledger.engine) as session:
        store.store_proposals(session, ledger.tenant, [store.Proposed(
            kind="account", value=written, key="DE89370400440532013000", customer_key="C7",
            times_seen=3)], at=utc_now())
    (rule,) = _rules(ledger.engine, ledger.tenant)
    _decide(ledger, rule.id, accept=True)
    with read_session(ledger.engine) as session:
        learned = prepare_run(session, ledger.tenant).ledger
    assert learned.learned_accounts == {written: ("C7",)} and learned.learned_names == {}
    line = BankLine(bank_ref="B1", entry=0, amount=Decimal("10.00"), currency="EUR",
                    counterparty_account="DE89370400440532013000", counterparty_name="?")
    (result,) = load_matcher().match([LineToMatch(key="1", line=line)], learned, MatchPolicy())
    assert result.best is not None and result.best.customer_id == "C7"
    assert "learned account" in " ".join(e.detail for e in result.best.evidence)
