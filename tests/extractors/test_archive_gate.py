"""Archives are refused before parsing, except an XLSX workbook (a zip) for the table reader."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from cashapp.core.errors import UnknownFormatError
from cashapp.extractors.read import read_bytes


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_of_statements_is_refused_by_name() -> None:
    data = _zip({"statement.xml": b"<Document/>", "[Content_Types].xml": b"<Types/>"})
    with pytest.raises(UnknownFormatError, match=r"upload\.zip: a zip archive"):
        read_bytes(data, source="upload.zip")


def test_an_xlsx_remittance_advice_passes_the_gate_and_is_read() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Invoice No.", "Invoice amount", "Amount paid"])
    sheet.append(["INV-2025-0001", "1200.00", "1200.00"])
    sheet.append(["INV-2025-0002", "300.50", "300.50"])
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = read_bytes(buffer.getvalue(), source="advice.xlsx")
    lines = [line for remittance in parsed.remittances for line in remittance.lines]  # type: ignore[union-attr]
    assert [line.reference for line in lines] == ["INV-2025-0001", "INV-2025-0002"]
