"""What ``cashapp inspect`` prints: statement and remittance files as plain JSON (CONTRACT.md).

Amounts are decimal strings, dates ISO strings; nothing is rounded or reformatted.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from cashapp.domain.remittances import RemittanceFile
from cashapp.domain.statements import BankLine, Statement, StatementFile


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def line_json(line: BankLine) -> dict[str, Any]:
    data: dict[str, Any] = _plain(line)
    if not data.get("extra"):
        data.pop("extra", None)
    return data


def statement_json(statement: Statement) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": statement.id,
        "account": statement.account,
        "currency": statement.currency,
        "opening_balance": _plain(statement.opening_balance),
        "closing_balance": _plain(statement.closing_balance),
        "opening_date": _plain(statement.opening_date),
        "closing_date": _plain(statement.closing_date),
        "sequence": statement.sequence,
        "balanced": statement.balanced,
        "warnings": list(statement.warnings),
        "lines": [line_json(line) for line in statement.lines],
    }
    # printed only when a format sets them, so statements that never do keep their shape
    if statement.available_balance is not None:
        data["available_balance"] = _plain(statement.available_balance)
    if statement.information:
        data["information"] = statement.information
    if statement.extra:
        data["extra"] = _plain(dict(statement.extra))
    return data


def statement_file_json(parsed: StatementFile) -> dict[str, Any]:
    return {
        "kind": "statement",
        "format": parsed.format,
        "statements": [statement_json(s) for s in parsed.statements],
    }


def remittance_file_json(parsed: RemittanceFile) -> dict[str, Any]:
    remittances = []
    for remittance in parsed.remittances:
        data = _plain(remittance)
        data["lines"] = [_plain(line) for line in remittance.lines]
        remittances.append(data)
    return {"kind": "remittance", "format": parsed.format, "remittances": remittances}
