"""The learned scorer: a versioned skops artifact (never pickle) holding a gradient-boosted
classifier over candidate features and an isotonic calibrator fitted on lines the classifier
did not see (out-of-fold scores).

Scoring a line: the classifier gives each candidate a raw probability ``p``; the
candidate's line score is ``p * (1 - best other p)`` (sure of it, and sure the runner-up
is not it); the calibrator maps that to the probability that the whole allocation is right.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from skops import io as skops_io
from threadpoolctl import threadpool_limits

from cashapp.matcher.features import FEATURES
from cashapp.matcher.thresholds import PrecisionRow

MODEL_DIR = Path(__file__).parent / "model"
MANIFEST = "model.json"  # {"version": ..., "artifact": "matcher-<version>.skops", ...}

# The only types a matcher artifact may contain; anything else is refused, not loaded.
TRUSTED_TYPES = frozenset({
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.preprocessing._label.LabelEncoder",
    "numpy.dtype",
    "numpy.ndarray",
    "builtins.slice",
    "collections.OrderedDict",
    "numpy.float64",
    "numpy.int64",
    "numpy.uint8",
    # HistGradientBoosting keeps its input check as functools.partial(check_array, ...);
    # skops vets the function inside the partial separately (it must be listed here too).
    "functools.partial",
    "sklearn.utils.validation.check_array",
})


class ArtifactError(RuntimeError):
    """The model artifact is missing, unreadable, or holds types we do not trust."""


@dataclass(slots=True)
class Scorer:
    version: str
    classifier: Any
    calibrator: Any
    features: tuple[str, ...]
    # A finite held-out set never proves certainty: n correct out of n in the top bin
    # gives at most (n + 1) / (n + 2) (Laplace); calibrated values are clipped to it.
    confidence_cap: float = 1.0
    # Target precision -> threshold, from out-of-fold scores (``matcher.thresholds``); empty
    # for artifacts made before 1.5.1, which keep the per-decision reading.
    precision_table: tuple[PrecisionRow, ...] = ()

    def raw(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if len(rows) == 0:
            return np.zeros(0)
        with threadpool_limits(scoring_threads()):
            return np.asarray(self.classifier.predict_proba(rows)[:, 1], dtype=np.float64)

    def calibrate(self, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if len(scores) == 0:
            return np.zeros(0)
        calibrated = np.asarray(self.calibrator.predict(scores), dtype=np.float64)
        return np.clip(calibrated, 0.0, self.confidence_cap)


def scoring_threads() -> int:
    """OpenMP threads for the scorer (``CASHAPP_MATCHER_THREADS``, default 1): on a shared
    machine, OpenMP's spinning threads made batch prediction 12x slower than one thread."""
    return max(1, int(os.environ.get("CASHAPP_MATCHER_THREADS", "1")))


def line_scores(raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each candidate's ``p * (1 - best other p)`` within one line's candidates."""
    if len(raw) == 0:
        return raw
    if len(raw) == 1:
        return raw.copy()
    order = np.argsort(-raw)
    first, second = raw[order[0]], raw[order[1]]
    others = np.where(np.arange(len(raw)) == order[0], second, first)
    return np.asarray(raw * (1.0 - others), dtype=np.float64)


def grouped_line_scores(
    raw: npt.NDArray[np.float64], offsets: Sequence[int]
) -> npt.NDArray[np.float64]:
    """``line_scores`` for many lines at once; line ``n`` owns ``raw[offsets[n]:offsets[n+1]]``."""
    out = np.empty_like(raw)
    for lo, hi in pairwise(offsets):
        if hi > lo:
            out[lo:hi] = line_scores(raw[lo:hi])
    return out


def save_scorer(scorer: Scorer, directory: Path, card: dict[str, Any]) -> Path:
    """Write ``matcher-<version>.skops`` and the manifest naming it."""
    directory.mkdir(parents=True, exist_ok=True)
    artifact = directory / f"matcher-{scorer.version}.skops"
    skops_io.dump({"classifier": scorer.classifier, "calibrator": scorer.calibrator}, artifact)
    manifest = {"version": scorer.version, "artifact": artifact.name,
                "features": list(scorer.features), "confidence_cap": scorer.confidence_cap,
                **card,
                "precision_table": [asdict(row) for row in scorer.precision_table]}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return artifact


def load_scorer(directory: Path = MODEL_DIR) -> Scorer:
    """Load the artifact the manifest names, refusing untrusted types and stale features."""
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        raise ArtifactError(f"no matcher model in {directory}")
    manifest = json.loads(manifest_path.read_text())
    artifact = directory / manifest["artifact"]
    if tuple(manifest["features"]) != FEATURES:
        raise ArtifactError(f"{artifact.name} was trained on other features; retrain it")
    untrusted = set(skops_io.get_untrusted_types(file=artifact))
    if untrusted - TRUSTED_TYPES:
        raise ArtifactError(f"{artifact.name} holds untrusted types: {sorted(untrusted)}")
    content = skops_io.load(artifact, trusted=sorted(untrusted))
    classifier, calibrator = content.get("classifier"), content.get("calibrator")
    if not isinstance(classifier, HistGradientBoostingClassifier) or not isinstance(
            calibrator, IsotonicRegression):
        raise ArtifactError(f"{artifact.name} holds unexpected estimators")
    return Scorer(version=manifest["version"], classifier=classifier, calibrator=calibrator,
                  features=FEATURES, confidence_cap=float(manifest.get("confidence_cap", 1.0)),
                  precision_table=_precision_table(manifest.get("precision_table", ())))


def _precision_table(rows: Any) -> tuple[PrecisionRow, ...]:
    """The manifest's table, checked: a malformed one is refused, not half-read."""
    try:
        table = tuple(PrecisionRow(
            target=float(row["target"]),
            threshold=None if row["threshold"] is None else float(row["threshold"]),
            lines=int(row["lines"]), errors=int(row["errors"]),
            upper_bound=float(row["upper_bound"])) for row in rows)
    except (TypeError, KeyError, ValueError) as exc:
        raise ArtifactError(f"malformed precision table in the manifest: {exc}") from exc
    return tuple(sorted(table, key=lambda row: row.target))
