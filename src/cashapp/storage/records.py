"""Domain records <-> the JSON text columns: exact (Decimal as text, dates ISO), reversible."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from cashapp.domain.statements import Adjustment, ReferredDocument


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: Decimal as its exact text, dates ISO, dataclasses as dicts."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def to_json(value: Any) -> str:
    return json.dumps(plain(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def referred_documents_from_json(text: str) -> tuple[ReferredDocument, ...]:
    documents = []
    for data in json.loads(text or "[]"):
        documents.append(
            ReferredDocument(
                number=data["number"],
                type=data.get("type"),
                date=_date(data.get("date")),
                due_amount=_decimal(data.get("due_amount")),
                discount_amount=_decimal(data.get("discount_amount")),
                credit_note_amount=_decimal(data.get("credit_note_amount")),
                tax_amount=_decimal(data.get("tax_amount")),
                remitted_amount=_decimal(data.get("remitted_amount")),
                adjustments=tuple(
                    Adjustment(
                        amount=Decimal(adj["amount"]),
                        reason=adj.get("reason"),
                        text=adj.get("text"),
                        credit=bool(adj.get("credit", False)),
                    )
                    for adj in data.get("adjustments", ())
                ),
            )
        )
    return tuple(documents)
