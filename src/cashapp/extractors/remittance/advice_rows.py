"""Rows of cells (from CSV, XLSX, an HTML table, a PDF page or a plain-text body) -> a remittance.

One engine for every tabular advice:
1. the header row is the first row naming a reference column and an amount column
   (``amount_columns.column_role``);
2. ``Label: value`` pairs anywhere outside the table give payer, payment identifier, date,
   total, currency and account;
3. each row under the header with a reference is a line; a row labelled ``Total`` (or with
   amounts and no reference) gives the stated total; a blank row after the lines ends the
   table.

With ``strict`` (files that are tables: CSV, XLSX) an unreadable amount raises
``RemittanceParseError`` naming the row and column; otherwise (text found in an email body
or a PDF) the row is skipped and recorded as a defect.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cashapp.core.errors import RemittanceParseError
from cashapp.domain.money import AmountError
from cashapp.domain.remittances import Remittance, RemittanceLine
from cashapp.extractors.remittance.amount_columns import (
    amount_cell,
    column_role,
    is_total_label,
    label_role,
)
from cashapp.extractors.remittance.dates_text import parse_date_text
from cashapp.extractors.remittance.reason_words import reason_from_words

_AMOUNT_ROLES = ("gross", "discount", "deduction", "paid", "amount")


class NoAdviceFound(RemittanceParseError):
    """The file is readable but holds no remittance table (an email attachment that is not
    an advice is skipped for this; a standalone file is refused with it)."""


_IBAN_OR_ACCOUNT = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9 ]{8,32}|\d[\d -]{5,30}")


@dataclass
class AdviceFacts:
    """What the labels around a table say (also filled from an email's headers)."""

    payer: str | None = None
    payment_id: str | None = None
    date: date | None = None
    total: Decimal | None = None
    currency: str | None = None
    account: str | None = None
    defects: list[str] = field(default_factory=list)

    def fill_from(self, other: AdviceFacts) -> None:
        """Take ``other``'s facts where this one has none."""
        self.payer = self.payer or other.payer
        self.payment_id = self.payment_id or other.payment_id
        self.date = self.date or other.date
        self.total = self.total if self.total is not None else other.total
        self.currency = self.currency or other.currency
        self.account = self.account or other.account


def _cells(row: Sequence[object]) -> list[str]:
    return [("" if cell is None else str(cell)).strip() for cell in row]


def _label_value(cells: list[str]) -> tuple[str, str] | None:
    filled = [c for c in cells if c]
    if not filled:
        return None
    if len(filled) == 1:
        label, colon, value = filled[0].partition(":")
        return (label, value.strip()) if colon and value.strip() else None
    label = filled[0].rstrip(":").strip()
    return label, filled[1]


def read_label(cells: list[str], facts: AdviceFacts) -> bool:
    """Record a ``Label: value`` row into ``facts``; True when it was one."""
    pair = _label_value(cells)
    if pair is None:
        return False
    label, value = pair
    role = label_role(label)
    if role is None or not value:
        return False
    if role == "payer" and facts.payer is None:
        facts.payer = value
    elif role == "payment_id" and facts.payment_id is None:
        facts.payment_id = value.split()[0] if len(value.split()) == 1 else value
    elif role == "date" and facts.date is None:
        facts.date = parse_date_text(value)
    elif role == "currency" and facts.currency is None and re.fullmatch(r"[A-Za-z]{3}", value):
        facts.currency = value.upper()
    elif role == "account" and facts.account is None and _IBAN_OR_ACCOUNT.search(value):
        facts.account = value.replace(" ", "")
    elif role == "total" and facts.total is None:
        try:
            amount, currency = amount_cell(value)
        except AmountError:
            return False
        facts.total = amount
        facts.currency = facts.currency or currency
    else:
        return False
    return True


def find_header(rows: Sequence[list[str]]) -> tuple[int, dict[str, int]] | None:
    """The header row's index and the column of each role, or ``None``."""
    for index, cells in enumerate(rows):
        roles: dict[str, int] = {}
        for column, cell in enumerate(cells):
            role = column_role(cell) if cell else None
            if role and role not in roles:
                roles[role] = column
        if "reference" in roles and any(r in roles for r in ("paid", "amount", "gross")):
            return index, roles
    return None


@dataclass
class _Table:
    source: str
    strict: bool
    roles: dict[str, int]
    facts: AdviceFacts
    lines: list[RemittanceLine] = field(default_factory=list)
    table_total: Decimal | None = None

    def cell(self, cells: list[str], role: str) -> str:
        column = self.roles.get(role)
        return cells[column] if column is not None and column < len(cells) else ""

    def amounts(
        self, cells: list[str], row_number: int, *, quiet: bool = False
    ) -> dict[str, Decimal | None] | None:
        """The row's amounts; ``None`` when one is unreadable (``quiet``: a row without a
        reference in text, page furniture such as ``1/2``: dropped without a defect)."""
        values: dict[str, Decimal | None] = {}
        for role in _AMOUNT_ROLES:
            text = self.cell(cells, role)
            try:
                value, currency = amount_cell(text)
            except AmountError:
                message = f"{role} is not an amount: {text!r}"
                if self.strict:
                    raise RemittanceParseError(
                        message, file=self.source, line=row_number, column=role
                    ) from None
                if not quiet:
                    self.facts.defects.append(f"row {row_number}: {message}")
                return None
            values[role] = value
            if currency and self.facts.currency is None:
                self.facts.currency = currency
        return values

    def take_total(self, cells: list[str]) -> None:
        for role in ("paid", "amount", "gross"):
            try:
                value, _ = amount_cell(self.cell(cells, role))
            except AmountError:
                continue
            if value is not None:
                self.table_total = value
                return

    def take(self, cells: list[str], row_number: int) -> None:
        reference = self.cell(cells, "reference")
        first = next((cell for cell in cells if cell), "")
        if is_total_label(reference) or (not reference and is_total_label(first)):
            self.take_total(cells)
            return
        values = self.amounts(cells, row_number, quiet=not reference and not self.strict)
        if values is None:
            return
        has_amount = any(v is not None for v in values.values())
        if not reference and has_amount and self.lines:
            self.table_total = values["paid"] if values["paid"] is not None else values["amount"]
            return
        if reference and not has_amount:
            if self.strict:  # a table file's row lost its amount; in text it is just noise
                self.facts.defects.append(f"row {row_number}: {reference!r} has no amount")
            return
        if not reference:
            return
        gross, paid = values["gross"], values["paid"]
        if values["amount"] is not None:
            if paid is None:
                paid = values["amount"]
            elif gross is None:
                gross = values["amount"]
        discount = abs(values["discount"]) if values["discount"] else None
        deduction = abs(values["deduction"]) if values["deduction"] else None
        reason_text = self.cell(cells, "reason") or None
        code = self.cell(cells, "reason_code") or None
        reason = reason_from_words(code, reason_text) if deduction else None
        currency = self.cell(cells, "currency")
        if currency and self.facts.currency is None and re.fullmatch(r"[A-Za-z]{3}", currency):
            self.facts.currency = currency.upper()
        self.lines.append(
            RemittanceLine(
                reference=reference,
                gross=gross,
                discount=discount,
                deduction=deduction,
                reason_code=reason,
                reason_text=reason_text or code,
                paid=paid,
            )
        )


def rows_to_remittance(
    rows: Sequence[Sequence[object]],
    *,
    format: str,
    source: str,
    where: str | None = None,
    strict: bool = False,
    first_row_number: int = 1,
    defaults: AdviceFacts | None = None,
) -> Remittance | None:
    """The remittance a table holds, or ``None`` when no header row is found.

    ``first_row_number`` is the file line of ``rows[0]`` (for error messages); ``defaults``
    fills facts the table does not state (an email's sender and date).
    """
    table = [_cells(row) for row in rows]
    header = find_header(table)
    if header is None:
        return None
    header_index, roles = header
    facts = AdviceFacts()
    parsed = _Table(source=source, strict=strict, roles=roles, facts=facts)
    ended = False
    for index, cells in enumerate(table):
        if index == header_index:
            continue
        if index < header_index or ended:
            read_label(cells, facts)
            continue
        if not any(cells):
            ended = ended or bool(parsed.lines)
            continue
        if find_header([cells]) is not None:  # the header repeated on the next page
            continue
        if read_label(cells, facts) and not parsed.cell(cells, "reference"):
            continue
        parsed.take(cells, first_row_number + index)
    if not parsed.lines:
        return None
    if facts.total is None:
        facts.total = parsed.table_total
    if defaults is not None:
        facts.fill_from(defaults)
    return Remittance(
        format=format,
        payer=facts.payer,
        payer_account=facts.account,
        payment_id=facts.payment_id,
        date=facts.date,
        currency=facts.currency,
        total=facts.total,
        lines=tuple(parsed.lines),
        defects=tuple(facts.defects),
        trusted=not facts.defects,
        source=where,
    )


def labels_only(rows: Sequence[Sequence[object]]) -> AdviceFacts:
    """The ``Label: value`` facts of some text without a table (an email body around a table)."""
    facts = AdviceFacts()
    for row in rows:
        read_label(_cells(row), facts)
    return facts
