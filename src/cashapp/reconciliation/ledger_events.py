"""The outbox events the ledger writes, in the same transaction as the money they describe.

Every event names its ``bank_line_id``: the relay delivers the events of one bank line in
outbox order (created, deductions, reversed), so the ERP never sees a reversal first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cashapp.domain.money import from_minor
from cashapp.domain.proposals import AllocationKind, ProposedAllocation
from cashapp.storage import Session
from cashapp.storage.repositories import ledger

OutboxEvent = tuple[str, str, dict[str, Any]]  # (event_id, kind, payload)


def application_created(
    session: Session,
    tenant: int,
    *,
    application_id: int,
    bank_line_id: int,
    bank_ref: str | None,
    lettrage_code: str,
    partial: bool,
    currency: str,
    allocations: Sequence[tuple[ProposedAllocation, int]],
    at: datetime,
) -> None:
    """``application.created``, then one ``deduction.created`` per deduction allocation."""
    for event_id, kind, payload in application_created_events(
        tenant,
        application_id=application_id,
        bank_line_id=bank_line_id,
        bank_ref=bank_ref,
        lettrage_code=lettrage_code,
        partial=partial,
        currency=currency,
        allocations=allocations,
    ):
        ledger.add_outbox_event(session, tenant, event_id=event_id, kind=kind, payload=payload, at=at)


def application_created_events(
    tenant: int,
    *,
    application_id: int,
    bank_line_id: int,
    bank_ref: str | None,
    lettrage_code: str,
    partial: bool,
    currency: str,
    allocations: Sequence[tuple[ProposedAllocation, int]],
) -> list[OutboxEvent]:
    """The events of ``application_created``, in outbox order (the set-based apply writes
    them in bulk)."""
    events: list[OutboxEvent] = [
        (
            f"application.created:{tenant}:{application_id}",
            "application.created",
            {
                "application_id": application_id,
                "bank_line_id": bank_line_id,
                "bank_ref": bank_ref,
                "lettrage_code": lettrage_code,
                "partial": partial,
                "currency": currency,
                "allocations": [
                    {
                        "kind": a.kind.value,
                        "invoice_number": a.invoice_number,
                        "amount_minor": minor,
                        "reason_code": a.reason_code.value if a.reason_code else None,
                    }
                    for a, minor in allocations
                ],
            },
        )
    ]
    for index, (allocation, minor) in enumerate(allocations):
        if allocation.kind is not AllocationKind.DEDUCTION:
            continue
        events.append(
            (
                f"deduction.created:{tenant}:{application_id}:{index}",
                "deduction.created",
                {
                    "application_id": application_id,
                    "bank_line_id": bank_line_id,
                    "invoice_number": allocation.invoice_number,
                    "amount": str(from_minor(minor, currency)),
                    "amount_minor": minor,
                    "currency": currency,
                    "reason_code": allocation.reason_code.value if allocation.reason_code else None,
                },
            )
        )
    return events


def application_reversed(
    session: Session,
    tenant: int,
    *,
    application_id: int,
    reversal_id: int,
    bank_line_id: int,
    lettrage_code: str | None,
    reason: str,
    at: datetime,
) -> None:
    """``application.reversed`` for the original application."""
    ledger.add_outbox_event(
        session,
        tenant,
        event_id=f"application.reversed:{tenant}:{application_id}",
        kind="application.reversed",
        payload={
            "application_id": application_id,
            "reversal_id": reversal_id,
            "bank_line_id": bank_line_id,
            "lettrage_code": lettrage_code,
            "reason": reason,
        },
        at=at,
    )
