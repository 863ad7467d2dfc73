"""A customer's payment habits, learned from the payments the ledger already applied.

``PastPayment`` is one applied bank line of one customer (its date, the invoices it
settled, what was deducted); ``summarize_history`` turns them into one ``CustomerHistory``
per customer: how many days after the due date it usually pays (median and a robust
spread), how often and how much it deducts and for which reason, how often one payment
settles several invoices and how many, and how often it pays its oldest invoices first.
Pure: the storage layer reads the rows, the matcher reads the summaries.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cashapp.domain.ledger import OpenItem

MIN_SPREAD = 1.0  # days: a spread is never taken as tighter than a day
IQR_TO_SD = 1.349  # interquartile range of a normal distribution in standard deviations
RECENT = 100  # the most recent payments of a customer that make its habits
LOOKAHEAD = 10  # later payments searched for invoices left open (oldest-first habit)


@dataclass(frozen=True, slots=True, kw_only=True)
class PastInvoice:
    """An invoice a past payment settled (in part or whole)."""

    invoice_number: str
    issue_date: date
    due_date: date


@dataclass(frozen=True, slots=True, kw_only=True)
class PastPayment:
    """One applied (live) payment of one customer."""

    customer_id: str
    paid_on: date  # the bank line's value date (else its booking date)
    invoices: tuple[PastInvoice, ...]
    paid: Decimal  # cash applied to the invoices
    deducted: Decimal = Decimal(0)  # deduction rows (write-offs are not habits of the payer)
    deduction_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerHistory:
    """How one customer usually pays (the matcher's customer-history features read this)."""

    payments: int
    delay_median: float  # days from due date to payment (mean over the payment's invoices)
    delay_spread: float  # robust standard deviation (IQR / 1.349), at least MIN_SPREAD
    deduction_share: float  # share of payments with a deduction
    deduction_rate: float  # median deducted / (paid + deducted) among those
    usual_reason: str | None  # the most frequent deduction reason
    bundle_share: float  # share of payments settling several invoices
    bundle_size: float  # median invoices per payment among those (0 when never)
    oldest_first_share: float | None  # share paying with no older invoice left open; None: never
    #                                    had the choice


def summarize_history(
    payments: Iterable[PastPayment], *, open_items: Sequence[OpenItem] = ()
) -> dict[str, CustomerHistory]:
    """One ``CustomerHistory`` per customer that has at least one past payment.

    A payment "skipped older" when another invoice of the customer, issued by the payment
    date and due earlier than every invoice it paid, stayed open: paid later by another
    payment or still open in ``open_items``.
    """
    by_customer: dict[str, list[PastPayment]] = defaultdict(list)
    for payment in payments:
        if payment.invoices:
            by_customer[payment.customer_id].append(payment)
    still_open: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for item in open_items:
        if item.open_amount > 0 and item.customer_id in by_customer:
            still_open[item.customer_id].append((item.issue_date, item.due_date))
    return {cid: _summarize(sorted(past, key=lambda p: p.paid_on)[-RECENT:],
                            still_open.get(cid, []))
            for cid, past in by_customer.items()}


def _summarize(past: list[PastPayment], open_dates: list[tuple[date, date]]) -> CustomerHistory:
    delays = [statistics.fmean((p.paid_on - i.due_date).days for i in p.invoices) for p in past]
    deducting = [p for p in past if p.deducted > 0]
    rates = [float(p.deducted / (p.paid + p.deducted)) for p in deducting if p.paid + p.deducted]
    reasons = Counter(p.deduction_reason for p in deducting if p.deduction_reason)
    bundles = [len(p.invoices) for p in past if len(p.invoices) > 1]
    return CustomerHistory(
        payments=len(past),
        delay_median=float(statistics.median(delays)),
        delay_spread=max(MIN_SPREAD, _iqr(delays) / IQR_TO_SD),
        deduction_share=len(deducting) / len(past),
        deduction_rate=float(statistics.median(rates)) if rates else 0.0,
        usual_reason=reasons.most_common(1)[0][0] if reasons else None,
        bundle_share=len(bundles) / len(past),
        bundle_size=float(statistics.median(bundles)) if bundles else 0.0,
        oldest_first_share=_oldest_first_share(past, open_dates),
    )


def _iqr(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[2] - q[0]


def _oldest_first_share(
    past: list[PastPayment], open_dates: list[tuple[date, date]]
) -> float | None:
    """Among payments that had an older choice open, the share that took the oldest.

    An invoice counts as open at a payment when it was issued by then and paid by one of the
    next ``LOOKAHEAD`` payments (or is still open): cheap, and an invoice held back for
    longer than that is rare enough not to change the share.
    """
    ordered = sorted(past, key=lambda p: p.paid_on)
    by_issue = sorted(open_dates)
    earliest_due_open: list[date] = []  # running minimum due date over open items by issue
    for _issue, due in by_issue:
        earliest_due_open.append(min(due, earliest_due_open[-1]) if earliest_due_open else due)
    issues = [issue for issue, _due in by_issue]
    had_choice = took_oldest = 0
    for n, p in enumerate(ordered):
        earliest_paid = min(i.due_date for i in p.invoices)
        dues = [i.due_date for later in ordered[n + 1 : n + 1 + LOOKAHEAD]
                if later.paid_on > p.paid_on
                for i in later.invoices if i.issue_date <= p.paid_on]
        issued = bisect_right(issues, p.paid_on)
        if issued:
            dues.append(earliest_due_open[issued - 1])
        if not dues:
            continue
        had_choice += 1
        took_oldest += min(dues) >= earliest_paid
    return took_oldest / had_choice if had_choice else None
