"""Timing one parse in a fresh subprocess, so each parser's peak RSS is its own.

Shared by ``bench_mt940`` and ``bench_ofx``. A benchmark module runs itself as
``python -m benchmarks.<module> --worker PARSER PATH``; the worker parses once and prints
``{"seconds": CPU seconds, "count": transactions, "peak_mb": max RSS}``. CPU time
(``time.process_time``) is used because the machine is shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
# the subprocesses find cashapp (src layout) and fixtures/ without an installed package
WORKER_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}


def peak_mb() -> float:
    """This process's own peak RSS: ``VmHWM`` (``ru_maxrss`` would carry the forking
    parent's high-water mark across ``exec`` on Linux)."""
    import resource

    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate_apart(module: str, size: int) -> Path:
    """Have ``module`` write its ``size`` file in a subprocess and return the path.

    The benchmark process must stay small: on Linux a child inherits its parent's RSS
    high-water mark across fork and exec, so a parent that built 100 000 records in memory
    would inflate every worker's measured peak.
    """
    out = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--generate", str(size)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=WORKER_ENV,
    ).stdout
    return Path(out.strip().splitlines()[-1])


def _run(module: str, parser: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--worker", parser, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=WORKER_ENV,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def measure_together(
    module: str, parsers: list[str], path: Path, repeat: int = 3
) -> dict[str, dict[str, float]]:
    """Each parser's best of ``repeat`` runs on ``path``, the parsers taking turns (round
    robin), so a burst of load on the shared machine hits them alike."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(repeat):
        for parser in parsers:
            result = _run(module, parser, path)
            if parser not in best or result["seconds"] < best[parser]["seconds"]:
                best[parser] = result
    size_mb = path.stat().st_size / 1e6
    return {
        parser: {
            **result,
            "tx_per_s": result["count"] / result["seconds"],
            "mb_per_s": size_mb / result["seconds"],
            "file_mb": size_mb,
        }
        for parser, result in best.items()
    }


def measure(module: str, parser: str, path: Path, repeat: int = 2) -> dict[str, float]:
    """The best of ``repeat`` runs of one parser on ``path``, with throughput figures."""
    return measure_together(module, [parser], path, repeat)[parser]


def report_row(parser: str, size: int, result: dict[str, float], note: str = "") -> str:
    return (
        f"| {parser} | {size:,} | {result['file_mb']:.1f} | {result['seconds']:.2f} | "
        f"{result['tx_per_s']:,.0f} | {result['mb_per_s']:.1f} | {result['peak_mb']:.0f} | {note} |"
    )


TABLE_HEAD = (
    "| parser | transactions | file MB | CPU s | tx/s | MB/s | peak RSS MB | note |\n"
    "|---|---:|---:|---:|---:|---:|---:|---|"
)


def machine() -> str:
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores (shared), Python {platform.python_version()}"


def write_report(topic: str, table: list[str], notes: list[str]) -> None:
    """Replace the figures in ``benchmarks/<topic>.md``, keeping the prose above them."""
    report = ROOT / "benchmarks" / f"{topic}.md"
    head = report.read_text().split("<!-- figures -->")[0] if report.exists() else ""
    body = [
        "<!-- figures -->",
        f"Machine: {machine()}. Command: `python -m benchmarks bench_{topic}`.",
        "",
        TABLE_HEAD,
        *table,
        "",
        *notes,
        "",
    ]
    report.write_text(head + "\n".join(body))
