"""Training is reproducible: the same data gives the same model in another process (another
string hash seed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TRAIN = """
import hashlib, sys
from pathlib import Path
import numpy as np
from cashapp.matcher.model import load_scorer
from cashapp.training.matcher_ship import generated_set, train
size = {"customers": 120, "open_items": 1200, "lines": 400}
report = train(model_dir=Path(sys.argv[1]), version="r1", seeds=(41, 42), size=size)
assert report.promoted, report
scorer = load_scorer(Path(sys.argv[1]))
probe = generated_set(43, **size)
from cashapp.training.matcher_dataset import candidate_table
rows = candidate_table([probe]).rows
digest = hashlib.sha256()
for column in (scorer.raw(rows), scorer.calibrator.X_thresholds_, scorer.calibrator.y_thresholds_,
               np.asarray([scorer.confidence_cap])):
    digest.update(np.ascontiguousarray(column, dtype=np.float64).tobytes())
print(report.new, scorer.precision_table, digest.hexdigest())
"""


def _train(model_dir: Path, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed,
           "PYTHONPATH": os.pathsep.join((str(ROOT / "src"), str(ROOT)))}
    done = subprocess.run([sys.executable, "-c", TRAIN, str(model_dir)], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.mark.slow
def test_training_twice_gives_the_same_model(tmp_path: Path) -> None:
    first = _train(tmp_path / "a", "1")
    second = _train(tmp_path / "b", "2")
    assert first == second

