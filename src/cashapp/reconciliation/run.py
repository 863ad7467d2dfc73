"""The lettrage run: every booked incoming payment without a live application is matched;
what is certain is applied, the rest waits in review.

``prepare_run`` reads the work (lines, what the text extractor finds in them, linked
remittance advices, the open items) in one read; the matcher then runs without the
database; ``record_result`` writes one line's outcome in the caller's transaction (the
entry point gives each line its own, so a failure never leaves half a payment applied).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from cashapp.domain.proposals import DecisionKind, MatchResult
from cashapp.domain.remittances import Remittance
from cashapp.domain.statements import BankLine
from cashapp.extractors.nlp.api import find_references, learn_shapes
from cashapp.matcher.api import LedgerView, LineToMatch, Matcher, MatchPolicy
from cashapp.reconciliation.apply import ActorType, apply_proposal
from cashapp.reconciliation.review import store_suggestion
from cashapp.storage import Session
from cashapp.storage.repositories.bank import (
    bank_line_from_row,
    list_lines_without_live_application,
)
from cashapp.storage.repositories.receivables import list_customers, list_open_items
from cashapp.storage.repositories.remittances import list_remittances


@dataclass(frozen=True, slots=True)
class RunWork:
    """What one run matches: the lines (keyed by bank line id) and the tenant's ledger."""

    tasks: list[LineToMatch]
    ledger: LedgerView


def prepare_run(session: Session, tenant: int) -> RunWork:
    """The lines to match, with the references found in their text and linked advices."""
    open_items = list_open_items(session, tenant)
    shapes = learn_shapes(
        [item.invoice_number for item in open_items],
        payment_references=[i.payment_reference for i in open_items if i.payment_reference],
    )
    advices = list_remittances(session, tenant)
    tasks = []
    for row in list_lines_without_live_application(session, tenant):
        line = bank_line_from_row(row)
        text = " ".join(part for part in (line.remittance_text, line.additional_info) if part)
        tasks.append(
            LineToMatch(
                key=str(row.id),
                line=line,
                references=find_references(text, shapes=shapes) if text else (),
                remittances=linked_remittances(line, advices),
            )
        )
    return RunWork(
        tasks=tasks,
        ledger=LedgerView(open_items=open_items, customers=list_customers(session, tenant)),
    )


def linked_remittances(line: BankLine, advices: Sequence[Remittance]) -> tuple[Remittance, ...]:
    """The advices that announce this payment: by payment id, else a unique same-total one."""
    if not advices:
        return ()
    ids = {value for value in (line.end_to_end_id, line.bank_ref) if value}
    by_id = tuple(a for a in advices if a.payment_id and a.payment_id in ids)
    if by_id:
        return by_id
    same_total = tuple(
        a for a in advices if a.total == line.amount and (a.currency in (None, line.currency))
    )
    return same_total if len(same_total) == 1 else ()


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
        is_rules = matcher.version.startswith("rules")
        apply_proposal(
            session,
            tenant,
            bank_line_id,
            best,
            actor_type=ActorType.RULE if is_rules else ActorType.MODEL,
            actor_id=f"cashapp-run:{matcher.version}",
            model_name=type(matcher).__name__,
            threshold=policy.auto_precision,
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
