"""Rows whose cells carry a horizontal position (PDF words, space-aligned text) -> table rows.

A blank cell leaves no trace in such a row, so cells are put back under the header column
they sit below: once a header row is seen, each following cell goes to the column whose
start it shares (left-aligned tables), else to the column whose span holds its centre
(spans split halfway between one header's end and the next header's start).
"""

from __future__ import annotations

from collections.abc import Sequence

from cashapp.extractors.remittance.advice_rows import find_header

Cell = tuple[float, float, str]  # start, end, text


def _column(cell: Cell, header: Sequence[Cell], tolerance: float) -> int:
    start, end, _ = cell
    for index, (head_start, _, _) in enumerate(header):
        if abs(head_start - start) <= tolerance:
            return index
    centre = (start + end) / 2
    for index in range(len(header) - 1):
        boundary = (header[index][1] + header[index + 1][0]) / 2
        if centre < boundary:
            return index
    return len(header) - 1


def align(rows: Sequence[Sequence[Cell]], *, tolerance: float = 1.0) -> list[list[str]]:
    """Table rows of text, cells placed under their header columns."""
    header: Sequence[Cell] | None = None
    aligned: list[list[str]] = []
    for row in rows:
        texts = [text for _, _, text in row]
        if len(row) >= 2 and find_header([texts]) is not None:
            header = row
            aligned.append(texts)
            continue
        if header is None or len(row) < 2:
            aligned.append(texts)
            continue
        placed = [""] * len(header)
        for cell in row:
            index = _column(cell, header, tolerance)
            placed[index] = f"{placed[index]} {cell[2]}".strip()
        aligned.append(placed)
    return aligned
