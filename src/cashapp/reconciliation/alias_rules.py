"""Learned payer aliases, the use cases: propose from what people confirmed, decide, and hand
the accepted ones to the run.

``refresh_alias_rules`` reads the learning loop's labels (``labels.list_labelled_decisions``:
the live applications people decided), takes each confirmed line whose invoices belong to one
customer as "this payer paid for that customer", and stores what ``matcher.aliases`` proposes
from them, the accepted rules counted as known. A rule a person rejected is never proposed
again. ``accept_alias_rule`` / ``reject_alias_rule`` decide a proposed rule at the version the
person saw (409 otherwise, as the review actions). ``run.prepare_run`` puts the accepted
ones in ``LedgerView.learned_accounts`` / ``learned_names`` (``storage.alias_rules.learned_aliases``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from cashapp.core.clock import utc_now
from cashapp.core.errors import ConflictError, NotFoundError
from cashapp.domain.statements import BankLine
from cashapp.matcher.aliases import propose_aliases
from cashapp.reconciliation.labels import LabelledDecisions, list_labelled_decisions
from cashapp.storage import Session
from cashapp.storage import alias_rules as store
from cashapp.storage.alias_rules import AliasRuleView, RefreshCounts, RuleStatus, learned_aliases


def confirmed_payers(decisions: LabelledDecisions) -> Iterator[tuple[BankLine, str]]:
    """Each labelled line a person booked on invoices of one customer, with that customer
    (a rejection, an on-account booking or invoices of several customers name nobody)."""
    customer_of = {i.invoice_number: i.customer_id for i in decisions.ledger.open_items}
    for task in decisions.lines:
        right = decisions.right.get(task.key)
        customers = {customer_of.get(a.invoice_number) for a in right or () if a.invoice_number}
        if len(customers) == 1 and None not in customers:
            yield task.line, str(customers.pop())


def refresh_alias_rules(session: Session, tenant: int) -> RefreshCounts:
    """Propose alias rules from every confirmed line of the tenant (flushes, no commit)."""
    decisions = list_labelled_decisions(session, tenant, with_history=False)
    learned = learned_aliases(session, tenant)
    ledger = replace(decisions.ledger, learned_accounts=learned.accounts,
                     learned_names=learned.names)
    proposals = [
        store.Proposed(kind=rule.kind, value=rule.value, key=rule.key,
                       customer_key=rule.customer_id, times_seen=rule.support)
        for rule in propose_aliases(ledger, confirmed_payers(decisions))
    ]
    return store.store_proposals(session, tenant, proposals, at=utc_now())


class StaleRule(ConflictError):
    def __init__(self, current: int) -> None:
        super().__init__(f"the rule changed since you saw it (now at version {current})",
                         code="stale_version")
        self.current = current


class RuleDecided(ConflictError):
    def __init__(self, status: str) -> None:
        super().__init__(f"the rule is already {status}", code="already_decided")


def decide_alias_rule(
    session: Session, tenant: int, rule_id: int, *, accept: bool, actor: str,
    version_seen: int | None = None,
) -> AliasRuleView:
    """Accept or reject a proposed rule; ``version_seen`` None takes the current version
    (the command line, where the person just read it). 404 for another tenant's rule, 409
    ``already_decided`` / ``stale_version`` when someone decided or a refresh moved it."""
    current = store.find_alias_rule(session, tenant, rule_id)
    if current is None:
        raise NotFoundError(f"no alias rule {rule_id}")
    if current.status != RuleStatus.PROPOSED:
        raise RuleDecided(current.status)
    seen = current.version if version_seen is None else version_seen
    status = RuleStatus.ACCEPTED if accept else RuleStatus.REJECTED
    if not store.decide(session, tenant, rule_id, status=status, version_seen=seen, actor=actor,
                        at=utc_now()):
        now = store.find_alias_rule(session, tenant, rule_id)
        if now is None:
            raise NotFoundError(f"no alias rule {rule_id}")  # withdrawn meanwhile
        if now.status != RuleStatus.PROPOSED:
            raise RuleDecided(now.status)
        raise StaleRule(now.version)
    decided = store.find_alias_rule(session, tenant, rule_id)
    assert decided is not None
    return decided

