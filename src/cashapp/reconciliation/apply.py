"""Apply and reverse: one bank line's application is one transaction of the caller's.

``apply_proposal`` writes the decision, the application, its allocations, the invoices'
open amounts (relative UPDATEs), the lettrage code and its outbox events (``reconciliation.ledger_events``), all flushed into
the session the edge commits. ``reverse_application`` never deletes: it writes a reversing
application, marks the original reversed and restores the open amounts. The database backs
every rule checked here (R1, R2, R3, R8, R9); the checks give clear errors first.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cashapp.core.clock import utc_now
from cashapp.core.errors import (
    AlreadyAppliedError,
    AlreadyReversedError,
    ConflictError,
    InvariantViolation,
    NotFoundError,
)
from cashapp.domain.money import AmountError, to_minor
from cashapp.domain.proposals import CASH_KINDS, AllocationKind, Proposal
from cashapp.reconciliation import ledger_events
from cashapp.reconciliation.lettrage import lettrage_code
from cashapp.storage import Session
from cashapp.storage.records import to_json
from cashapp.storage.repositories import ledger
from cashapp.storage.repositories.ledger import LockedInvoice
from cashapp.storage.repositories.tenants import next_lettrage_number


class ActorType(StrEnum):
    USER = "user"
    MODEL = "model"
    RULE = "rule"


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    application_id: int
    decision_id: int
    lettrage_code: str
    partial: bool


def apply_proposal(
    session: Session,
    tenant: int,
    bank_line_id: int,
    proposal: Proposal,
    *,
    actor_type: ActorType,
    actor_id: str,
    model_name: str | None = None,
    threshold: float | None = None,
) -> Applied:
    """Apply ``proposal`` to the bank line. ``AlreadyAppliedError`` if it has a live application.

    ``actor_type`` user means a person confirmed it (export decision ``confirmed``); model or
    rule means the service applied it (``auto``), and the proposal's model version is kept.
    """
    now = utc_now()
    line = ledger.lock_bank_line(session, tenant, bank_line_id)
    if line is None:
        raise NotFoundError(f"no bank line {bank_line_id}")
    if ledger.find_live_application(session, tenant, bank_line_id) is not None:
        raise AlreadyAppliedError()
    currency = line.currency
    amounts = minor_amounts(
        proposal, status=line.status, amount_minor=line.amount_minor, currency=currency
    )
    invoices = ledger.lock_open_items_by_number(session, tenant, proposal.invoice_numbers())
    reductions = invoice_reductions(proposal, amounts, invoices, currency=currency)
    partial = settle(reductions, {n: invoices[n].open_minor for n in reductions})
    code = lettrage_code(next_lettrage_number(session, tenant), partial=partial)
    decision_id = ledger.add_decision(
        session,
        decision_values(
            tenant,
            bank_line_id,
            proposal,
            actor_type=actor_type,
            actor_id=actor_id,
            model_name=model_name,
            threshold=threshold,
            at=now,
        ),
    )
    application_id = ledger.add_application(
        session,
        ledger.new_application(
            tenant_id=tenant,
            bank_line_id=bank_line_id,
            currency=currency,
            decision_id=decision_id,
            at=now,
            lettrage_code=code,
            lettrage_date=now.date(),
            lettrage_partial=partial,
        ),
    )
    ledger.add_allocations(
        session,
        allocation_values(
            tenant,
            application_id,
            proposal,
            amounts,
            invoice_ids={n: i.id for n, i in invoices.items()},
            currency=currency,
        ),
    )
    for number, reduction in sorted(reductions.items(), key=lambda nr: invoices[nr[0]].id):
        ledger.move_open_amount(session, tenant, invoices[number].id, -reduction)
    ledger_events.application_created(
        session,
        tenant,
        application_id=application_id,
        bank_line_id=bank_line_id,
        bank_ref=line.bank_ref,
        lettrage_code=code,
        partial=partial,
        currency=currency,
        allocations=list(zip(proposal.allocations, amounts, strict=True)),
        at=now,
    )
    return Applied(
        application_id=application_id, decision_id=decision_id, lettrage_code=code, partial=partial
    )


# The checks and rows of an application, shared with the set-based apply (``bulk_apply``) so
# that both paths refuse the same proposals and write the same rows.


def minor_amounts(proposal: Proposal, *, status: str, amount_minor: int, currency: str) -> list[int]:
    """The proposal's allocation amounts in minor units, once the line is known applicable:
    a booked incoming payment whose cash the proposal allocates exactly (R2)."""
    if status != "booked" or amount_minor <= 0:
        raise ConflictError("only booked incoming payments can be applied", code="not_applicable")
    try:
        amounts = [to_minor(a.amount, currency) for a in proposal.allocations]
    except AmountError as exc:
        raise InvariantViolation(f"allocation amount not in {currency}: {exc}") from exc
    cash = sum(
        m for a, m in zip(proposal.allocations, amounts, strict=True) if a.kind in CASH_KINDS
    )
    if cash != amount_minor:
        raise InvariantViolation(
            f"R2: the proposal allocates {cash} of a bank line of {amount_minor} (minor units)"
        )
    return amounts


def invoice_reductions(
    proposal: Proposal,
    amounts: Sequence[int],
    invoices: Mapping[str, LockedInvoice],
    *,
    currency: str,
) -> dict[str, int]:
    """What the proposal takes off each invoice's open amount, by invoice number."""
    reductions: dict[str, int] = defaultdict(int)
    for allocation, minor in zip(proposal.allocations, amounts, strict=True):
        if allocation.invoice_number is None:
            continue
        invoice = invoices.get(allocation.invoice_number)
        if invoice is None:
            raise NotFoundError(f"no open item {allocation.invoice_number!r}")
        if invoice.currency != currency:
            raise InvariantViolation(
                f"invoice {invoice.invoice_number} is in {invoice.currency},"
                f" the payment in {currency}"
            )
        reductions[invoice.invoice_number] += minor
    return dict(reductions)


def settle(reductions: Mapping[str, int], open_minor: Mapping[str, int]) -> bool:
    """Check R3 against the invoices' open amounts now; whether the lettrage is partial."""
    for number, reduction in reductions.items():
        if reduction > open_minor[number]:
            raise InvariantViolation(
                f"R3: {reduction} would exceed the {open_minor[number]} open on {number}"
            )
    return any(open_minor[n] - r > 0 for n, r in reductions.items())


def decision_values(
    tenant: int,
    bank_line_id: int,
    proposal: Proposal,
    *,
    actor_type: ActorType,
    actor_id: str,
    model_name: str | None,
    threshold: float | None,
    at: datetime,
) -> dict[str, Any]:
    """The ``decision`` row of an application: who decided, with what score and evidence."""
    evidence = to_json(
        {
            "allocations": proposal.allocations,
            "evidence": proposal.evidence,
            "customer_id": proposal.customer_id,
            "confidence": proposal.confidence,
        }
    )
    is_user = actor_type is ActorType.USER
    return {
        "tenant_id": tenant,
        "bank_line_id": bank_line_id,
        "kind": "confirmed" if is_user else "auto",
        "actor_type": actor_type.value,
        "actor_id": actor_id,
        "model_name": model_name,
        "model_version": proposal.model_version,
        "score": proposal.confidence,
        "threshold": threshold,
        "evidence": evidence,
        "evidence_sha256": hashlib.sha256(evidence.encode()).hexdigest(),
        "created_at": at,
    }


def allocation_values(
    tenant: int,
    application_id: int,
    proposal: Proposal,
    amounts: Sequence[int],
    *,
    invoice_ids: Mapping[str, int],
    currency: str,
) -> list[dict[str, Any]]:
    """The ``allocation`` rows of an application, in the proposal's order."""
    return [
        {
            "tenant_id": tenant,
            "application_id": application_id,
            "currency": currency,
            "kind": allocation.kind.value,
            "invoice_id": (
                invoice_ids[allocation.invoice_number] if allocation.invoice_number else None
            ),
            "amount_minor": minor,
            "reason_code": allocation.reason_code.value if allocation.reason_code else None,
        }
        for allocation, minor in zip(proposal.allocations, amounts, strict=True)
    ]


def reverse_application(
    session: Session,
    tenant: int,
    application_id: int,
    *,
    actor_type: ActorType,
    actor_id: str,
    reason: str = "",
) -> int:
    """Reverse a live application; returns the reversing application's id.

    ``AlreadyReversedError`` the second time. The original rows stay, marked reversed.
    """
    now = utc_now()
    original = ledger.find_application(session, tenant, application_id)
    if original is None:
        raise NotFoundError(f"no application {application_id}")
    if original.reverses_id is not None:
        raise ConflictError("a reversal cannot itself be reversed", code="not_reversible")
    ledger.lock_bank_line(session, tenant, original.bank_line_id)  # lock order: line first
    original = ledger.find_application(session, tenant, application_id)  # re-read under the lock
    assert original is not None and original.id is not None
    if original.reversed_at is not None:
        raise AlreadyReversedError()
    allocations = ledger.list_allocations(session, tenant, original.id)
    restore: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        if allocation.invoice_id is not None and allocation.kind != AllocationKind.ON_ACCOUNT:
            restore[allocation.invoice_id] += allocation.amount_minor
    ledger.lock_open_items_by_id(session, tenant, list(restore))
    evidence = to_json({"reverses": original.id, "reason": reason})
    decision_id = ledger.add_decision(
        session,
        {
            "tenant_id": tenant,
            "bank_line_id": original.bank_line_id,
            "kind": "reversal",
            "actor_type": actor_type.value,
            "actor_id": actor_id,
            "model_version": None if actor_type is ActorType.USER else "reversal",
            "evidence": evidence,
            "evidence_sha256": hashlib.sha256(evidence.encode()).hexdigest(),
            "created_at": now,
        },
    )
    reversal_id = ledger.add_application(
        session,
        ledger.new_application(
            tenant_id=tenant,
            bank_line_id=original.bank_line_id,
            currency=original.currency,
            decision_id=decision_id,
            at=now,
            reverses_id=original.id,
        ),
    )
    ledger.mark_reversed(session, tenant, original.id, reversal_id=reversal_id, at=now)
    for invoice_id in sorted(restore):
        ledger.move_open_amount(session, tenant, invoice_id, restore[invoice_id])
    ledger_events.application_reversed(
        session,
        tenant,
        application_id=original.id,
        reversal_id=reversal_id,
        bank_line_id=original.bank_line_id,
        lettrage_code=original.lettrage_code,
        reason=reason,
        at=now,
    )
    return reversal_id
