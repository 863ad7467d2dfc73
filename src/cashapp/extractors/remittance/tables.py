"""CSV and XLSX remittance files: a table of documents paid, with labels around it.

CSV: UTF-8 (BOM allowed) or Windows-1252, separated by ``;``, ``,`` or tabs (the separator
that yields a header row wins). XLSX: openpyxl in read-only mode, data only (formulas are
never evaluated: the cached value is read), every sheet until one holds an advice, at most
``MAX_ROWS`` rows and ``MAX_COLUMNS`` columns per sheet. Numbers from XLSX cells are taken
through their shortest repr, so a typed ``1234.56`` stays exactly ``1234.56``.

The table itself is read by ``advice_rows`` (header detection in six languages, locale
amounts, strict: a bad amount is an error naming the line and column).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from cashapp.core.errors import RemittanceParseError
from cashapp.domain.remittances import RemittanceFile
from cashapp.extractors.remittance.advice_rows import (
    AdviceFacts,
    NoAdviceFound,
    find_header,
    rows_to_remittance,
)
from cashapp.extractors.remittance.totals import checked

name = "remittance.table"

MAX_ROWS = 20_000
MAX_COLUMNS = 60
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024
_SEPARATORS = (";", ",", "\t", "|")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _is_xlsx(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") and (b"xl/" in head or b"[Content_Types].xml" in head)


def _csv_rows(text: str, separator: str) -> list[list[str]]:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    try:
        for row in reader:
            rows.append(row[:MAX_COLUMNS])
            if len(rows) > MAX_ROWS:
                break
    except csv.Error:
        return rows
    return rows


def identify(head: bytes) -> bool:
    """An XLSX workbook, or text whose lines hold a remittance table header."""
    if _is_xlsx(head):
        return True
    if head.startswith((b"%PDF", b"<", b"PK", b"\xd0\xcf\x11\xe0")) or b"\x00" in head[:4096]:
        return False
    text = _decode(head[:16384])
    return any(find_header(_csv_rows(text, sep)[:40]) for sep in _SEPARATORS)


def _csv_table(data: bytes, source: str) -> tuple[list[list[str]], str]:
    text = _decode(data)
    for separator in _SEPARATORS:
        rows = _csv_rows(text, separator)
        if find_header(rows[:200]):
            if len(rows) > MAX_ROWS:
                raise RemittanceParseError(f"more than {MAX_ROWS} rows", file=source)
            return rows, separator
    raise NoAdviceFound("no remittance table header found", file=source, line=1)


def _plain_cell(value: object) -> object:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _xlsx_sheets(data: bytes, source: str) -> Iterator[tuple[str, list[list[object]]]]:
    from openpyxl import load_workbook  # heavy import, only for workbooks

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if len(archive.infolist()) > 500:
                raise RemittanceParseError("workbook has too many parts", file=source)
            declared = sum(info.file_size for info in archive.infolist())
            if declared > MAX_XLSX_UNCOMPRESSED:
                raise RemittanceParseError("workbook expands beyond the size cap", file=source)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except RemittanceParseError:
        raise
    except Exception as exc:  # openpyxl raises many types on a broken workbook
        raise RemittanceParseError(f"unreadable workbook: {exc}", file=source) from exc
    try:
        for sheet in workbook.worksheets:
            rows: list[list[object]] = []
            for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                rows.append([_plain_cell(value) for value in row])
                if len(rows) > MAX_ROWS:
                    raise RemittanceParseError(
                        f"sheet {sheet.title!r} has more than {MAX_ROWS} rows", file=source
                    )
            yield sheet.title, rows
    finally:
        workbook.close()


def extract(
    data: bytes, *, source: str, defaults: AdviceFacts | None = None, where: str | None = None
) -> RemittanceFile:
    """The advice in a CSV or XLSX file (``defaults``: facts from an enclosing email)."""
    if _is_xlsx(data[:4096]):
        for title, rows in _xlsx_sheets(data, source):
            remittance = rows_to_remittance(
                rows,
                format="xlsx",
                source=source,
                where=where or f"sheet {title}",
                strict=True,
                defaults=defaults,
            )
            if remittance is not None:
                return RemittanceFile(format="xlsx", remittances=[checked(remittance)])
        raise NoAdviceFound("no remittance table found in any sheet", file=source)
    csv_rows, _ = _csv_table(data, source)
    remittance = rows_to_remittance(
        csv_rows, format="csv", source=source, where=where, strict=True, defaults=defaults
    )
    if remittance is None:
        raise RemittanceParseError("the table has no document lines", file=source)
    return RemittanceFile(format="csv", remittances=[checked(remittance)])
