"""The open-items CSV reader (CONTRACT.md): columns in any order, unknown ignored, and a
malformed row named by file, line and column."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cashapp.core.errors import CsvRowError
from cashapp.extractors.openitems import read_open_items

HEADER = "invoice_number,customer_id,customer_name,issue_date,due_date,currency,amount"


def test_reads_required_and_optional_columns_in_any_order() -> None:
    data = (
        "\ufeffcurrency,amount,customer_name,invoice_number,due_date,issue_date,customer_id,"
        "open_amount,customer_iban,payment_reference,po_number,ignored\n"
        'EUR,1234.50,"Dupont, SARL",F-2025-001,2025-11-30,2025-10-31,C42,1000.00,'
        "be71 0961 2345 6769,+++090/9337/55493+++,PO-9,x\n"
        "JPY,1000,Sato KK,F-2025-002,2025-11-30,2025-10-31,C43,,,,,\n"
        ",,,,,,,,,,,\n"
    ).encode()
    first, second = read_open_items(data, source="items.csv")
    assert first.customer_name == "Dupont, SARL"
    assert first.amount == Decimal("1234.50") and first.open_amount == Decimal("1000.00")
    assert first.customer_iban == "BE71096123456769"
    assert first.payment_reference == "+++090/9337/55493+++" and first.po_number == "PO-9"
    assert second.open_amount == second.amount == Decimal("1000")
    assert second.customer_iban is None and second.po_number is None


@pytest.mark.parametrize(
    ("row", "line", "column"),
    [
        ("F1,C1,Acme,2025-10-01,2025-10-31,EUR,12.345", 3, "amount"),
        ("F1,C1,Acme,2025-10-01,2025-10-31,EUR,1e3", 3, "amount"),
        ("F1,C1,Acme,01/10/2025,2025-10-31,EUR,10", 3, "issue_date"),
        ("F1,C1,Acme,2025-10-01,2025-10-31,euro,10", 3, "currency"),
        (",C1,Acme,2025-10-01,2025-10-31,EUR,10", 3, "invoice_number"),
        ("F0,C1,Acme,2025-10-01,2025-10-31,EUR,10", 3, "invoice_number"),  # duplicate number
    ],
)
def test_malformed_row_names_file_line_and_column(row: str, line: int, column: str) -> None:
    data = f"{HEADER}\nF0,C1,Acme,2025-10-01,2025-10-31,EUR,10\n{row}\n".encode()
    with pytest.raises(CsvRowError) as caught:
        read_open_items(data, source="items.csv")
    error = caught.value
    assert (error.file, error.line, error.column) == ("items.csv", line, column)
    assert str(error).startswith(f"items.csv:{line}: column {column}: ")


def test_open_amount_beyond_amount_and_missing_header_column() -> None:
    data = f"{HEADER},open_amount\nF1,C1,Acme,2025-10-01,2025-10-31,EUR,10,11\n".encode()
    with pytest.raises(CsvRowError, match="column open_amount"):
        read_open_items(data, source="a.csv")
    with pytest.raises(CsvRowError, match=r"a\.csv:1: column amount"):
        read_open_items(HEADER.replace(",amount", "").encode() + b"\n", source="a.csv")
    with pytest.raises(CsvRowError, match="not UTF-8"):
        read_open_items(HEADER.encode() + b"\nF1,C1,Acme\xff,2025-10-01\n", source="a.csv")
