"""Review decisions as a labelled set for ``matcher_ship.train(confirmed=...)``.

The lines get the references the text extractor finds in them, read with the ledger's
numbering, exactly as a run hands them to the matcher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cashapp.domain.proposals import ProposedAllocation
from cashapp.matcher.api import LedgerView, LineToMatch
from cashapp.training.matcher_dataset import LabelledSet, with_extracted_references


def labelled_sets(
    ledger: LedgerView,
    lines: Sequence[LineToMatch],
    right: Mapping[str, tuple[ProposedAllocation, ...] | None],
) -> list[LabelledSet]:
    """One set of the tenant's decisions; none when nobody decided anything yet."""
    if not lines:
        return []
    return [LabelledSet(ledger=ledger, lines=with_extracted_references(lines, ledger), right=right)]
