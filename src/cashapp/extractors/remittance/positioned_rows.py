"""Rows whose cells carry a horizontal position (PDF words, space-aligned text) -> table rows.

A blank cell leaves no trace in such a row, so cells are put back under the header column
they sit below: once a header row is seen, each following cell goes to the header it overlaps most
(left- or right-aligned under its header), else to the last header starting before it
(a short header over a column of longer values).
"""

from __future__ import annotations

from collections.abc import Sequence

from cashapp.extractors.remittance.advice_rows import find_header

Cell = tuple[float, float, str]  # start, end, text


def _column(cell: Cell, header: Sequence[Cell], tolerance: float) -> int:
    start, end, _ = cell
    best, best_overlap = -1, 0.0
    for index, (head_start, head_end, _) in enumerate(header):
        overlap = min(end, head_end) - max(start, head_start)
        if overlap > best_overlap:
            best, best_overlap = index, overlap
    if best >= 0:
        return best
    # no overlap: the last column starting at or before the cell (left-aligned tables)
    chosen = 0
    for index, (head_start, _, _) in enumerate(header):
        if head_start <= start + tolerance:
            chosen = index
    return chosen


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
        if header is None:
            aligned.append(texts)
            continue
        placed = [""] * len(header)
        for cell in row:
            index = _column(cell, header, tolerance)
            placed[index] = f"{placed[index]} {cell[2]}".strip()
        aligned.append(placed)
    return aligned
