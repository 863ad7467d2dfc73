"""Learned payer aliases under the review scope: list the rules, refresh the proposals from
what people confirmed, accept or reject one. An accepted rule is used by the next run; a
rejected one is never proposed again. Another tenant's rule is a 404; a rule decided or
changed since the person saw it is a 409 (``already_decided`` / ``stale_version``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cashapp.api.deps import EngineDep, IdempotencyKey, Reviewer
from cashapp.api.rule_schemas import (
    AliasRuleDecision,
    AliasRulePage,
    AliasRuleRead,
    AliasRuleRefresh,
    RuleState,
)
from cashapp.api.schemas import MAX_PAGE
from cashapp.domain.aliases import alias_text
from cashapp.reconciliation.alias_rules import decide_alias_rule, refresh_alias_rules
from cashapp.storage import alias_rules as store
from cashapp.storage.transactions import read_session, write_transaction

router = APIRouter(prefix="/v1", tags=["alias-rules"])
RuleId = Annotated[int, Path(ge=1, le=2**62)]


def rule_read(view: store.AliasRuleView) -> AliasRuleRead:
    return AliasRuleRead(
        id=view.id, kind=view.kind, value=view.value, key=view.key,  # type: ignore[arg-type]
        customer_id=view.customer_key, times_seen=view.times_seen,
        status=view.status, version=view.version,  # type: ignore[arg-type]
        text=alias_text(view.kind, view.value, view.customer_key, view.times_seen),
        proposed_at=view.proposed_at, decided_at=view.decided_at, decided_by=view.decided_by,
    )


@router.get("/alias-rules", response_model=AliasRulePage)
def list_alias_rules(
    principal: Reviewer, engine: EngineDep, status: RuleState | None = None,
    cursor: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AliasRulePage:
    """The tenant's alias rules in id order, of one status when given."""
    with read_session(engine) as session:
        views = store.list_alias_rules(
            session, principal.tenant_id, after_id=cursor, limit=limit,
            status=store.RuleStatus(status) if status else None)
        items = [rule_read(v) for v in views]
    return AliasRulePage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.post("/alias-rules/refresh", response_model=AliasRuleRefresh)
def refresh(principal: Reviewer, engine: EngineDep, _key: IdempotencyKey) -> AliasRuleRefresh:
    """Propose rules from every line people confirmed so far (rejected rules stay rejected)."""
    with write_transaction(engine) as session:
        counts = refresh_alias_rules(session, principal.tenant_id)
    return AliasRuleRefresh(new=counts.new, updated=counts.updated, withdrawn=counts.withdrawn)


def _decide(engine: EngineDep, tenant: int, rule_id: int, key_id: str, version: int,
            *, accept: bool) -> AliasRuleRead:
    with write_transaction(engine) as session:
        view = decide_alias_rule(session, tenant, rule_id, accept=accept, actor=f"key:{key_id}",
                                 version_seen=version)
        return rule_read(view)


@router.post("/alias-rules/{rule_id}/accept", response_model=AliasRuleRead)
def accept(rule_id: RuleId, body: AliasRuleDecision, principal: Reviewer, engine: EngineDep,
           _key: IdempotencyKey) -> AliasRuleRead:
    """Accept a proposed rule: the next run takes it as evidence of the payer."""
    return _decide(engine, principal.tenant_id, rule_id, principal.key_id, body.version,
                   accept=True)


@router.post("/alias-rules/{rule_id}/reject", response_model=AliasRuleRead)
def reject(rule_id: RuleId, body: AliasRuleDecision, principal: Reviewer, engine: EngineDep,
           _key: IdempotencyKey) -> AliasRuleRead:
    """Reject a proposed rule: it is not used and never proposed again."""
    return _decide(engine, principal.tenant_id, rule_id, principal.key_id, body.version,
                   accept=False)
