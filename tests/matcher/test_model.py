"""Loading the model artifact: the shipped one loads offline; a stale feature list, a
missing manifest or an artifact holding a type outside the allow-list is refused."""

from __future__ import annotations

import functools
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from skops import io as skops_io

from cashapp.matcher.loading import load_matcher
from cashapp.matcher.model import (
    MODEL_DIR,
    ArtifactError,
    line_scores,
    load_scorer,
    save_scorer,
)
from cashapp.matcher.rules import RulesMatcher
from cashapp.matcher.scored import ScoredMatcher
from cashapp.matcher.thresholds import PrecisionRow, auto_threshold


def test_the_shipped_model_loads_and_has_a_card() -> None:
    scorer = load_scorer()
    manifest = json.loads((MODEL_DIR / "model.json").read_text())
    assert scorer.version == manifest["version"]
    card = (MODEL_DIR / "MODEL_CARD.md").read_text()
    assert scorer.version in card and "precision" in card
    for feature in scorer.features:
        assert f"`{feature}`" in card
    assert (MODEL_DIR / manifest["artifact"]).stat().st_size < 5_000_000
    assert isinstance(load_matcher(), ScoredMatcher)


def copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(MODEL_DIR, target)
    return target


def test_stale_features_are_refused(tmp_path: Path) -> None:
    target = copy_model(tmp_path)
    manifest = json.loads((target / "model.json").read_text())
    manifest["features"] = manifest["features"][:-1]
    (target / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="other features"):
        load_scorer(target)
    assert isinstance(load_matcher(target), RulesMatcher)


def test_untrusted_types_are_refused(tmp_path: Path) -> None:
    target = copy_model(tmp_path)
    manifest = json.loads((target / "model.json").read_text())
    skops_io.dump({"classifier": functools.partial(os.system, "echo owned"), "calibrator": None},
                  target / manifest["artifact"])
    with pytest.raises(ArtifactError, match="untrusted"):
        load_scorer(target)


def test_unexpected_estimators_are_refused(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression  # trusted by skops, not by us

    target = copy_model(tmp_path)
    manifest = json.loads((target / "model.json").read_text())
    skops_io.dump({"classifier": LogisticRegression(), "calibrator": None},
                  target / manifest["artifact"])
    with pytest.raises(ArtifactError, match="unexpected"):
        load_scorer(target)


def test_missing_model_falls_back_to_rules(tmp_path: Path) -> None:
    assert isinstance(load_matcher(tmp_path), RulesMatcher)
    assert isinstance(load_matcher(rules_only=True), RulesMatcher)


def test_line_scores_punish_a_close_runner_up() -> None:
    import numpy as np

    scores = line_scores(np.array([0.99, 0.98, 0.01]))
    assert scores[0] < 0.03 and scores[1] < 0.02
    clear = line_scores(np.array([0.99, 0.01]))
    assert clear[0] > 0.98


def test_an_artifact_without_a_precision_table_keeps_the_per_decision_threshold(
        tmp_path: Path) -> None:
    target = copy_model(tmp_path)
    manifest = json.loads((target / "model.json").read_text())
    manifest.pop("precision_table", None)
    (target / "model.json").write_text(json.dumps(manifest))
    scorer = load_scorer(target)
    assert scorer.precision_table == ()
    assert auto_threshold(scorer.precision_table, 0.999, 0.99) == 0.999


def test_the_precision_table_survives_the_manifest(tmp_path: Path) -> None:
    target = copy_model(tmp_path)
    scorer = load_scorer(target)
    table = (PrecisionRow(0.999, 0.9931, 10_000, 2, 0.00063),
             PrecisionRow(0.9999, None, 5_000, 0, 0.0006))
    save_scorer(replace(scorer, precision_table=table), target, {})
    assert load_scorer(target).precision_table == table
    manifest = json.loads((target / "model.json").read_text())
    manifest["precision_table"] = [{"target": 0.999}]
    (target / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="precision table"):
        load_scorer(target)
