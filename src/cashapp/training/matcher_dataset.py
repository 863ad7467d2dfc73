"""Labelled data for the matcher's scorer: a ledger, bank lines, and for each line the
allocation that was right (``None`` for a line that is not a customer payment).

Candidates are generated and featurized exactly as the matcher does at run time; a
candidate is labelled 1 when its allocation equals the right one row for row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from cashapp.domain.proposals import ProposedAllocation
from cashapp.extractors.nlp.api import find_references, learn_shapes
from cashapp.matcher.api import LedgerView, LineToMatch, MatchPolicy
from cashapp.matcher.index import build_index
from cashapp.matcher.scored import featurize

Signature = tuple[tuple[str, str, Decimal, str], ...]


def allocation_signature(allocations: Iterable[ProposedAllocation]) -> Signature:
    """An allocation as a comparable value: its rows (kind, invoice, amount, reason), sorted."""
    return tuple(sorted((a.kind.value, a.invoice_number or "", a.amount,
                         a.reason_code.value if a.reason_code else "") for a in allocations))


@dataclass(frozen=True, slots=True)
class LabelledSet:
    """Lines with the allocation that was right for each (by line key)."""

    ledger: LedgerView
    lines: Sequence[LineToMatch]
    right: Mapping[str, tuple[ProposedAllocation, ...] | None]


@dataclass(slots=True)
class CandidateTable:
    """Feature rows of every candidate, their labels, and which line each belongs to."""

    rows: npt.NDArray[np.float64]
    labels: npt.NDArray[np.int8]
    line_of_row: npt.NDArray[np.int64]
    lines: int


def with_extracted_references(
    lines: Sequence[LineToMatch], ledger: LedgerView
) -> list[LineToMatch]:
    """The lines as the run hands them to the matcher: with what the text extractor finds
    in their text, read with the numbering learned from the ledger (as
    ``reconciliation.run.prepare_run`` does), so training sees what serving sees."""
    items = ledger.open_items
    shapes = learn_shapes([i.invoice_number for i in items],
                          payment_references=[i.payment_reference for i in items
                                              if i.payment_reference])
    out = []
    for task in lines:
        line = task.line
        text = " ".join(part for part in (line.remittance_text, line.additional_info) if part)
        refs = find_references(text, shapes=shapes) if text else ()
        out.append(replace(task, references=tuple(refs)))
    return out


def candidate_table(
    sets: Sequence[LabelledSet], policy: MatchPolicy | None = None
) -> CandidateTable:
    policy = policy or MatchPolicy()
    blocks: list[npt.NDArray[np.float64]] = []
    labels: list[int] = []
    owners: list[int] = []
    line_no = 0
    for labelled in sets:
        index = build_index(labelled.ledger)
        prepared = featurize(labelled.lines, index, policy)
        blocks.append(prepared.rows)
        for n, task in enumerate(labelled.lines):
            ctx = prepared.contexts[n]
            right = labelled.right.get(task.key)
            want = allocation_signature(right) if right else None
            for cand in ctx.candidates if ctx is not None else ():
                labels.append(int(want is not None
                                  and allocation_signature(cand.settlement.allocations) == want))
                owners.append(line_no)
            line_no += 1
    width = blocks[0].shape[1] if blocks else 0
    rows = np.vstack(blocks) if blocks else np.zeros((0, width))
    return CandidateTable(rows=rows, labels=np.asarray(labels, dtype=np.int8),
                          line_of_row=np.asarray(owners, dtype=np.int64), lines=line_no)
