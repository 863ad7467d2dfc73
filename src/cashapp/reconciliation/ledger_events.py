"""The outbox events the ledger writes, in the same transaction as the money they describe.

Every event names its ``bank_line_id``: the relay delivers the events of one bank line in
outbox order (created, deductions, reversed), so the ERP never sees a reversal first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cashapp.domain.money import from_minor
from cashapp.domain.proposals import AllocationKind, ProposedAllocation
from cashapp.storage import Session
from cashapp.storage.repositories import ledger


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
    ledger.add_outbox_event(
        session,
        tenant,
        event_id=f"application.created:{tenant}:{application_id}",
        kind="application.created",
        payload={
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
        at=at,
    )
    for index, (allocation, minor) in enumerate(allocations):
        if allocation.kind is not AllocationKind.DEDUCTION:
            continue
        ledger.add_outbox_event(
            session,
            tenant,
            event_id=f"deduction.created:{tenant}:{application_id}:{index}",
            kind="deduction.created",
            payload={
                "application_id": application_id,
                "bank_line_id": bank_line_id,
                "invoice_number": allocation.invoice_number,
                "amount": str(from_minor(minor, currency)),
                "amount_minor": minor,
                "currency": currency,
                "reason_code": allocation.reason_code.value if allocation.reason_code else None,
            },
            at=at,
        )


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
