"""Proposals between the stored suggestion (JSON), the API's input and the domain records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from cashapp.api.ledger_schemas import AllocationIn
from cashapp.core.errors import ConflictError, InputError
from cashapp.domain.money import parse_amount
from cashapp.domain.proposals import AllocationKind, Evidence, Proposal, ProposedAllocation
from cashapp.domain.reasons import ReasonCode


def _allocation(data: dict[str, Any], currency: str) -> ProposedAllocation:
    reason = data.get("reason_code")
    return ProposedAllocation(
        kind=AllocationKind(data["kind"]),
        amount=parse_amount(str(data["amount"]), currency),
        invoice_number=data.get("invoice_number"),
        reason_code=ReasonCode(reason) if reason else None,
    )


def proposals_of(suggestion: Any, currency: str) -> list[Proposal]:
    """The ranked proposals stored with a suggestion (an unreadable one is skipped)."""
    if suggestion is None or suggestion.decision != "suggested":
        return []
    out = []
    for data in json.loads(suggestion.proposals or "[]"):
        try:
            out.append(Proposal(
                allocations=tuple(_allocation(a, currency) for a in data.get("allocations", [])),
                confidence=float(data.get("confidence") or 0.0),
                customer_id=data.get("customer_id"),
                evidence=tuple(Evidence(name=str(e.get("name", "")), detail=str(e.get("detail", "")),
                                        weight=e.get("weight")) for e in data.get("evidence", [])),
                model_version=str(data.get("model_version") or suggestion.model_version or "unknown"),
            ))
        except (KeyError, ValueError, TypeError):
            continue
    return out


def top_allocations(suggestion: Any, currency: str) -> tuple[tuple[ProposedAllocation, ...], str | None]:
    proposals = proposals_of(suggestion, currency)
    if not proposals:
        raise ConflictError("the bank line has no proposal to confirm", code="no_proposal")
    return proposals[0].allocations, proposals[0].customer_id


def allocations_from_input(items: Sequence[AllocationIn], currency: str) -> list[ProposedAllocation]:
    out = []
    for n, item in enumerate(items):
        try:
            amount = parse_amount(item.amount, currency)
            if amount <= Decimal(0):
                raise ValueError("amounts are positive")
            out.append(ProposedAllocation(kind=item.kind, amount=amount, invoice_number=item.invoice_number,
                                          reason_code=item.reason_code))
        except ValueError as exc:
            raise InputError(str(exc), element=f"allocations[{n}]") from exc
    return out
