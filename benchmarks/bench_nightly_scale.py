"""The nightly run end to end at scale, on SQLite and PostgreSQL: import the open items
(``cashapp import-invoices`` on the CSV), ingest one camt.053 statement (``cashapp ingest``),
then the lettrage run (what ``cashapp run`` does: read the work, match, apply the certain
lines set-based and store the rest for review), each stage in its own process, with its
wall time, CPU time and peak RSS.

``python -m benchmarks bench_nightly_scale`` (size: ``CASHAPP_BENCH_NIGHTLY``, lines x open
items, default ``10000x50000``; backends: ``CASHAPP_BENCH_NIGHTLY_BACKENDS``, default
``sqlite,postgresql``). The data is the seeded generator of ``fixtures.scenarios`` (every
category of payment; customers = open items / 10). Writes ``benchmarks/out/nightly_scale.json``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

HERE = Path(__file__).parent
ROOT = HERE.parent
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# A 100 000-line camt.053 is ~100 MB; on a loaded machine its sandboxed parse needs time.
SANDBOX_ENV = {"CASHAPP_SANDBOX_CPU_SECONDS": "900", "CASHAPP_SANDBOX_WALL_SECONDS": "1800"}


def _cli(url: str, *args: str) -> dict[str, Any]:
    """One ``cashapp`` command in a child process: wall, CPU (with its sandbox) and peak RSS."""
    env = {**os.environ, **SANDBOX_ENV, "CASHAPP_DATABASE_URL": url,
           "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "cashapp.cli", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    out = process.stdout.read().decode() if process.stdout else ""
    err = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise RuntimeError(f"cashapp {args[0]} failed: {err or out}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "output": out.strip()[-300:]}  # fmt: skip


def _peak_rss_mb() -> float:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return 0.0


def _run_stage(url: str, queue: Any) -> None:
    """``cashapp run`` in stages, in a fresh process (peak RSS is this stage's)."""
    from cashapp.matcher import load_matcher
    from cashapp.matcher.api import MatchPolicy
    from cashapp.reconciliation.run import prepare_run, record_results
    from cashapp.storage.engine import make_engine
    from cashapp.storage.repositories.tenants import get_tenant
    from cashapp.storage.transactions import read_session

    engine = make_engine(url)
    stages: dict[str, dict[str, float]] = {}

    def timed(name: str, work: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        result = work()
        stages[name] = {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}
        return result

    def prepare() -> Any:
        with read_session(engine) as session:
            return prepare_run(session, get_tenant(session, "default").id or 0)

    with read_session(engine) as session:
        tenant = get_tenant(session, "default").id or 0
    matcher = timed("load matcher", load_matcher)
    work = timed("read the work", prepare)
    policy = MatchPolicy()
    results = timed("match", lambda: matcher.match(work.tasks, work.ledger, policy))
    lines = {task.key: task.line for task in work.tasks}
    auto = sum(r.decision.value == "auto" for r in results)
    summary = timed(
        "apply + review",
        lambda: record_results(engine, tenant, results, lines=lines, matcher=matcher, policy=policy),
    )
    engine.dispose()
    queue.put({"stages": stages, "peak_rss_mb": _peak_rss_mb(), "lines": len(results),
               "auto": auto, "applied": summary.applied, "suggested": summary.suggested,
               "unmatched": summary.unmatched, "skipped": summary.skipped})  # fmt: skip


def measure(url: str, files: dict[str, Path]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    figures["import-invoices"] = _cli(url, "import-invoices", str(files["open_items"]))
    figures["ingest"] = _cli(url, "ingest", str(files["camt"]))
    context = mp.get_context("spawn")
    queue = context.Queue()
    start = time.perf_counter()
    child = context.Process(target=_run_stage, args=(url, queue))
    child.start()
    figures["run"] = queue.get()
    child.join()
    figures["run"]["wall_s"] = time.perf_counter() - start
    applied = figures["run"]["applied"]
    apply_wall = figures["run"]["stages"]["apply + review"]["wall_s"]
    figures["run"]["applied_lines_per_s_incl_review"] = applied / apply_wall if apply_wall else 0
    return figures


def _schema_url(schema: str) -> str:
    return f"{POSTGRES}?options=-csearch_path%3D{schema}"


def main() -> None:
    from fixtures.scenarios import generate
    from fixtures.scenarios.files import write_files

    size = os.environ.get("CASHAPP_BENCH_NIGHTLY", "10000x50000")
    lines, items = (int(x) for x in size.lower().split("x"))
    backends = os.environ.get("CASHAPP_BENCH_NIGHTLY_BACKENDS", "sqlite,postgresql").split(",")
    results: dict[str, Any] = {"lines": lines, "open_items": items,
                               "python": platform.python_version(), "load_before": os.getloadavg()}  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        scenario = generate(seed=77, customers=items // 10, open_items=items, lines=lines)
        files = write_files(scenario, Path(folder) / "data", formats=("camt",))
        del scenario
        results["generate_s"] = time.perf_counter() - start
        results["camt_mb"] = files["camt"].stat().st_size / 1e6
        for backend in backends:
            if backend == "sqlite":
                results["sqlite"] = measure(f"sqlite:///{folder}/nightly.db", files)
            else:
                schema = f"bench_{uuid.uuid4().hex[:10]}"
                from cashapp.storage.engine import make_engine

                admin = make_engine(POSTGRES)
                with admin.begin() as connection:
                    connection.execute(text(f'CREATE SCHEMA "{schema}"'))
                try:
                    results["postgresql"] = measure(_schema_url(schema), files)
                finally:
                    with admin.begin() as connection:
                        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                    admin.dispose()
            results[f"load_after_{backend}"] = os.getloadavg()
            print(json.dumps({backend: results[backend]}, indent=1, default=str), flush=True)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "nightly_scale.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
