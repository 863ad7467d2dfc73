"""The nightly run at scale: time and memory per stage of the scored matcher for growing
ledgers, up to 100 000 bank lines against 500 000 open items, and a linear growth model
fitted on the measured points and extrapolated to 1 000 000 x 5 000 000.

``python -m benchmarks bench_matching_scale`` runs the small points only (10k x 50k,
30k x 150k); ``CASHAPP_BENCH_SCALE=full`` adds 100k x 500k. Each point runs in its own
process so peak memory (VmHWM) is per point. Writes benchmarks/out/matching_scale.json.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import platform
import time
from pathlib import Path

import numpy as np

POINTS = [(10_000, 50_000), (30_000, 150_000)]
FULL = (100_000, 500_000)
TARGET = (1_000_000, 5_000_000)


def _rss_mb(field: str = "VmRSS") -> float:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith(field + ":"):
            return int(row.split()[1]) / 1024
    return 0.0


def measure_point(lines: int, items: int, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    from fixtures.scenarios import generate

    from cashapp.matcher.api import MatchPolicy
    from cashapp.matcher.loading import load_matcher
    from cashapp.matcher.scored import ScoredMatcher

    start = time.perf_counter()
    scenario = generate(seed=77, customers=items // 10, open_items=items, lines=lines)
    generated = time.perf_counter() - start
    base_rss = _rss_mb()
    matcher = load_matcher()
    assert isinstance(matcher, ScoredMatcher)
    timings: dict[str, float] = {}
    start, cpu = time.perf_counter(), time.process_time()
    results = matcher.match(scenario.lines, scenario.ledger, MatchPolicy(), timings=timings)
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    auto = sum(r.decision.value == "auto" for r in results)
    queue.put({"lines": len(scenario.lines), "open_items": items, "generate_s": generated,
               "match_s": total, "match_cpu_s": total_cpu, "stages_s": timings, "rss_before_mb": base_rss,
               "peak_rss_mb": _rss_mb("VmHWM"), "auto_share": auto / len(results)})


def run_point(lines: int, items: int) -> dict[str, object]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=measure_point, args=(lines, items, queue))
    proc.start()
    result: dict[str, object] = queue.get()
    proc.join()
    return result


def extrapolate(points: list[dict[str, object]], target: tuple[int, int]) -> dict[str, float]:
    """Least squares ``y = a + b * lines + c * open_items`` through the measured points
    (with two points, ``open_items`` grows with ``lines`` here, so ``y = a + b * lines``)."""
    xs = np.array([[1.0, float(p["lines"])] for p in points])  # type: ignore[arg-type]
    out: dict[str, float] = {}
    ratio = target[1] / target[0]
    for key in ("match_s", "match_cpu_s", "peak_rss_mb"):
        ys = np.array([float(p[key]) for p in points])  # type: ignore[arg-type]
        coef, *_ = np.linalg.lstsq(xs, ys, rcond=None)
        out[key] = float(coef[0] + coef[1] * target[0])
    out["ratio_items_per_line"] = ratio
    return out


def main() -> None:
    points = list(POINTS)
    if os.environ.get("CASHAPP_BENCH_SCALE") == "full":
        points.append(FULL)
    measured = []
    print(f"{'lines':>9} {'items':>9} {'wall s':>8} {'cpu s':>8} {'cpu s/1000':>10} "
          f"{'peak MB':>8}  stages (cpu s)")
    for lines, items in points:
        row = run_point(lines, items)
        measured.append(row)
        stages = ", ".join(f"{k[:-4]} {v:.1f}" for k, v in row["stages_s"].items()  # type: ignore[attr-defined]
                           if k.endswith("_cpu"))
        cpu = float(row["match_cpu_s"])  # type: ignore[arg-type]
        print(f"{row['lines']:>9} {items:>9} {row['match_s']:>8.1f} {cpu:>8.1f} "
              f"{cpu / int(row['lines']) * 1000:>10.2f} "  # type: ignore[call-overload]
              f"{row['peak_rss_mb']:>8.0f}  {stages}", flush=True)
    projection = extrapolate(measured, TARGET)
    print(f"extrapolated to {TARGET[0]:,} x {TARGET[1]:,}: "
          f"{projection['match_cpu_s'] / 60:.1f} CPU min (wall here {projection['match_s'] / 60:.1f}"
          f" min), {projection['peak_rss_mb'] / 1024:.1f} GB peak")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "matching_scale.json").write_text(json.dumps({
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "points": measured, "extrapolated": projection}, indent=2))


if __name__ == "__main__":
    main()
