"""The nightly run at scale: time and memory per stage of the scored matcher for growing
ledgers, up to 100 000 bank lines against 500 000 open items, with 1 worker and with
forked workers, and a linear growth model fitted on the measured points and extrapolated
to 1 000 000 x 5 000 000.

``python -m benchmarks bench_matching_scale`` runs the small points only (10k x 50k,
30k x 150k); ``CASHAPP_BENCH_SCALE=full`` adds 100k x 500k; ``CASHAPP_BENCH_SCALE=10k,100k``
picks points by their line count (``1m`` is the 1 000 000 x 5 000 000 target itself).
``CASHAPP_BENCH_WORKERS=1,2`` (default) lists the worker counts run at each point.

Each point and worker count runs in its own process (the scenario generated each time,
with the same seed), so each peak is its own. The lines are handed to the matcher as a bank
file would give them: objects of their own (the generator builds a line from its invoice's
very ``Decimal`` and reference strings; a reader parses new ones), so a forked worker
touching its lines does not touch the ledger's pages through them. Memory is reported apart for the generator (the scenario held as
Python objects, which the nightly never holds: it streams lines in chunks) and for the
matcher: its peak RSS above the scenario (VmHWM, reset between runs) plus what the forked
workers did not share with the parent (their private pages). Results are consumed as they
come (``match_iter``), compared between worker counts by a digest, not held. CPU time
counts the workers.
Writes benchmarks/out/matching_scale.json.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing as mp
import os
import pickle
import platform
import resource
import time
from pathlib import Path

import numpy as np

POINTS = {"10k": (10_000, 50_000), "30k": (30_000, 150_000), "100k": (100_000, 500_000),
          "1m": (1_000_000, 5_000_000)}
TARGET = (1_000_000, 5_000_000)


def _status_mb(field: str) -> float:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith(field + ":"):
            return int(row.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure_point(lines: int, items: int, counts: list[int], queue: mp.Queue) -> None:  # type: ignore[type-arg]
    from fixtures.scenarios import generate

    from cashapp.matcher.api import MatchPolicy
    from cashapp.matcher.loading import load_matcher
    from cashapp.matcher.scored import ScoredMatcher

    matcher = load_matcher()
    assert isinstance(matcher, ScoredMatcher)
    gc.collect()
    empty_rss = _status_mb("VmRSS")
    start = time.perf_counter()
    scenario = generate(seed=77, customers=items // 10, open_items=items, lines=lines,
                        keep_past=False)
    # as read from a bank file: nothing shared with the open items (see the docstring)
    scenario.lines = pickle.loads(pickle.dumps(scenario.lines, protocol=pickle.HIGHEST_PROTOCOL))
    generated = time.perf_counter() - start
    gc.collect()
    base_rss = _status_mb("VmRSS")
    runs = []
    first = None
    for count in counts:
        gc.collect()
        _reset_peak()
        before = _status_mb("VmRSS")
        timings: dict[str, float] = {}
        load = os.getloadavg()[0]
        start, cpu = time.perf_counter(), _cpu_s()
        digest, auto, matched = hashlib.sha256(), 0, 0
        for result in matcher.match_iter(scenario.lines, scenario.ledger, MatchPolicy(),
                                         timings=timings, workers=count):
            digest.update(repr(result).encode())  # consumed as they come, as the nightly would
            auto += result.decision.value == "auto"
            matched += 1
        total, total_cpu = time.perf_counter() - start, _cpu_s() - cpu
        peak = _status_mb("VmHWM")
        same = None if first is None else digest.hexdigest() == first
        if first is None:
            first = digest.hexdigest()
        runs.append({
            "workers": int(timings.get("workers", 1)), "match_s": total, "match_cpu_s": total_cpu,
            "stages_s": {k: v for k, v in timings.items() if not k.startswith("workers")},
            "load_avg_1m": load, "parent_peak_above_scenario_mb": peak - before,
            "workers_private_mb": timings.get("workers_private_mb", 0.0),
            "matcher_mb": peak - before + timings.get("workers_private_mb", 0.0),
            "process_peak_mb": peak, "auto_share": auto / matched,
            "same_results_as_first_run": same, "digest": digest.hexdigest()})
    queue.put({"lines": len(scenario.lines), "open_items": items, "generate_s": generated,
               "generator_mb": base_rss - empty_rss, "rss_after_generation_mb": base_rss,
               "runs": runs})


def run_point(lines: int, items: int, counts: list[int]) -> dict[str, object]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=measure_point, args=(lines, items, counts, queue))
    proc.start()
    result: dict[str, object] = queue.get()
    proc.join()
    return result


def extrapolate(rows: list[dict[str, float]], target: tuple[int, int]) -> dict[str, float]:
    """Least squares ``y = a + b * lines`` through the measured points (open items grow with
    lines here, 5 per line, so one variable); with a single point, ``y = b * lines``."""
    xs = np.array([[1.0, row["lines"]] for row in rows])
    if len(rows) == 1:
        xs[:, 0] = 0.0
    out: dict[str, float] = {}
    for key in rows[0]:
        if key == "lines":
            continue
        ys = np.array([row[key] for row in rows])
        coef, *_ = np.linalg.lstsq(xs, ys, rcond=None)
        out[key] = float(coef[0] * (len(rows) > 1) + coef[1] * target[0])
    return out


def _points() -> list[tuple[int, int]]:
    chosen = os.environ.get("CASHAPP_BENCH_SCALE", "")
    if chosen == "full":
        return [POINTS["10k"], POINTS["30k"], POINTS["100k"]]
    if chosen:
        return [POINTS[name.strip()] for name in chosen.split(",")]
    return [POINTS["10k"], POINTS["30k"]]


def main() -> None:
    # The matcher's results depend on the iteration order of string sets (~0.3% of lines
    # at 10k x 50k differ between hash seeds): one seed for every point's process, so the
    # worker counts' results can be compared.
    os.environ.setdefault("PYTHONHASHSEED", "0")
    counts = [int(c) for c in os.environ.get("CASHAPP_BENCH_WORKERS", "1,2").split(",")]
    measured = []
    print(f"{'lines':>9} {'items':>9} {'gen MB':>7} {'w':>2} {'wall s':>7} {'cpu s':>7} "
          f"{'matcher MB':>10} {'load':>5}  stages (cpu s)")
    for lines, items in _points():
        # one process per worker count: freed memory of an earlier run would hide the next
        # run's peak (VmHWM can be reset, the allocator's retained heap cannot)
        parts = [run_point(lines, items, [count]) for count in counts]
        point = parts[0] | {"runs": [part["runs"][0] for part in parts]}  # type: ignore[index]
        for run in point["runs"][1:]:  # type: ignore[index]
            run["same_results_as_first_run"] = run["digest"] == point["runs"][0]["digest"]  # type: ignore[index]
        measured.append(point)
        for run in point["runs"]:  # type: ignore[attr-defined]
            stages = ", ".join(f"{k[:-4]} {v:.1f}" for k, v in run["stages_s"].items()
                               if k.endswith("_cpu"))
            print(f"{point['lines']:>9} {items:>9} {point['generator_mb']:>7.0f} "
                  f"{run['workers']:>2} {run['match_s']:>7.1f} {run['match_cpu_s']:>7.1f} "
                  f"{run['matcher_mb']:>10.0f} {run['load_avg_1m']:>5.1f}  {stages}"
                  f"{'' if run['same_results_as_first_run'] in (None, True) else '  RESULTS DIFFER'}",
                  flush=True)
    projections = {}
    for n, count in enumerate(counts):
        rows = [{"lines": float(p["lines"]), "match_s": p["runs"][n]["match_s"],  # type: ignore[index]
                 "match_cpu_s": p["runs"][n]["match_cpu_s"],  # type: ignore[index]
                 "matcher_mb": p["runs"][n]["matcher_mb"],  # type: ignore[index]
                 "generator_mb": float(p["generator_mb"])}  # type: ignore[arg-type]
                for p in measured]
        projection = extrapolate(rows, TARGET)
        projections[str(count)] = projection
        print(f"extrapolated to {TARGET[0]:,} x {TARGET[1]:,} with {count} worker(s): "
              f"wall {projection['match_s'] / 60:.1f} min, {projection['match_cpu_s'] / 60:.1f} "
              f"CPU min, matcher {projection['matcher_mb'] / 1024:.1f} GB "
              f"(+ generated scenario {projection['generator_mb'] / 1024:.1f} GB)")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "matching_scale.json").write_text(json.dumps({
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "points": measured, "extrapolated": projections}, indent=2))


if __name__ == "__main__":
    main()
