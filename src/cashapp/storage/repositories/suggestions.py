"""Suggestions: the matcher's latest proposals for a line waiting in review (not money)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from cashapp.storage.tables import SuggestionRow, table_of


def replace_suggestion(
    session: Session,
    tenant_id: int,
    bank_line_id: int,
    *,
    decision: str,
    confidence: float | None,
    model_version: str | None,
    proposals: str,
    at: datetime,
) -> None:
    """The line's suggestion, replacing any earlier one (one row per line)."""
    table = table_of(SuggestionRow)
    session.execute(
        delete(table).where(table.c.tenant_id == tenant_id, table.c.bank_line_id == bank_line_id)
    )
    session.execute(
        insert(table).values(
            tenant_id=tenant_id,
            bank_line_id=bank_line_id,
            decision=decision,
            confidence=confidence,
            model_version=model_version,
            proposals=proposals,
            created_at=at,
        )
    )


def find_suggestion(session: Session, tenant_id: int, bank_line_id: int) -> dict[str, Any] | None:
    row = session.execute(
        select(SuggestionRow).where(
            col(SuggestionRow.tenant_id) == tenant_id,
            col(SuggestionRow.bank_line_id) == bank_line_id,
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return {
        "decision": row.decision,
        "confidence": row.confidence,
        "model_version": row.model_version,
        "proposals": json.loads(row.proposals),
    }
