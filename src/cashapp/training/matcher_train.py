"""Train, calibrate, measure and (only if it is not worse) promote the matcher's scorer.

``train_matcher`` fits a HistGradientBoosting classifier on the candidates of the training
lines and an isotonic calibrator on out-of-fold line scores of the same lines (cross-fitting),
measures the result on a separate evaluation set with the real decision rule, compares it
with the model in place, and writes a new versioned skops artifact, its manifest and its
MODEL_CARD.md only when it measures at least as well. ``cashapp train`` calls it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from threadpoolctl import threadpool_limits

from cashapp.domain.proposals import DecisionKind
from cashapp.matcher.api import MatchPolicy
from cashapp.matcher.features import CATEGORICAL, FEATURES
from cashapp.matcher.model import (
    MANIFEST,
    ArtifactError,
    Scorer,
    grouped_line_scores,
    load_scorer,
    save_scorer,
    scoring_threads,
)
from cashapp.matcher.scored import ScoredMatcher, row_gates
from cashapp.matcher.thresholds import auto_threshold
from cashapp.training.matcher_card import write_card
from cashapp.training.matcher_dataset import (
    CandidateTable,
    LabelledSet,
    allocation_signature,
    candidate_table,
)
from cashapp.training.matcher_precision import table_from_out_of_fold

FOLDS = 3  # cross-fitting folds for the calibrator's out-of-fold scores
# Which lines fall in which fold. The classifier does not depend on it, the calibration's
# top does. Measured before the matcher ignored the hash seed, assignments gave 91.4-95.1 %
# automatic on the evaluation set; with a stable candidate order, fold seeds 1, 2 and 3 give
# 93.5, 93.5 and 93.4 % (plain isotonic, current code, all at 100 % precision).
FOLD_SEED = 3
# 300 boosting rounds (150 until 1.4.1): on the same 20 training scenarios, the out-of-fold
# scores of right allocations separate further from the few wrong ones (a right twin chosen
# by a clear payment-habit margin reached only 0.996 after 150 rounds), so the calibration's
# top bin starts lower: 95.4 % automatic on the evaluation set (150: 95.1 %, 500: 95.2 %,
# learning rate 0.2: 94.6 %, monotone delay features: 95.0 %, 5 folds: 94.9 %), all at 100 %
# precision; the spread between recipes is about as large as the gain.
HGB_PARAMS = {"max_iter": 300, "learning_rate": 0.1, "max_leaf_nodes": 31,
              "l2_regularization": 1.0, "min_samples_leaf": 20, "early_stopping": False,
              "random_state": 0}
SLACK = 0.002  # a new model may lose this much automatic rate or right-in-any-form, no more


@dataclass(slots=True)
class Measures:
    """How a scorer does on an evaluation set, with the real decision rule (each model its
    own: a model with a precision table at the threshold its table sets for the target, an
    older one at the target per decision). ``auto_precision`` is the precision of the
    automatic set, an applied non-payment counting as wrong; the gate asks it to reach the
    target, so a model may apply more than the one in place only as precisely as promised."""

    lines: int
    payments: int
    automatic: float
    auto_precision: float
    auto_wrong: int
    right_any_form: float
    non_payments_applied: int

    def at_least_as_good_as(self, other: Measures, target: float) -> bool:
        precise_enough = self.auto_precision >= min(target, other.auto_precision)
        return (precise_enough and self.non_payments_applied <= other.non_payments_applied
                and self.automatic >= other.automatic - SLACK
                and self.right_any_form >= other.right_any_form - SLACK)


@dataclass(slots=True)
class TrainingReport:
    version: str
    promoted: bool
    reason: str
    new: Measures
    current: Measures | None
    training_lines: int
    training_candidates: int
    artifact: Path | None


def fit_scorer(table: CandidateTable, version: str, *, seed: int = FOLD_SEED,
               policy: MatchPolicy | None = None, copies: int = 1) -> Scorer:
    """Fit the calibrator on out-of-fold line scores of every training line, then the
    classifier on all of them (``CalibratedClassifierCV(ensemble=False)``'s recipe).

    Each of ``FOLDS`` classifiers scores the lines it did not see; the isotonic calibrator
    learns from all those scores. A held-out share alone (the earlier recipe) left the top
    of the calibration to a handful of errors: two splits of the same data gave automatic
    rates 5 points apart. The same out-of-fold scores, calibrated and capped as served, give
    the precision table (``matcher_precision``; gates read with ``policy``).

    ``copies``: how many times each line is in the table (a scenario trained on in several
    forms, ``matcher_ship.TRAINING_FORMS``); the confidence cap's Laplace bound and the
    precision table count each line once, not once per copy (a copy is no new evidence).
    """
    rng = np.random.default_rng(seed)
    fold_of_line = rng.integers(0, FOLDS, size=table.lines)
    fold = fold_of_line[table.line_of_row]
    categorical = [FEATURES.index(name) for name in CATEGORICAL]
    raw = np.zeros(len(table.labels))
    with threadpool_limits(scoring_threads()):
        for k in range(FOLDS):
            model = HistGradientBoostingClassifier(categorical_features=categorical, **HGB_PARAMS)
            model.fit(table.rows[fold != k], table.labels[fold != k])
            raw[fold == k] = model.predict_proba(table.rows[fold == k])[:, 1]
        classifier = HistGradientBoostingClassifier(categorical_features=categorical,
                                                    **HGB_PARAMS)
        classifier.fit(table.rows, table.labels)
    owners = table.line_of_row
    offsets = [0, *(np.flatnonzero(np.diff(owners)) + 1).tolist(), len(owners)]
    scores = grouped_line_scores(raw, offsets)
    calibrator = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    calibrator.fit(scores, table.labels)
    calibrated = calibrator.predict(scores)
    top = calibrated >= calibrated.max()
    right, seen = int(table.labels[top].sum()) / copies, int(top.sum()) / copies
    cap = round((right + 1) / (seen + 2), 6)
    gated = row_gates(table.rows, policy or MatchPolicy())
    precision = table_from_out_of_fold(np.clip(calibrated, 0.0, cap), raw, table.labels,
                                       table.line_of_row, gated, copies=copies)
    return Scorer(version=version, classifier=classifier, calibrator=calibrator,
                  features=FEATURES, confidence_cap=cap, precision_table=precision)


def measure(scorer: Scorer, sets: Sequence[LabelledSet], policy: MatchPolicy) -> Measures:
    matcher = ScoredMatcher(scorer)
    lines = payments = auto = auto_right = right_any = applied_non = 0
    for labelled in sets:
        for result in matcher.match(labelled.lines, labelled.ledger, policy):
            lines += 1
            right = labelled.right.get(result.line_key)
            is_auto = result.decision is DecisionKind.AUTO
            if right is None:
                applied_non += is_auto
                right_any += not is_auto
                continue
            payments += 1
            want = allocation_signature(right)
            keys = [allocation_signature(p.allocations) for p in result.proposals]
            best_right = bool(keys) and keys[0] == want
            auto += is_auto
            auto_right += is_auto and best_right
            right_any += (best_right if is_auto else want in keys)
    return Measures(lines=lines, payments=payments,
                    automatic=auto / payments if payments else 0.0,
                    auto_precision=(auto_right / (auto + applied_non)
                                    if auto + applied_non else 1.0),
                    auto_wrong=auto - auto_right,
                    right_any_form=right_any / lines if lines else 0.0,
                    non_payments_applied=applied_non)


def recorded_measures(model_dir: Path, new: Measures) -> Measures | None:
    """What the model in place measured when it was promoted (its manifest), when today's
    code cannot load it (trained on another feature list) and the evaluation set is the same
    size: a retrain that changes the features must still beat it, not just any empty
    directory. None when there is no such record."""
    try:
        recorded = json.loads((model_dir / MANIFEST).read_text())["evaluation"]
        old = Measures(**{f.name: recorded[f.name] for f in fields(Measures)})
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return old if (old.lines, old.payments) == (new.lines, new.payments) else None


def train_matcher(
    train: Sequence[LabelledSet],
    evaluation: Sequence[LabelledSet],
    model_dir: Path,
    *,
    version: str | None = None,
    policy: MatchPolicy | None = None,
    training_data: str = "",
    produced_by: str = "",
    rows: CandidateTable | None = None,
    copies: int = 1,
) -> TrainingReport:
    """Train a scorer; promote it into ``model_dir`` only if it measures no worse there.
    ``rows``: training rows already built (``train`` is then not read), e.g. by the candidate
    code of the commit that trained the model in place, to re-ship the same classifier
    (``scripts/reship_matcher.py``). ``copies``: how many forms of each line ``train``
    holds, see ``fit_scorer``."""
    policy = policy or MatchPolicy()
    version = version or time.strftime("%Y%m%d%H%M", time.gmtime())
    table = rows if rows is not None else candidate_table(train, policy)
    scorer = fit_scorer(table, version, policy=policy, copies=copies)
    new = measure(scorer, evaluation, policy)
    try:
        current: Measures | None = measure(load_scorer(model_dir), evaluation, policy)
    except ArtifactError:
        current = recorded_measures(model_dir, new)
    if current is not None and not new.at_least_as_good_as(current, policy.auto_precision):
        return TrainingReport(version, False, "measures worse than the model in place",
                              new, current, table.lines, len(table.labels), None)
    if new.auto_precision < policy.auto_precision and new.automatic > 0:
        return TrainingReport(version, False, "automatic precision below the target",
                              new, current, table.lines, len(table.labels), None)
    card = {"trained": time.strftime("%Y-%m-%d", time.gmtime()), "training_data": training_data,
            "training_lines": table.lines, "training_candidates": len(table.labels),
            "evaluation": asdict(new), "auto_precision_target": policy.auto_precision,
            "auto_min_confidence": policy.auto_min_confidence,
            "auto_threshold": auto_threshold(scorer.precision_table, policy.auto_precision,
                                             policy.auto_min_confidence),
            "precision_table": [asdict(row) for row in scorer.precision_table],
            "hgb_params": HGB_PARAMS, "confidence_cap_laplace": scorer.confidence_cap,
            "fold_seed": FOLD_SEED,
            "produced_by": produced_by}
    for old in model_dir.glob("matcher-*.skops"):
        old.unlink()
    artifact = save_scorer(scorer, model_dir, card)
    write_card(model_dir, version, card)
    return TrainingReport(version, True, "promoted", new, current, table.lines,
                          len(table.labels), artifact)
