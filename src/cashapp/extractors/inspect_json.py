"""What ``cashapp inspect`` prints: statement and remittance files as plain JSON (CONTRACT.md).

Amounts are decimal strings, dates ISO strings; nothing is rounded or reformatted.
``statement_file_from_json`` / ``remittance_file_from_json`` read it back into the same
records (the sandbox sends its results this way).
"""

from __future__ import annotations

from collections import abc
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass, replace
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from cashapp.domain.remittances import Remittance, RemittanceFile
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
        "available_balance": _plain(statement.available_balance),
        "sequence": statement.sequence,
        "information": statement.information,
        "balanced": statement.balanced,
        "warnings": list(statement.warnings),
        "lines": [line_json(line) for line in statement.lines],
    }
    if statement.extra:  # format-specific facts, printed when a format sets them
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


# --- the inverse: inspect JSON back into domain records (the sandbox sends results this way) ---


def _decode(kind: Any, value: Any) -> Any:
    """``value`` (plain JSON) as the type ``kind`` from a dataclass's resolved type hints."""
    if value is None:
        return None
    origin = get_origin(kind)
    if origin in (Union, UnionType):
        options = [a for a in get_args(kind) if a is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    if origin is tuple:
        return tuple(_decode(get_args(kind)[0], v) for v in value)
    if origin in (list, Sequence, abc.Sequence):
        return [_decode(get_args(kind)[0], v) for v in value]
    if origin in (dict, Mapping, abc.Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if kind is Decimal:
        return Decimal(value)
    if kind is date:
        return date.fromisoformat(value)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    if is_dataclass(kind):
        return _record(kind, value)
    return value


@cache
def _hints(kind: type) -> dict[str, Any]:
    return get_type_hints(kind)


def _record(kind: Any, data: dict[str, Any]) -> Any:
    hints = _hints(kind)
    names = {f.name for f in fields(kind) if f.init}
    return kind(**{k: _decode(hints[k], v) for k, v in data.items() if k in names})


def statement_file_from_json(data: dict[str, Any]) -> StatementFile:
    """The inverse of ``statement_file_json``: ``balanced`` is derived again, not read."""
    statements = []
    for item in data["statements"]:
        lines = [_record(BankLine, line) for line in item["lines"]]
        header = {k: v for k, v in item.items() if k not in ("lines", "balanced")}
        statement = _record(Statement, {**header, "lines": []})
        statements.append(replace(statement, lines=lines))
    return StatementFile(format=data["format"], statements=statements)


def remittance_file_from_json(data: dict[str, Any]) -> RemittanceFile:
    """The inverse of ``remittance_file_json``."""
    remittances = [_record(Remittance, item) for item in data["remittances"]]
    return RemittanceFile(format=data["format"], remittances=remittances)


def file_from_json(data: dict[str, Any]) -> StatementFile | RemittanceFile:
    """Either kind, by its ``kind`` key."""
    if data.get("kind") == "remittance":
        return remittance_file_from_json(data)
    return statement_file_from_json(data)
