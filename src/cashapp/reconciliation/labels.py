"""The learning loop's labels: what people decided in review, as training data.

A live application a person decided (confirm, change, split, write off) labels its bank line
with the allocation that was right; a rejection on a line nobody applied since labels it
"none of these" (``None``). A decision later reversed is no label: the person changed their mind.

The ledger is the one the person saw as best we can rebuild it: today's open items plus the
items the labelled applications touched, with what those applications took put back, and the
customers' payment habits as ``prepare_run`` summarizes them (``customer_history_as_of``: the
window ends at the labelled lines' as-of date, not today, so old decisions train with the
history of their time; and a reviewed line trains with its payer's history, not as a new
customer's), less the labelled applications themselves: a label must not show up in its own
line's features.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from cashapp.domain.money import from_minor
from cashapp.domain.proposals import INVOICE_SIDE_KINDS, AllocationKind, ProposedAllocation
from cashapp.domain.reasons import ReasonCode
from cashapp.matcher.api import LedgerView, LineToMatch
from cashapp.reconciliation.run import customer_history_as_of
from cashapp.storage import Session
from cashapp.storage import labels as store
from cashapp.storage.repositories.bank import bank_line_from_row
from cashapp.storage.repositories.receivables import list_customers
from cashapp.storage.review import ApplicationView


@dataclass(frozen=True, slots=True)
class LabelledDecisions:
    """Lines keyed by bank line id, and for each the allocation a person said was right."""

    ledger: LedgerView
    lines: list[LineToMatch]
    right: Mapping[str, tuple[ProposedAllocation, ...] | None]


def _allocations(view: ApplicationView) -> tuple[ProposedAllocation, ...]:
    currency = view.application.currency
    return tuple(
        ProposedAllocation(
            kind=AllocationKind(a.kind),
            amount=from_minor(a.amount_minor, currency),
            invoice_number=a.invoice_number if a.kind != AllocationKind.ON_ACCOUNT else None,
            reason_code=ReasonCode(a.reason_code) if a.reason_code else None,
        )
        for a in view.allocations
    )


def list_labelled_decisions(
    session: Session, tenant: int, *, with_history: bool = True
) -> LabelledDecisions:
    """Every labelled decision of the tenant, with the ledger rebuilt to before them;
    ``with_history`` False leaves the customers' habits out (the alias rules need none)."""
    right: dict[str, tuple[ProposedAllocation, ...] | None] = {}
    taken: dict[str, Decimal] = defaultdict(Decimal)
    line_ids: list[int] = []
    labelled_applications: set[int] = set()
    for view in store.list_confirmed_applications(session, tenant):
        allocations = _allocations(view)
        if view.application.id is not None:
            labelled_applications.add(view.application.id)
        right[str(view.application.bank_line_id)] = allocations
        line_ids.append(view.application.bank_line_id)
        for allocation in allocations:
            if allocation.kind in INVOICE_SIDE_KINDS and allocation.invoice_number:
                taken[allocation.invoice_number] += allocation.amount
    rejected = store.list_rejected_lines(session, tenant)
    for row in rejected:
        right[str(row.id)] = None
    rows = store.find_line_rows(session, tenant, line_ids) + rejected
    items = [
        replace(item, open_amount=item.open_amount + taken[item.invoice_number])
        if item.invoice_number in taken else item
        for item in store.list_items_with_closed(session, tenant, taken)
    ]
    lines = [LineToMatch(key=str(row.id), line=bank_line_from_row(row))
             for row in sorted(rows, key=lambda r: r.id or 0)]
    history = customer_history_as_of(session, tenant, (t.line for t in lines), open_items=items,
                                     excluding=labelled_applications) if with_history else {}
    return LabelledDecisions(
        ledger=LedgerView(open_items=items, customers=list_customers(session, tenant),
                          customer_history=history),
        lines=lines, right=right,
    )
