"""Suggestions: the matcher's latest proposals for a line waiting in review (not money)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from cashapp.storage.bulk import bulk_insert
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


def replace_suggestions(session: Session, tenant_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """``replace_suggestion`` for many lines at once: one DELETE, one bulk INSERT. ``rows``
    hold the ``suggestion`` columns except ``tenant_id``, one row per bank line."""
    if not rows:
        return
    table = table_of(SuggestionRow)
    session.execute(
        delete(table).where(
            table.c.tenant_id == tenant_id,
            table.c.bank_line_id.in_(sorted({row["bank_line_id"] for row in rows})),
        )
    )
    bulk_insert(session, table, [{"tenant_id": tenant_id, **row} for row in rows], analyze=False)


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
