"""The lettrage export of CONTRACT.md: one row per allocation of every bank line.

A line with nothing applied still has one row: ``unapplied``, or the rows of its best
proposal when it waits in review (decision ``suggested``). CSV text cells are escaped
against formula injection (RELIABILITY 3.8: a leading ``= + - @`` TAB, CR or NUL gets a
``'``), amounts stay plain numbers. JSONL carries the same keys, amounts as exact strings.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any, TextIO

from cashapp.domain.money import from_minor, parse_amount, to_minor
from cashapp.domain.proposals import DecisionKind
from cashapp.storage import Session
from cashapp.storage.repositories import export as queries

COLUMNS = (
    "bank_ref",
    "statement_id",
    "booking_date",
    "amount",
    "currency",
    "payer_name",
    "invoice_number",
    "applied_amount",
    "kind",
    "reason_code",
    "confidence",
    "decision",
    "lettrage_code",
    "model_version",
)
NUMERIC = frozenset({"amount", "applied_amount", "confidence"})
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


@dataclass(frozen=True, slots=True)
class LettrageRow:
    bank_ref: str
    statement_id: str
    booking_date: str
    amount: str  # signed decimal of the bank line
    currency: str
    payer_name: str
    invoice_number: str
    applied_amount: str  # positive decimal of this row
    kind: str
    reason_code: str
    confidence: float | None
    decision: str
    lettrage_code: str
    model_version: str


def export_lettrage(session: Session, tenant: int) -> Iterator[LettrageRow]:
    """The rows of the export, bank line by bank line (in the order they were stored)."""
    allocations = groupby(queries.iter_live_allocations(session, tenant), key=lambda r: r[0])
    suggestions = iter(queries.iter_suggestions(session, tenant))
    next_allocs = next(allocations, None)
    next_suggestion = next(suggestions, None)
    for line in queries.iter_lines(session, tenant):
        line_id, bank_ref, statement_key, booking_date, amount_minor, currency, payer = line
        common = {
            "bank_ref": bank_ref,
            "statement_id": statement_key,
            "booking_date": booking_date.isoformat() if booking_date else "",
            "amount": str(from_minor(amount_minor, currency)),
            "currency": currency,
            "payer_name": payer or "",
        }
        while next_allocs is not None and next_allocs[0] < line_id:
            next_allocs = next(allocations, None)
        while next_suggestion is not None and next_suggestion[0] < line_id:
            next_suggestion = next(suggestions, None)
        if next_allocs is not None and next_allocs[0] == line_id:
            yield from _applied_rows(common, currency, next_allocs[1])
            next_allocs = next(allocations, None)
        elif (
            next_suggestion is not None
            and next_suggestion[0] == line_id
            and (next_suggestion[1] == DecisionKind.SUGGESTED.value)
        ):
            yield from _suggested_rows(common, currency, next_suggestion)
        else:
            yield _unapplied_row(common, amount_minor, currency)


def _applied_rows(
    common: dict[str, Any], currency: str, rows: Iterable[Any]
) -> Iterator[LettrageRow]:
    for row in rows:
        _, kind, amount_minor, reason, invoice, actor_type, actor_id, score, version, code = row
        is_user = actor_type == "user"
        yield LettrageRow(
            **common,
            invoice_number=invoice or "",
            applied_amount=str(from_minor(amount_minor, currency)),
            kind=kind,
            reason_code=reason or "",
            confidence=score,
            decision=(DecisionKind.CONFIRMED if is_user else DecisionKind.AUTO).value,
            lettrage_code=code or "",
            model_version=version or (f"user:{actor_id}" if is_user else ""),
        )


def _suggested_rows(
    common: dict[str, Any], currency: str, suggestion: Any
) -> Iterator[LettrageRow]:
    _, _, confidence, version, proposals_json = suggestion
    best = json.loads(proposals_json)[0]
    for allocation in best["allocations"]:
        amount = to_minor(parse_amount(allocation["amount"]), currency)
        yield LettrageRow(
            **common,
            invoice_number=allocation.get("invoice_number") or "",
            applied_amount=str(from_minor(amount, currency)),
            kind=allocation["kind"],
            reason_code=allocation.get("reason_code") or "",
            confidence=confidence,
            decision=DecisionKind.SUGGESTED.value,
            lettrage_code="",
            model_version=version or "",
        )


def _unapplied_row(common: dict[str, Any], amount_minor: int, currency: str) -> LettrageRow:
    return LettrageRow(
        **common,
        invoice_number="",
        applied_amount=str(from_minor(abs(amount_minor), currency)),
        kind="unapplied",
        reason_code="",
        confidence=None,
        decision=DecisionKind.UNMATCHED.value,
        lettrage_code="",
        model_version="",
    )


def _values(row: LettrageRow) -> dict[str, Any]:
    # Not dataclasses.asdict: it deep-copies every value (measured: 80 % of export time).
    return {column: getattr(row, column) for column in COLUMNS}


def escape_cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP ASVS 1.2.10)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def write_lettrage_csv(rows: Iterable[LettrageRow], out: TextIO) -> int:
    """Write the header and ``rows`` as RFC 4180 CSV; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        data = _values(row)
        writer.writerow(
            [
                ("" if data[c] is None else str(data[c])) if c in NUMERIC else escape_cell(data[c])
                for c in COLUMNS
            ]
        )
        count += 1
    return count


def write_lettrage_jsonl(rows: Iterable[LettrageRow], out: TextIO) -> int:
    """Write one JSON object per row (keys as the CSV columns); returns the number of rows."""
    count = 0
    for row in rows:
        out.write(json.dumps(_values(row), ensure_ascii=False) + "\n")
        count += 1
    return count
