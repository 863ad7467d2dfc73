"""Review actions: a person confirms, changes, splits, writes off, rejects or reverses.

Each action carries the line's version the person saw; if the line moved since (someone
else applied, reversed or rejected), the action is refused with a 409 ``stale_version``.
Every action is written to the review audit (``review_action``) in the same transaction as
its effect: that trail is the audit and the learning loop's labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from cashapp.core.errors import ConflictError, NotFoundError
from cashapp.domain.proposals import AllocationKind, Evidence, Proposal, ProposedAllocation
from cashapp.domain.reasons import ReasonCode
from cashapp.reconciliation.apply import ActorType, Applied, apply_proposal, reverse_application
from cashapp.storage import Session
from cashapp.storage import review as store
from cashapp.storage.repositories import ledger


class ReviewAction(StrEnum):
    CONFIRM = "confirm"  # the top proposal as it is
    CHANGE = "change"  # another allocation
    SPLIT = "split"  # across several invoices and/or on account
    WRITE_OFF = "write_off"  # paid in full, the difference written off with a reason


class StaleVersion(ConflictError):
    def __init__(self, current: int) -> None:
        super().__init__(f"the bank line changed since you saw it (now at version {current})",
                         code="stale_version")
        self.current = current


def _check_version(session: Session, tenant: int, bank_line_id: int, seen: int) -> int:
    line = ledger.lock_bank_line(session, tenant, bank_line_id)  # lock first: versions are stable
    if line is None:
        raise NotFoundError(f"no bank line {bank_line_id}")
    current = store.line_version(session, tenant, bank_line_id)
    if current != seen:
        raise StaleVersion(current)
    return current


@dataclass(frozen=True, slots=True)
class Reviewed:
    applied: Applied
    version: int


def apply_reviewed(
    session: Session,
    tenant: int,
    bank_line_id: int,
    allocations: Sequence[ProposedAllocation],
    *,
    version_seen: int,
    action: ReviewAction,
    actor: str,
    customer_id: str | None = None,
    note: str = "",
) -> Reviewed:
    """Apply what the reviewer decided, as a ``confirmed`` decision by a user."""
    _check_version(session, tenant, bank_line_id, version_seen)
    suggestion = store.find_suggestion(session, tenant, bank_line_id)
    proposal = Proposal(
        allocations=tuple(allocations),
        confidence=1.0,
        customer_id=customer_id,
        evidence=(Evidence(name="reviewed", detail=f"{action.value} by {actor}" + (f": {note}" if note else "")),),
        model_version=(suggestion.model_version if suggestion and suggestion.model_version else "review"),
    )
    applied = apply_proposal(session, tenant, bank_line_id, proposal,
                             actor_type=ActorType.USER, actor_id=actor)
    store.add_review_action(
        session, tenant_id=tenant, bank_line_id=bank_line_id, actor=actor, action=action.value,
        version_seen=version_seen, application_id=applied.application_id,
        detail={"allocations": [
            {"kind": a.kind.value, "amount": str(a.amount), "invoice_number": a.invoice_number,
             "reason_code": a.reason_code.value if a.reason_code else None} for a in allocations],
            "note": note, "suggested_confidence": suggestion.confidence if suggestion else None},
    )
    return Reviewed(applied=applied, version=store.line_version(session, tenant, bank_line_id))


def reject_proposals(session: Session, tenant: int, bank_line_id: int, *, version_seen: int,
                     actor: str, reason: str = "") -> int:
    """Every proposal is wrong: the line stays open, unmatched; returns the new version."""
    _check_version(session, tenant, bank_line_id, version_seen)
    if ledger.find_live_application(session, tenant, bank_line_id) is not None:
        raise ConflictError("the line is applied: reverse the application instead", code="already_applied")
    store.mark_suggestion_rejected(session, tenant, bank_line_id)
    store.add_review_action(session, tenant_id=tenant, bank_line_id=bank_line_id, actor=actor,
                            action="reject", version_seen=version_seen, detail={"reason": reason})
    return store.line_version(session, tenant, bank_line_id)


def reverse_reviewed(session: Session, tenant: int, application_id: int, *, actor: str,
                     reason: str = "", version_seen: int | None = None) -> int:
    """Reverse an application (never delete); returns the reversing application's id."""
    original = ledger.find_application(session, tenant, application_id)
    if original is None:
        raise NotFoundError(f"no application {application_id}")
    if version_seen is not None:
        _check_version(session, tenant, original.bank_line_id, version_seen)
    reversal_id = reverse_application(session, tenant, application_id, actor_type=ActorType.USER,
                                      actor_id=actor, reason=reason)
    store.add_review_action(session, tenant_id=tenant, bank_line_id=original.bank_line_id, actor=actor,
                            action="reverse", version_seen=version_seen or 0,
                            application_id=application_id, detail={"reason": reason})
    return reversal_id


def write_off_allocations(
    cash: Decimal, open_amounts: Sequence[tuple[str, Decimal]], reason: ReasonCode
) -> list[ProposedAllocation]:
    """"Paid in full": the cash settles the invoices in order, what it does not cover is written
    off with ``reason``; cash beyond all of them stays on account."""
    out: list[ProposedAllocation] = []
    remaining = cash
    for number, open_amount in open_amounts:
        if open_amount <= 0:
            continue
        paid = min(open_amount, remaining)
        if paid > 0:
            out.append(ProposedAllocation(kind=AllocationKind.INVOICE, amount=paid, invoice_number=number))
        if open_amount - paid > 0:
            out.append(ProposedAllocation(kind=AllocationKind.WRITE_OFF, amount=open_amount - paid,
                                          invoice_number=number, reason_code=reason))
        remaining -= paid
    if remaining > 0:
        out.append(ProposedAllocation(kind=AllocationKind.ON_ACCOUNT, amount=remaining))
    return out
