"""The open-items CSV of CONTRACT.md (``cashapp import-invoices``) into ``OpenItem`` records.

UTF-8 (a byte-order mark is tolerated), comma-separated, one header row; columns in any
order, unknown columns ignored. Required: invoice_number, customer_id, customer_name,
issue_date, due_date (ISO dates), currency (ISO 4217), amount (decimal point). Optional:
open_amount (defaults to amount), customer_iban, payment_reference, po_number.

The whole file is read before anything is returned: a malformed row raises ``CsvRowError``
naming the file, the line and the column, so a caller stores all of a file or none of it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from cashapp.core.errors import CsvRowError
from cashapp.domain.ledger import OpenItem
from cashapp.domain.money import AmountError, minor_units, parse_amount

REQUIRED = (
    "invoice_number",
    "customer_id",
    "customer_name",
    "issue_date",
    "due_date",
    "currency",
    "amount",
)
OPTIONAL = ("open_amount", "customer_iban", "payment_reference", "po_number")

T = TypeVar("T")


def read_open_items(data: bytes, *, source: str) -> list[OpenItem]:
    """Every open item of the file, or ``CsvRowError`` for the first malformed row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvRowError("not UTF-8 text", file=source, line=line) from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvRowError("empty file, expected a header row", file=source, line=1) from None
    except csv.Error as exc:
        raise CsvRowError(f"malformed CSV: {exc}", file=source, line=1) from exc
    columns = {name.strip().lower(): index for index, name in enumerate(header)}
    for name in REQUIRED:
        if name not in columns:
            raise CsvRowError(
                "required column missing from the header", file=source, line=1, column=name
            )
    items: list[OpenItem] = []
    seen: dict[str, int] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CsvRowError(f"malformed CSV: {exc}", file=source, line=reader.line_num) from exc
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        item = _item(row, columns, source=source, line=line)
        if item.invoice_number in seen:
            raise CsvRowError(
                f"invoice {item.invoice_number!r} already on line {seen[item.invoice_number]}",
                file=source,
                line=line,
                column="invoice_number",
            )
        seen[item.invoice_number] = line
        items.append(item)
    return items


def _item(row: list[str], columns: dict[str, int], *, source: str, line: int) -> OpenItem:
    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def required(name: str) -> str:
        value = cell(name)
        if not value:
            raise CsvRowError("required value is empty", file=source, line=line, column=name)
        return value

    def parsed(name: str, value: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(value)
        except (AmountError, ValueError) as exc:
            raise CsvRowError(str(exc), file=source, line=line, column=name) from exc

    currency = parsed("currency", required("currency").upper(), _currency)
    amount = parsed("amount", required("amount"), lambda v: parse_amount(v, currency))
    open_text = cell("open_amount")
    open_amount = (
        parsed("open_amount", open_text, lambda v: parse_amount(v, currency))
        if open_text
        else amount
    )
    if not _open_within(amount, open_amount):
        raise CsvRowError(
            f"open amount {open_amount} is outside 0..{amount}",
            file=source,
            line=line,
            column="open_amount",
        )
    iban = cell("customer_iban").replace(" ", "").upper() or None
    return OpenItem(
        invoice_number=required("invoice_number"),
        customer_id=required("customer_id"),
        customer_name=required("customer_name"),
        issue_date=parsed("issue_date", required("issue_date"), _iso_date),
        due_date=parsed("due_date", required("due_date"), _iso_date),
        currency=currency,
        amount=amount,
        open_amount=open_amount,
        customer_iban=iban,
        payment_reference=cell("payment_reference") or None,
        po_number=cell("po_number") or None,
    )


def _currency(text: str) -> str:
    minor_units(text)  # raises AmountError for anything but three capital letters
    return text


def _iso_date(text: str) -> date:
    if len(text) != 10:
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _open_within(amount: Decimal, open_amount: Decimal) -> bool:
    if amount >= 0:
        return Decimal(0) <= open_amount <= amount
    return amount <= open_amount <= Decimal(0)
