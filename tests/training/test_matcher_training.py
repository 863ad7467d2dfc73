"""Training: a model trained on generated days is promoted into an empty model directory
and loads; one trained on nonsense labels measures worse and is refused."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from cashapp.matcher.model import load_scorer
from cashapp.training.matcher_dataset import LabelledSet, candidate_table
from cashapp.training.matcher_ship import generated_set
from cashapp.training.matcher_train import (
    Measures,
    fit_scorer,
    recorded_measures,
    train_matcher,
)

SIZE = {"customers": 150, "open_items": 1500, "lines": 500}


@pytest.mark.slow
def test_promotes_only_a_model_that_is_not_worse(tmp_path: Path) -> None:
    train = [generated_set(11, **SIZE), generated_set(12, **SIZE)]
    evaluation = [generated_set(13, **SIZE)]
    first = train_matcher(train, evaluation, tmp_path, version="t1", training_data="test")
    assert first.promoted, first
    assert load_scorer(tmp_path).version == "t1"
    assert (tmp_path / "MODEL_CARD.md").exists()
    assert first.new.non_payments_applied == 0

    # every payment labelled with someone else's allocation: it learns nonsense
    def scrambled(s: LabelledSet) -> LabelledSet:
        values = list(s.right.values())
        return replace(s, right=dict(zip(s.right, values[1:] + values[:1], strict=True)))

    second = train_matcher([scrambled(t) for t in train], evaluation, tmp_path, version="t2")
    assert not second.promoted
    assert load_scorer(tmp_path).version == "t1"


def test_a_model_on_other_features_is_compared_by_what_it_recorded(tmp_path: Path) -> None:
    # today's code cannot load it (other feature list): what it measured on the same
    # evaluation set when promoted is the bar, so a feature change cannot promote a worse model
    old = Measures(lines=100, payments=90, automatic=0.95, auto_precision=1.0, auto_wrong=0,
                   right_any_form=0.99, non_payments_applied=0)
    (tmp_path / "model.json").write_text(json.dumps(
        {"version": "old", "features": ["gone"], "evaluation": asdict(old)}))
    worse = Measures(lines=100, payments=90, automatic=0.94, auto_precision=1.0, auto_wrong=0,
                     right_any_form=0.99, non_payments_applied=0)
    assert recorded_measures(tmp_path, worse) == old
    assert not worse.at_least_as_good_as(old, 0.999)
    other_set = Measures(lines=50, payments=45, automatic=0.9, auto_precision=1.0,
                         auto_wrong=0, right_any_form=0.99, non_payments_applied=0)
    assert recorded_measures(tmp_path, other_set) is None
    assert recorded_measures(tmp_path / "empty", worse) is None


def test_a_model_applying_more_must_still_reach_the_target_precision() -> None:
    old = Measures(lines=1000, payments=900, automatic=0.93, auto_precision=1.0, auto_wrong=0,
                   right_any_form=0.99, non_payments_applied=0)
    more = replace(old, automatic=0.95, auto_precision=0.9995, auto_wrong=1)
    assert more.at_least_as_good_as(old, 0.999)
    sloppy = replace(old, automatic=0.96, auto_precision=0.998, auto_wrong=2)
    assert not sloppy.at_least_as_good_as(old, 0.999)


def test_the_confidence_cap_counts_a_line_held_in_several_forms_once() -> None:
    table = candidate_table([generated_set(11, **SIZE)])
    once = fit_scorer(table, "t1").confidence_cap
    twice = fit_scorer(table, "t2", copies=2).confidence_cap
    assert 0.0 < twice < once < 1.0  # the same evidence counted once proves less
