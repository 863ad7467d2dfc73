"""The lettrage run: every booked incoming payment without a live application is matched;
what is certain is applied, the rest waits in review.

``prepare_run`` reads the work (lines, what the text extractor finds in them, linked
remittance advices, the open items) in one read; the matcher then runs without the
database; ``record_result`` writes one line's outcome in the caller's transaction.
``run_lettrage`` is the job that strings them together; ``record_results`` owns its
transactions: one per chunk of applied lines, set-based (``bulk_apply``: a failure never
leaves half a chunk applied), and one per chunk of lines left for review (stored set-based too).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from cashapp.core.clock import utc_now
from cashapp.core.settings import Settings
from cashapp.domain.history import CustomerHistory, summarize_history
from cashapp.domain.ledger import Customer, OpenItem
from cashapp.domain.proposals import DecisionKind, MatchResult
from cashapp.domain.remittances import Remittance
from cashapp.domain.statements import BankLine
from cashapp.extractors.nlp.api import find_references, learn_shapes
from cashapp.matcher.api import LedgerView, LineToMatch, Matcher, MatchPolicy
from cashapp.matcher.remittance_link import (
    KeyedLine,
    KeyedRemittance,
    LinkStatus,
    PayerDirectory,
    link_remittances,
)
from cashapp.matcher.thresholds import per_customer_thresholds, tightening_base
from cashapp.reconciliation.apply import ActorType, apply_proposal
from cashapp.reconciliation.bulk_apply import Actor, Outcome, apply_chunk
from cashapp.reconciliation.review import store_suggestion, store_suggestions
from cashapp.storage import Engine, Session
from cashapp.storage.alias_rules import learned_aliases
from cashapp.storage.labels import count_reversed_automatic
from cashapp.storage.repositories.bank import (
    bank_line_from_row,
    list_lines_without_live_application,
)
from cashapp.storage.repositories.history import list_past_payments
from cashapp.storage.repositories.receivables import list_customers, list_open_items
from cashapp.storage.repositories.remittances import list_remittances
from cashapp.storage.transactions import read_session, run_in_transaction

HISTORY_WINDOW = timedelta(days=730)  # past payments that make a customer's habits


def policy_from(settings: Settings) -> MatchPolicy:
    """The tenant-wide policy of a run, from the settings (``tightened_policy`` then adds
    what the tenant's own ledger says about each customer)."""
    return MatchPolicy(auto_precision=float(settings.auto_apply_precision),
                       auto_min_confidence=float(settings.auto_min_confidence),
                       write_off_absolute=settings.write_off_absolute,
                       write_off_relative=settings.write_off_relative,
                       bank_charges_absolute=settings.bank_charges_absolute,
                       bank_charges_relative=settings.bank_charges_relative)


def tightened_policy(policy: MatchPolicy, reversals: Mapping[str, int]) -> MatchPolicy:
    """``policy`` with each customer's threshold tightened for its reversed automatic
    applications (``matcher.thresholds``: from ``tightening_base``, a tenfold smaller error
    budget per reversal); a threshold the policy already sets for a customer is kept when
    stricter."""
    base = tightening_base(policy.auto_precision, policy.auto_min_confidence)
    thresholds = dict(policy.per_customer_threshold)
    for customer, threshold in per_customer_thresholds(base, reversals).items():
        thresholds[customer] = max(threshold, thresholds.get(customer, 0.0))
    return replace(policy, per_customer_threshold=thresholds)


@dataclass(frozen=True, slots=True)
class RunWork:
    """What one run matches: the lines (keyed by bank line id), the tenant's ledger, and per
    customer the automatic applications a person reversed (``tightened`` reads them)."""

    tasks: list[LineToMatch]
    ledger: LedgerView
    reversals: Mapping[str, int] = field(default_factory=dict)

    def tightened(self, policy: MatchPolicy) -> MatchPolicy:
        """The policy this run's lines are matched and recorded under."""
        return tightened_policy(policy, self.reversals)


def prepare_run(session: Session, tenant: int) -> RunWork:
    """The lines to match, with the references found in their text and linked advices, and
    the ledger with each customer's payment habits (one query over past applications) and
    the payer aliases people accepted (``storage.alias_rules.learned_aliases``).

    The habits are the payments of the ``HISTORY_WINDOW`` up to the run's as-of date
    (``as_of_date``: the latest booking date of the lines matched), not up to today, so a
    run over dated statements or a backfill sees the history of its own time."""
    open_items = list_open_items(session, tenant)
    customers = list_customers(session, tenant)
    shapes = learn_shapes(
        [item.invoice_number for item in open_items],
        payment_references=[i.payment_reference for i in open_items if i.payment_reference],
    )
    rows = list_lines_without_live_application(session, tenant)
    lines = [KeyedLine(key=str(row.id), line=bank_line_from_row(row)) for row in rows]
    advices = link_advices(list_remittances(session, tenant), lines, customers)
    tasks = []
    for keyed in lines:
        line = keyed.line
        text = " ".join(part for part in (line.remittance_text, line.additional_info) if part)
        tasks.append(
            LineToMatch(
                key=keyed.key,
                line=line,
                references=find_references(text, shapes=shapes) if text else (),
                remittances=tuple(advices.get(keyed.key, ())),
            )
        )
    history = customer_history_as_of(
        session, tenant, (keyed.line for keyed in lines), open_items=open_items
    )
    learned = learned_aliases(session, tenant)
    ledger = LedgerView(open_items=open_items, customers=customers, customer_history=history,
                        learned_accounts=learned.accounts, learned_names=learned.names)
    return RunWork(tasks=tasks, ledger=ledger,
                   reversals=count_reversed_automatic(session, tenant))


def customer_history_as_of(
    session: Session,
    tenant: int,
    lines: Iterable[BankLine],
    *,
    open_items: Sequence[OpenItem],
    excluding: Collection[int] = (),
) -> dict[str, CustomerHistory]:
    """Each customer's payment habits from the payments of the ``HISTORY_WINDOW`` up to the
    as-of date of ``lines`` (``as_of_date``), leaving out the applications in ``excluding``.
    The run and the training labels both see history this way."""
    as_of = as_of_date(lines)
    return summarize_history(
        list_past_payments(session, tenant, since=as_of - HISTORY_WINDOW, until=as_of,
                           excluding=excluding),
        open_items=open_items,
    )


def as_of_date(lines: Iterable[BankLine]) -> date:
    """The date a run stands at: the latest booking (else value) date among its lines;
    today when no line is dated."""
    dates = [d for line in lines if (d := line.booking_date or line.value_date) is not None]
    return max(dates, default=utc_now().date())


def link_advices(
    advices: Sequence[Remittance], lines: Sequence[KeyedLine], customers: Sequence[Customer]
) -> dict[str, list[Remittance]]:
    """Stored remittance advices by the key of the bank line that paid them (matcher's
    linker: payment id, else payer + amount + date; ambiguous or unpaid advices wait)."""
    if not advices:
        return {}
    directory = PayerDirectory(
        customer_by_account={iban: c.customer_id for c in customers for iban in c.ibans},
        customer_names={c.customer_id: c.name for c in customers},
    )
    keyed = [KeyedRemittance(key=str(i), remittance=a) for i, a in enumerate(advices)]
    linked: dict[str, list[Remittance]] = defaultdict(list)
    for link in link_remittances(keyed, lines, directory=directory):
        if link.status is LinkStatus.LINKED and link.line_key is not None:
            linked[link.line_key].append(advices[int(link.remittance_key)])
    return linked


def record_result(
    session: Session,
    tenant: int,
    result: MatchResult,
    *,
    matcher: Matcher,
    policy: MatchPolicy,
) -> DecisionKind:
    """Apply an AUTO result, or keep a SUGGESTED/UNMATCHED one for review; the outcome."""
    bank_line_id = int(result.line_key)
    best = result.best
    if result.decision is DecisionKind.AUTO and best is not None:
        actor = run_actor(matcher, policy)
        apply_proposal(
            session,
            tenant,
            bank_line_id,
            best,
            actor_type=actor.actor_type,
            actor_id=actor.actor_id,
            model_name=actor.model_name,
            threshold=actor.threshold_for(best),
        )
        return DecisionKind.AUTO
    if result.decision is DecisionKind.AUTO:
        result = MatchResult(line_key=result.line_key, decision=DecisionKind.UNMATCHED)
    store_suggestion(session, tenant, bank_line_id, result)
    return DecisionKind.SUGGESTED if result.best is not None else DecisionKind.UNMATCHED


def as_suggestion(result: MatchResult) -> MatchResult:
    """An AUTO result the ledger refused (the line or an invoice moved meanwhile), for review."""
    decision = DecisionKind.SUGGESTED if result.proposals else DecisionKind.UNMATCHED
    return MatchResult(line_key=result.line_key, decision=decision, proposals=result.proposals)


@dataclass
class RunSummary:
    """What a run did, counted per outcome and summed per currency."""

    lines_read: int = 0
    applied: int = 0
    suggested: int = 0
    unmatched: int = 0
    skipped: int = 0  # applied meanwhile by someone else
    amounts: dict[str, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal))
    )

    def count(self, outcome: DecisionKind | str, line: BankLine) -> None:
        key = outcome.value if isinstance(outcome, DecisionKind) else outcome
        if key == DecisionKind.AUTO.value:
            self.applied += 1
            key = "applied"
        elif key == DecisionKind.SUGGESTED.value:
            self.suggested += 1
        elif key == DecisionKind.UNMATCHED.value:
            self.unmatched += 1
        else:
            self.skipped += 1
        self.amounts[key][line.currency] += line.amount


REVIEW_CHUNK = 1000  # lines left for review, stored per transaction (set-based)
APPLY_CHUNK = 1000  # lines applied per transaction, set-based (``bulk_apply``)
APPLY_CHUNK_ALLOCATIONS = 10_000  # and at most this many allocations per transaction
Progress = Callable[[Iterable[MatchResult], int], Iterator[MatchResult]]
AfterChunk = Callable[[int], object]  # called with the number of lines of each applied chunk


def run_actor(matcher: Matcher, policy: MatchPolicy) -> Actor:
    """Who the run's decisions name: the rules or the model, at the threshold it applies (the
    scored matcher's is set by its model for the policy's target precision; a tightened
    customer's decisions record that customer's threshold when stricter)."""
    is_rules = matcher.version.startswith("rules")
    threshold_of = getattr(matcher, "auto_threshold", None)
    return Actor(
        actor_type=ActorType.RULE if is_rules else ActorType.MODEL,
        actor_id=f"cashapp-run:{matcher.version}",
        model_name=type(matcher).__name__,
        threshold=threshold_of(policy) if callable(threshold_of) else policy.auto_precision,
        customer_thresholds=policy.per_customer_threshold,
    )


def run_lettrage(
    engine: Engine,
    tenant: int,
    *,
    matcher: Matcher,
    policy: MatchPolicy,
    progress: Progress | None = None,
) -> RunSummary:
    """Match every open payment of ``tenant``, apply the AUTO results, queue the rest
    (``policy`` tightened for the customers whose automatic applications were reversed)."""
    with read_session(engine) as session:
        work = prepare_run(session, tenant)
    policy = work.tightened(policy)
    results = matcher.match(work.tasks, work.ledger, policy)
    lines = {task.key: task.line for task in work.tasks}
    stream = progress(results, len(results)) if progress else iter(results)
    summary = record_results(engine, tenant, stream, lines=lines, matcher=matcher, policy=policy)
    summary.lines_read = len(results)
    return summary


def record_results(
    engine: Engine,
    tenant: int,
    results: Iterable[MatchResult],
    *,
    lines: Mapping[str, BankLine],
    matcher: Matcher,
    policy: MatchPolicy,
    after_chunk: AfterChunk | None = None,
) -> RunSummary:
    """Apply the AUTO results and queue the rest, owning the transactions.

    AUTO results are applied set-based in chunks of ``APPLY_CHUNK`` lines, one transaction
    each (R6: each chunk all or nothing, so a killed run resumes with the lines still
    open). A line the ledger refuses (applied meanwhile, an invoice moved) does not undo its
    chunk: it waits in review instead, as an AUTO result the per-line path refuses.
    """
    actor = run_actor(matcher, policy)
    summary = RunSummary()
    waiting: list[MatchResult] = []
    applying: list[MatchResult] = []
    allocations = 0

    def flush_review() -> None:
        if waiting:
            queued = [
                MatchResult(line_key=r.line_key, decision=DecisionKind.UNMATCHED)
                if r.decision is DecisionKind.AUTO
                else r
                for r in waiting
            ]  # an AUTO result without a proposal: nothing to apply, nothing to suggest
            run_in_transaction(engine, lambda s: store_suggestions(s, tenant, queued))
            for result in queued:
                outcome = DecisionKind.UNMATCHED if result.best is None else DecisionKind.SUGGESTED
                summary.count(outcome, lines[result.line_key])
            waiting.clear()

    def flush_applying() -> None:
        nonlocal allocations
        if not applying:
            return
        items = [(int(r.line_key), r.best) for r in applying if r.best is not None]
        outcomes = apply_chunk(engine, tenant, items, actor=actor)
        for result, outcome in zip(applying, outcomes, strict=True):
            if outcome is Outcome.REFUSED:  # the ledger moved since the read: a person decides
                waiting.append(as_suggestion(result))
            elif outcome is Outcome.APPLIED:
                summary.count(DecisionKind.AUTO, lines[result.line_key])
            else:
                summary.count("skipped", lines[result.line_key])
        if after_chunk is not None:
            after_chunk(len(applying))
        applying.clear()
        allocations = 0

    for result in results:
        summary.lines_read += 1
        if result.decision is DecisionKind.AUTO and result.best is not None:
            applying.append(result)
            allocations += len(result.best.allocations)
            if len(applying) >= APPLY_CHUNK or allocations >= APPLY_CHUNK_ALLOCATIONS:
                flush_applying()
        else:
            waiting.append(result)
        if len(waiting) >= REVIEW_CHUNK:
            flush_review()
    flush_applying()
    flush_review()
    return summary
