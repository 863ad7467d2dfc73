"""The reads behind the lettrage export, each ordered by bank line so they merge in one pass."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import BigInteger, Date, String, column, text
from sqlmodel import Session

_LINES = text(
    """
    SELECT b.id, b.bank_ref, s.statement_key, b.booking_date, b.amount_minor, b.currency,
           b.counterparty_name
      FROM bank_line AS b JOIN statement AS s ON s.id = b.statement_id
     WHERE b.tenant_id = :tenant
     ORDER BY b.id
    """
).columns(
    column("id", BigInteger),
    column("bank_ref", String),
    column("statement_key", String),
    column("booking_date", Date),
    column("amount_minor", BigInteger),
    column("currency", String),
    column("counterparty_name", String),
)

_LIVE_ALLOCATIONS = text(
    """
    SELECT a.bank_line_id, al.kind, al.amount_minor, al.reason_code, oi.invoice_number,
           d.actor_type, d.actor_id, d.score, d.model_version, a.lettrage_code
      FROM application AS a
      JOIN decision AS d ON d.id = a.decision_id
      JOIN allocation AS al ON al.application_id = a.id
      LEFT JOIN open_item AS oi ON oi.id = al.invoice_id
     WHERE a.tenant_id = :tenant AND a.reversed_at IS NULL AND a.reverses_id IS NULL
     ORDER BY a.bank_line_id, al.id
    """
)

_SUGGESTIONS = text(
    """
    SELECT bank_line_id, decision, confidence, model_version, proposals
      FROM suggestion WHERE tenant_id = :tenant ORDER BY bank_line_id
    """
)


def iter_lines(session: Session, tenant_id: int) -> Iterator[Any]:
    yield from session.execute(_LINES, {"tenant": tenant_id})


def iter_live_allocations(session: Session, tenant_id: int) -> Iterator[Any]:
    yield from session.execute(_LIVE_ALLOCATIONS, {"tenant": tenant_id})


def iter_suggestions(session: Session, tenant_id: int) -> Iterator[Any]:
    yield from session.execute(_SUGGESTIONS, {"tenant": tenant_id})
