"""Runs inside the sandbox: a PDF's first pages as rows of cells (pdfplumber, pdfminer.six).

Words are grouped into rows by their vertical position and into cells where the gap to the
previous word is wider than ``CELL_GAP`` points; ruled tables found by pdfplumber are kept
as well. The result is plain JSON for the parent process.
"""

from __future__ import annotations

import io
import sys
from typing import Any

MAX_PAGES = 50
# A remittance page's content streams are a few KB to a few hundred KB; a page beyond this
# is refused before pdfminer interprets it (a CPU/memory bomb of drawing operators, P7).
MAX_PAGE_CONTENT_BYTES = 1_000_000
ROW_TOLERANCE = 3.0
CELL_GAP = 8.0


def _rows(words: list[dict[str, Any]]) -> list[list[list[Any]]]:
    rows: list[list[list[Any]]] = []
    current: list[dict[str, Any]] = []
    for word in sorted(
        words, key=lambda w: (round(float(w["top"]) / ROW_TOLERANCE), float(w["x0"]))
    ):
        if current and abs(float(word["top"]) - float(current[0]["top"])) > ROW_TOLERANCE:
            rows.append(_cells(current))
            current = []
        current.append(word)
    if current:
        rows.append(_cells(current))
    return rows


def _cells(words: list[dict[str, Any]]) -> list[list[Any]]:
    """``[start, end, text]`` per cell: words closer than ``CELL_GAP`` share a cell."""
    words = sorted(words, key=lambda w: float(w["x0"]))
    cells: list[list[Any]] = []
    for word in words:
        start, end = float(word["x0"]), float(word["x1"])
        if not cells or start - cells[-1][1] > CELL_GAP:
            cells.append([start, end, str(word["text"])])
        else:
            cells[-1][1] = end
            cells[-1][2] += " " + str(word["text"])
    return cells


def _check_content_size(page: Any, number: int) -> None:
    from pdfminer.pdftypes import resolve1

    size = 0
    for stream in getattr(page.page_obj, "contents", []) or []:
        resolved = resolve1(stream)
        size += len(resolved.get_data()) if hasattr(resolved, "get_data") else 0
        if size > MAX_PAGE_CONTENT_BYTES:
            raise ValueError(f"page {number} content is over {MAX_PAGE_CONTENT_BYTES} bytes")


def pdf_rows(data: bytes) -> dict[str, Any]:
    """``{"page_count": n, "pages": [{"page": 1, "rows": [...], "tables": [...]}]}``.

    A row is a list of ``[x0, x1, text]`` cells; a table a list of rows of strings.
    """
    import pdfplumber

    sys.setrecursionlimit(2000)
    pages = []
    with pdfplumber.open(io.BytesIO(data)) as document:
        count = len(document.pages)
        for number, page in enumerate(document.pages[:MAX_PAGES], start=1):
            print(f"progress: page {number}", file=sys.stderr, flush=True)
            _check_content_size(page, number)
            words = page.extract_words(x_tolerance=1.5, y_tolerance=2)
            tables = [
                [[cell or "" for cell in row] for row in table] for table in page.extract_tables()
            ]
            pages.append({"page": number, "rows": _rows(words), "tables": tables})
            page.flush_cache()
    return {"page_count": count, "pages": pages}
