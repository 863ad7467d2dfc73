"""Training: a model trained on generated days is promoted into an empty model directory
and loads; one trained on nonsense labels measures worse and is refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cashapp.matcher.model import load_scorer
from cashapp.training.matcher_dataset import LabelledSet
from cashapp.training.matcher_ship import generated_set
from cashapp.training.matcher_train import train_matcher

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
