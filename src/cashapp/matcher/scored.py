"""The scored matcher: blocking, candidate allocations, named features, the learned and
calibrated scorer, and the decision, in batches (one model call per ``match``).

AUTO only when the calibrated probability of the whole allocation clears the threshold set
for the tenant's target precision (``matcher.thresholds.auto_threshold``: the model's table
for ``MatchPolicy.auto_precision``, never below the per-decision floor
``MatchPolicy.auto_min_confidence``, tightened per customer), the line names an item
of the allocation or its payer is identified (an amount alone is never enough), the
allocation does not rest on an unexplained deduction or an untrusted advice, it does not keep
money on account while the line names invoices of the ledger's numbering that the ledger does
not know (``refscan.unknown_invoice_numbers``: the money is probably theirs), and the line is
a booked credit.
Otherwise the top proposals are SUGGESTED, or the line is UNMATCHED.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cashapp.domain.proposals import DecisionKind, MatchResult, Proposal
from cashapp.matcher.api import LedgerView, LineToMatch, MatchPolicy
from cashapp.matcher.candidates import LineContext, build_context
from cashapp.matcher.differences import Settlement
from cashapp.matcher.evidence import candidate_evidence, runner_up_evidence, top_distinct
from cashapp.matcher.features import DIFFERENCES, FEATURES, FeatureBuilder
from cashapp.matcher.index import LedgerIndex, build_index
from cashapp.matcher.model import Scorer, grouped_line_scores
from cashapp.matcher.refscan import unknown_invoice_numbers, unknown_invoices_evidence
from cashapp.matcher.rules import RulesMatcher, is_applicable
from cashapp.matcher.thresholds import auto_threshold
from cashapp.matcher.workers import plan, private_mb, run_chunks

TOP_K = 3
SUGGEST_MIN = 0.02  # below this calibrated probability a candidate is not worth a reviewer's time
_UNTRUSTED = FEATURES.index("untrusted")
_NAMED = FEATURES.index("ref_named_frac")
_ACCOUNT = FEATURES.index("payer_account")
_NAME = FEATURES.index("payer_name")
_DIFFERENCE = FEATURES.index("difference")
_UNEXPLAINED = DIFFERENCES.index("unexplained")


@dataclass(slots=True)
class Featurized:
    """Lines prepared for scoring: a context per line (None when not applicable) and one
    feature matrix with each line's rows at ``offsets[n]:offsets[n+1]``."""

    contexts: list[LineContext | None]
    rows: npt.NDArray[np.float64]
    offsets: list[int]


def featurize(lines: Sequence[LineToMatch], index: LedgerIndex, policy: MatchPolicy) -> Featurized:
    builder = FeatureBuilder(index)
    contexts: list[LineContext | None] = []
    blocks: list[npt.NDArray[np.float64]] = []
    offsets = [0]
    for task in lines:
        ctx = build_context(task, index, policy) if is_applicable(task) else None
        contexts.append(ctx)
        block = builder.rows(ctx) if ctx is not None else np.zeros((0, len(FEATURES)))
        blocks.append(block)
        offsets.append(offsets[-1] + len(block))
    rows = np.vstack(blocks) if blocks else np.zeros((0, len(FEATURES)))
    return Featurized(contexts=contexts, rows=rows, offsets=offsets)


class ScoredMatcher:
    """Implements ``cashapp.matcher.api.Matcher`` with the learned scorer."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.version = f"scored-{scorer.version}"
        self._rules = RulesMatcher()

    def auto_threshold(self, policy: MatchPolicy) -> float:
        """The calibrated probability a line must clear under ``policy`` (before any
        customer's tightening): what the run records as its decisions' threshold."""
        return auto_threshold(self.scorer.precision_table, policy.auto_precision,
                              policy.auto_min_confidence)

    def match(
        self,
        lines: Sequence[LineToMatch],
        ledger: LedgerView,
        policy: MatchPolicy,
        *,
        timings: dict[str, float] | None = None,
        workers: int | None = None,
    ) -> list[MatchResult]:
        """Match ``lines``; see ``match_iter``."""
        return list(self.match_iter(lines, ledger, policy, timings=timings, workers=workers))

    def match_iter(
        self,
        lines: Sequence[LineToMatch],
        ledger: LedgerView,
        policy: MatchPolicy,
        *,
        timings: dict[str, float] | None = None,
        workers: int | None = None,
    ) -> Iterator[MatchResult]:
        """One result per line, in order, chunk by chunk (a caller that consumes them as
        they come never holds a whole night of results). ``timings``, when given, receives
        wall and CPU seconds per stage (summed over the workers when several ran) and, once
        exhausted, ``workers_private_mb``: the memory the forked workers did not share with
        this process. ``workers``: see ``matcher.workers``; the results are the same for any
        number."""
        clock = [time.perf_counter(), time.process_time()]
        index = build_index(ledger)
        if timings is not None:
            timings["index"] = time.perf_counter() - clock[0]
            timings["index_cpu"] = time.process_time() - clock[1]
        spans, count = plan(len(lines), workers)
        caller = os.getpid()

        def work(span: tuple[int, int]) -> tuple[list[MatchResult], dict[str, float], int, float]:
            stages: dict[str, float] = {}
            out = self._match_chunk(lines[span[0] : span[1]], index, policy, stages)
            pid = os.getpid()
            return out, stages, pid, private_mb() if pid != caller else 0.0

        private: dict[int, float] = {}
        if timings is not None:
            timings["workers"] = count
        for out, stages, pid, own in run_chunks(work, spans, count):
            yield from out
            private[pid] = max(private.get(pid, 0.0), own)
            if timings is not None:
                for stage, seconds in stages.items():
                    timings[stage] = timings.get(stage, 0.0) + seconds
        if timings is not None:
            timings["workers_private_mb"] = sum(private.values())

    def _match_chunk(
        self,
        chunk: Sequence[LineToMatch],
        index: LedgerIndex,
        policy: MatchPolicy,
        timings: dict[str, float],
    ) -> list[MatchResult]:
        clock = [time.perf_counter(), time.process_time()]

        def lap(stage: str) -> None:
            now = [time.perf_counter(), time.process_time()]
            timings[stage] = timings.get(stage, 0.0) + now[0] - clock[0]
            timings[stage + "_cpu"] = timings.get(stage + "_cpu", 0.0) + now[1] - clock[1]
            clock[:] = now

        results: list[MatchResult] = []
        prepared = featurize(chunk, index, policy)
        lap("candidates_features")
        raw = self.scorer.raw(prepared.rows)
        confidence = self.scorer.calibrate(grouped_line_scores(raw, prepared.offsets))
        lap("scoring")
        # the same for every line of the chunk: the policy's threshold (before a customer's
        # tightening) and the gates each candidate's feature row shows
        threshold = self.auto_threshold(policy)
        gates = row_gates(prepared.rows, policy)
        for n, task in enumerate(chunk):
            ctx = prepared.contexts[n]
            lo, hi = prepared.offsets[n], prepared.offsets[n + 1]
            if ctx is None:
                results.append(MatchResult(line_key=task.key, decision=DecisionKind.UNMATCHED))
            elif hi == lo:
                results.append(self._without_candidates(task, ctx, index, policy))
            else:
                results.append(self._decide(ctx, index, policy, threshold, raw[lo:hi],
                                            confidence[lo:hi], prepared.rows[lo:hi],
                                            gates[lo:hi]))
        lap("decision_evidence")
        return results

    def _decide(
        self,
        ctx: LineContext,
        index: LedgerIndex,
        policy: MatchPolicy,
        threshold: float,
        raw: npt.NDArray[np.float64],
        confidence: npt.NDArray[np.float64],
        rows: npt.NDArray[np.float64],
        gates: npt.NDArray[np.bool_],
    ) -> MatchResult:
        order = sorted(range(len(raw)), key=lambda n: (-confidence[n], -raw[n]))
        first = ctx.candidates[order[0]].settlement
        kept = [n for n in top_distinct(order, ctx.candidates, TOP_K)
                if confidence[n] >= SUGGEST_MIN or (raw[n] >= SUGGEST_MIN and (
                    n == order[0] or _other_reading(first, ctx.candidates[n].settlement)))]
        if not kept:
            return MatchResult(line_key=ctx.task.key, decision=DecisionKind.UNMATCHED)
        # only a proposal keeping money on account asks which named invoices are unknown
        unknown = (unknown_invoice_numbers(ctx.task, index) if ctx.task.references and any(
            ctx.candidates[n].settlement.on_account for n in kept) else ())
        proposals: list[Proposal] = []
        for rank, n in enumerate(kept):
            cand = ctx.candidates[n]
            evidence = candidate_evidence(ctx, cand, index, float(raw[n]), float(confidence[n]))
            if unknown and cand.settlement.on_account:
                evidence.append(unknown_invoices_evidence(unknown, cand.settlement.on_account))
            if rank == 0 and len(kept) > 1:
                m = kept[1]
                evidence.append(runner_up_evidence(cand, rows[n], ctx.candidates[m], rows[m],
                                                   float(confidence[m]), index))
            proposals.append(Proposal(allocations=cand.settlement.allocations,
                                      confidence=round(float(confidence[n]), 6),
                                      customer_id=cand.customer_id, evidence=tuple(evidence),
                                      model_version=self.version))
        best = ctx.candidates[kept[0]]
        customer = policy.per_customer_threshold.get(best.customer_id, 0.0)
        automatic = (
            confidence[kept[0]] >= max(threshold, customer)
            and bool(gates[kept[0]])
            and not _read_two_ways(ctx, best.settlement)
            and not (unknown and best.settlement.on_account)
        )
        decision = DecisionKind.AUTO if automatic else DecisionKind.SUGGESTED
        return MatchResult(line_key=ctx.task.key, decision=decision, proposals=tuple(proposals))

    def _without_candidates(
        self, task: LineToMatch, ctx: LineContext, index: LedgerIndex, policy: MatchPolicy
    ) -> MatchResult:
        """Nothing in the line's currency: the rules may still suggest (never apply) what the
        line names, e.g. an invoice in another currency."""
        if not ctx.hits:
            return MatchResult(line_key=task.key, decision=DecisionKind.UNMATCHED)
        result = self._rules.match_one(task, index, policy)
        return MatchResult(line_key=task.key, proposals=result.proposals,
                           decision=DecisionKind.SUGGESTED if result.proposals
                           else DecisionKind.UNMATCHED)


def row_gates(rows: npt.NDArray[np.float64], policy: MatchPolicy) -> npt.NDArray[np.bool_]:
    """Which candidates pass the gates of the automatic decision that their feature rows
    show: the payer is identified or the line names an item (an amount alone, from a payer
    nobody knows, is never enough), the difference is explained (unless the tenant allows
    it), the advice is trusted. Training reads the same gates (``matcher_precision``)."""
    identified = (rows[:, _NAMED] > 0) | (rows[:, _ACCOUNT] > 0) | (rows[:, _NAME] >= 0.8)
    explained = (rows[:, _DIFFERENCE] != _UNEXPLAINED) | policy.auto_unexplained_deductions
    return np.asarray(identified & explained & (rows[:, _UNTRUSTED] == 0.0), dtype=np.bool_)


def _read_two_ways(ctx: LineContext, settlement: Settlement) -> bool:
    """The difference has another reading nothing in the line rules out: never automatic."""
    return settlement.alternative is not None or any(
        c.settlement.alternative is settlement for c in ctx.candidates)


def _other_reading(first: Settlement, other: Settlement) -> bool:
    """``other`` reads the same difference of the same items another way (a discount that is
    also a round bank fee): the reviewer sees both, however low the split leaves each."""
    return first.alternative is other or other.alternative is first
