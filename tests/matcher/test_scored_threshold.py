"""The decision with a threshold set for a target precision: a line is applied when its
calibrated probability clears the model's table for the target, never below the
per-decision floor, and a tightened customer still waits. The scorer is a stub that gives
every candidate the same calibrated probability."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from cashapp.domain.ledger import Customer, OpenItem
from cashapp.domain.proposals import DecisionKind
from cashapp.domain.statements import BankLine
from cashapp.matcher.api import LedgerView, LineToMatch, MatchPolicy
from cashapp.matcher.features import FEATURES
from cashapp.matcher.model import Scorer
from cashapp.matcher.rules import RulesMatcher
from cashapp.matcher.scored import ScoredMatcher
from cashapp.matcher.thresholds import PrecisionRow, tightened_threshold
from cashapp.reconciliation.run import run_actor


class Constant:
    """Classifier and calibrator at once: every candidate gets ``p``."""

    def __init__(self, p: float) -> None:
        self.p = p

    def predict_proba(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack([np.full(len(rows), 1 - self.p), np.full(len(rows), self.p)])

    def predict(self, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.full(len(scores), self.p)


TABLE = (PrecisionRow(0.99, 0.98, 12_000, 22, 0.0025),
         PrecisionRow(0.999, 0.993, 10_000, 2, 0.00063))
CUSTOMER = Customer(customer_id="C1", name="Müller Maschinenbau GmbH",
                    ibans=("DE89370400440532013000",))


def decide(confidence: float, policy: MatchPolicy, table: tuple[PrecisionRow, ...] = TABLE
           ) -> DecisionKind:
    scorer = Scorer(version="test", classifier=Constant(0.99), calibrator=Constant(confidence),
                    features=FEATURES, precision_table=table)
    invoice = OpenItem(invoice_number="INV-2025-000001", customer_id="C1",
                       customer_name=CUSTOMER.name, issue_date=date(2025, 10, 1),
                       due_date=date(2025, 10, 31), currency="EUR", amount=Decimal("1000.00"),
                       open_amount=Decimal("1000.00"))
    line = LineToMatch(key="L1", line=BankLine(
        bank_ref="B1", entry=0, amount=Decimal("1000.00"), currency="EUR",
        booking_date=date(2025, 11, 3), counterparty_name="MUELLER MASCHINENBAU",
        counterparty_account="DE89370400440532013000", remittance_text="INV-2025-000001"))
    [result] = ScoredMatcher(scorer).match(
        [line], LedgerView(open_items=[invoice], customers=[CUSTOMER]), policy)
    assert result.best is not None and result.best.confidence == confidence
    return result.decision


def test_a_line_above_the_tables_threshold_is_applied() -> None:
    assert decide(0.995, MatchPolicy(auto_min_confidence=0.99)) is DecisionKind.AUTO
    assert decide(0.990, MatchPolicy(auto_min_confidence=0.99)) is DecisionKind.SUGGESTED


def test_the_per_decision_floor_wins_over_the_table() -> None:
    assert decide(0.995, MatchPolicy(auto_min_confidence=0.996)) is DecisionKind.SUGGESTED


def test_a_tightened_customer_still_waits() -> None:
    policy = MatchPolicy(per_customer_threshold={"C1": tightened_threshold(0.999, 1)})
    assert decide(0.995, policy) is DecisionKind.SUGGESTED
    assert decide(0.995, replace(policy, per_customer_threshold={})) is DecisionKind.AUTO


def test_without_a_table_the_target_is_the_per_decision_threshold() -> None:
    assert decide(0.995, MatchPolicy(), table=()) is DecisionKind.SUGGESTED
    assert decide(0.9992, MatchPolicy(), table=()) is DecisionKind.AUTO


def test_the_run_records_the_threshold_it_applies() -> None:
    scorer = Scorer(version="test", classifier=Constant(0.99), calibrator=Constant(0.995),
                    features=FEATURES, precision_table=TABLE)
    assert run_actor(ScoredMatcher(scorer), MatchPolicy()).threshold == 0.993
    assert run_actor(ScoredMatcher(scorer), MatchPolicy(auto_min_confidence=0.996)
                     ).threshold == 0.996
    assert run_actor(RulesMatcher(), MatchPolicy()).threshold == 0.999
