"""Stored remittance advices: kept whole (JSON) beside their file, read back for the matcher."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from cashapp.domain.reasons import ReasonCode
from cashapp.domain.remittances import Remittance, RemittanceLine
from cashapp.storage.bulk import bulk_insert
from cashapp.storage.records import to_json
from cashapp.storage.tables import RemittanceRow, table_of


def add_remittances(
    session: Session, tenant_id: int, file_id: int, remittances: Sequence[Remittance]
) -> int:
    rows = [
        {
            "tenant_id": tenant_id,
            "statement_file_id": file_id,
            "position": position,
            "format": remittance.format,
            "payer": remittance.payer,
            "payment_id": remittance.payment_id,
            "currency": remittance.currency,
            "total": None if remittance.total is None else str(remittance.total),
            "payload": to_json(remittance),
        }
        for position, remittance in enumerate(remittances)
    ]
    if rows:
        bulk_insert(session, table_of(RemittanceRow), rows)
    return len(rows)


def list_remittances(session: Session, tenant_id: int) -> list[Remittance]:
    rows = session.execute(
        select(col(RemittanceRow.payload))
        .where(col(RemittanceRow.tenant_id) == tenant_id)
        .order_by(col(RemittanceRow.id))
    ).scalars()
    return [remittance_from_json(payload) for payload in rows]


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def remittance_from_json(payload: str) -> Remittance:
    data = json.loads(payload)
    lines = tuple(
        RemittanceLine(
            reference=line["reference"],
            gross=_dec(line.get("gross")),
            discount=_dec(line.get("discount")),
            deduction=_dec(line.get("deduction")),
            reason_code=ReasonCode(line["reason_code"]) if line.get("reason_code") else None,
            reason_text=line.get("reason_text"),
            paid=_dec(line.get("paid")),
        )
        for line in data.get("lines", ())
    )
    return Remittance(
        format=data["format"],
        payer=data.get("payer"),
        payer_email_domain=data.get("payer_email_domain"),
        payer_account=data.get("payer_account"),
        payment_id=data.get("payment_id"),
        date=date.fromisoformat(data["date"]) if data.get("date") else None,
        currency=data.get("currency"),
        total=_dec(data.get("total")),
        lines=lines,
        trusted=bool(data.get("trusted", True)),
        defects=tuple(data.get("defects", ())),
        source=data.get("source"),
    )
