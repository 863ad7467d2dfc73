"""Re-ship the matcher with the classifier of an earlier commit: the training rows are built
by that commit's candidate code (``git archive`` into a temporary directory, run there), the
fit, the calibration, the precision table, the promotion gate and the card by this checkout.
The same rows, seeds and fold seed give the same classifier and calibrator, bit for bit.

    PYTHONPATH=src:. python scripts/reship_matcher.py 1.5.1 1ea19c79e38a

Used for 1.5.1: 1.5.0's classifier (its rows were built before the bank-charges rule
changed the candidates) with the precision table of ``training.matcher_precision``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from cashapp.matcher.model import MODEL_DIR, load_scorer
from cashapp.training.matcher_dataset import CandidateTable, candidate_table
from cashapp.training.matcher_ship import (
    EVAL_SEED,
    SIZE,
    TRAIN_SEEDS,
    code_version,
    generated_set,
)
from cashapp.training.matcher_train import FOLD_SEED, train_matcher

ROOT = Path(__file__).resolve().parents[1]
BUILD = """
import sys
import numpy as np
from cashapp.training.matcher_dataset import candidate_table
from cashapp.training.matcher_ship import SIZE, TRAIN_SEEDS, generated_set
table = candidate_table([generated_set(seed, **SIZE) for seed in TRAIN_SEEDS])
np.savez(sys.argv[1], rows=table.rows, labels=table.labels, line_of_row=table.line_of_row,
         lines=table.lines)
"""


def rows_of(commit: str, workdir: Path) -> CandidateTable:
    """The training rows as the candidate code of ``commit`` builds them."""
    archive = workdir / "code.tar"
    subprocess.run(["git", "archive", "-o", str(archive), commit, "src", "fixtures"],
                   cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(workdir / "code", filter="data")
    code = workdir / "code"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(code / "src"), str(code)))}
    out = workdir / "rows.npz"
    subprocess.run([sys.executable, "-c", BUILD, str(out)], cwd=code, env=env, check=True)
    data = np.load(out)
    return CandidateTable(rows=data["rows"], labels=data["labels"],
                          line_of_row=data["line_of_row"], lines=int(data["lines"]))


def main() -> int:
    version, commit = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        rows = rows_of(commit, Path(tmp))
    seeds = ", ".join(map(str, TRAIN_SEEDS))
    data = (f"{len(TRAIN_SEEDS)} generated scenarios (seeds {seeds}, {SIZE['customers']} "
            f"customers, {SIZE['open_items']} open items, {SIZE['lines']} lines each), "
            f"candidates built by the code of commit {commit}; evaluation: generated seed "
            f"{EVAL_SEED} (today's candidates)")
    produced_by = (f"`python scripts/reship_matcher.py {version} {commit}` (training rows by "
                   f"the candidate code of commit {commit}, training seeds {seeds}, fold seed "
                   f"{FOLD_SEED}; fit, table, gate and evaluation seed {EVAL_SEED} on code at "
                   f"{code_version()})")
    current = load_scorer(MODEL_DIR)
    report = train_matcher([], [generated_set(EVAL_SEED, **SIZE)], MODEL_DIR, version=version,
                           training_data=data, produced_by=produced_by, rows=rows)
    print(f"{report.version}: {report.reason}")
    print(f"  new:     {report.new}")
    print(f"  current: {report.current}")
    if report.promoted:
        probe = candidate_table([generated_set(EVAL_SEED, **SIZE)]).rows
        same = np.array_equal(current.raw(probe), load_scorer(MODEL_DIR).raw(probe))
        print(f"  classifier's predictions on the evaluation set equal {current.version}'s: "
              f"{same}")
    return 0 if report.promoted else 1


if __name__ == "__main__":
    raise SystemExit(main())
