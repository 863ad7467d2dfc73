"""camt reader throughput and memory next to the raw lxml ``iterparse`` ceiling.

Generates camt.053 files of 10 000 and 100 000 realistic entries (about 1 KB each: parties,
IBANs, references, remittance, bank transaction code; every tenth entry a batch of three)
in a temporary directory, then measures in fresh child processes (so peak RSS is each
one's own), the modes taking turns, best of 5 (3 at 100 000) by CPU time, as the machine is
shared (wall time is kept in the JSON):

- ``ceiling``: ``lxml.etree.iterparse`` walking every element of the file (each one handed
  to Python, its tag read), clearing each entry as it ends, doing nothing else: the floor
  for any lxml-based reader. It parses the same file from its path, with the reader's own
  hardened parser options (``camt_xml.parser_options``), like ``streaming``;
- ``reader``: ``cashapp.extractors.statements.camt.extract`` on the file's bytes, building
  every ``BankLine`` (what ingest and inspect get);
- ``streaming``: ``camt.iter_lines`` on the file's path, the same lines handed out one
  entry at a time and dropped (memory flat in file size: what the parse itself costs).

Every mode imports what it needs before its clocks start (the reader's modules cost ~50 ms
once, which is not throughput). Run: ``python -m benchmarks bench_camt`` (sizes:
``CASHAPP_BENCH_CAMT_SIZES=10000,100000``). Writes ``benchmarks/out/camt.json``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks.parse_runs import peak_mb

ROOT = Path(__file__).resolve().parents[1]


def _statements(entries: int) -> Iterator[object]:
    from cashapp.domain.statements import BankLine, ReferredDocument, Statement

    def lines() -> Iterator[BankLine]:
        day = date(2025, 1, 1)
        for n in range(entries):
            when = day + timedelta(days=n % 300)
            count = 3 if n % 10 == 0 else 1
            total = Decimal(0)
            parts = []
            for d in range(count):
                amount = Decimal(1000 + (n * 37 + d * 11) % 90000).scaleb(-2)
                amount = amount if (n + d) % 4 else -amount
                if count > 1:
                    amount = abs(amount)
                total += amount
                parts.append(
                    BankLine(
                        bank_ref=f"ASR{n:08d}{d}",
                        entry=n,
                        amount=amount,
                        currency="EUR",
                        booking_date=when,
                        value_date=when,
                        counterparty_name=f"Customer {n % 5000} GmbH & Co. KG",
                        counterparty_account="DE89370400440532013000",
                        counterparty_bic="COBADEFFXXX",
                        end_to_end_id=f"E2E-{n:08d}-{d}",
                        remittance_text=f"Invoice INV-{n:07d} customer {n % 5000} thank you "
                        "for your business, payment as per contract terms",
                        structured_references=(f"RF18{n:010d}",) if n % 3 == 0 else (),
                        referred_documents=(
                            (ReferredDocument(number=f"INV-{n:07d}", type="CINV"),)
                            if n % 5 == 0
                            else ()
                        ),
                        bank_transaction_code="PMNT/RCDT/ESCT",
                    )
                )
            for line in parts:
                yield line if count == 1 else _with_total(line, total)

    yield Statement(
        id="BENCH", account="DE44500105175407324931", currency="EUR", lines=list(lines())
    )


def _with_total(line: object, total: Decimal) -> object:
    from dataclasses import replace

    return replace(line, entry_amount=total)  # type: ignore[type-var]


def generate(path: Path, entries: int) -> None:
    from fixtures.render.camt import render_parts

    with path.open("w", encoding="utf-8") as handle:
        for piece in render_parts(_statements(entries), version="02"):  # type: ignore[arg-type]
            handle.write(piece)


def child(mode: str, path: str) -> dict[str, float]:
    # imports happen before the clocks start, on both sides (a one-off cost, not throughput)
    from lxml import etree

    from cashapp.extractors.statements import camt, camt_xml

    options = camt_xml.parser_options()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if mode == "ceiling":
        count = 0
        for _, element in etree.iterparse(path, events=("end",), **options):  # type: ignore[call-overload]
            if element.tag.endswith("}Ntry"):
                count += 1
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    elif mode == "streaming":
        entries = set()
        for _, line in camt.iter_lines(Path(path), source=path):
            entries.add(line.entry)
        count = len(entries)
    else:
        data = Path(path).read_bytes()
        parsed = camt.extract(data, source=path)
        count = len({line.entry for line in parsed.statements[0].lines})
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    rss_mb = peak_mb()
    return {"entries": count, "seconds": elapsed, "cpu_seconds": cpu, "peak_rss_mb": rss_mb}


MODES = ("ceiling", "reader", "streaming")


def run_child(mode: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_camt", "--child", mode, str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
        capture_output=True,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def measure_all(path: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Every mode ``repeat`` times, the modes taking turns (ceiling, reader, streaming,
    ceiling...) so that each one sees the same spread of load on a shared machine."""
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for _ in range(repeat):
        for mode in MODES:
            runs[mode].append(run_child(mode, path))
    return {mode: summarise(found, path) for mode, found in runs.items()}


def summarise(runs: list[dict[str, float]], path: Path) -> dict[str, float]:
    best = min(runs, key=lambda r: r["cpu_seconds"])
    size_mb = path.stat().st_size / 1e6
    return {
        **best,
        "seconds_median": sorted(r["seconds"] for r in runs)[len(runs) // 2],
        "entries_per_s": best["entries"] / best["cpu_seconds"],
        "mb_per_s": size_mb / best["cpu_seconds"],
        "wall_entries_per_s": best["entries"] / best["seconds"],
        "file_mb": size_mb,
    }


def sandbox_overhead(rounds: int = 10) -> dict[str, float]:
    """Milliseconds to read one small camt file in process, with a cold sandbox (a new
    zygote: interpreter and readers loaded) and with a warm one (a worker forked from the
    zygote that is already running: the normal case from the second file on)."""
    import statistics

    from cashapp.core.settings import Settings
    from cashapp.extractors import sandbox
    from cashapp.extractors.read import read_bytes, read_untrusted

    data = (ROOT / "fixtures" / "statements" / "camt" / "camt053_v02_features.xml").read_bytes()
    settings = Settings()
    figures: dict[str, list[float]] = {"in_process": [], "cold_zygote": [], "warm_zygote": []}
    for _ in range(rounds):
        started = time.perf_counter()
        read_bytes(data, source="small.xml")
        figures["in_process"].append(time.perf_counter() - started)
        sandbox.stop_zygotes()
        started = time.perf_counter()
        read_untrusted(data, source="small.xml", settings=settings)
        figures["cold_zygote"].append(time.perf_counter() - started)
        started = time.perf_counter()
        read_untrusted(data, source="small.xml", settings=settings)
        figures["warm_zygote"].append(time.perf_counter() - started)
    return {key: statistics.median(values) * 1000 for key, values in figures.items()}


def main() -> None:
    sizes = [int(s) for s in os.environ.get("CASHAPP_BENCH_CAMT_SIZES", "10000,100000").split(",")]
    results: dict[str, object] = {
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "runs": [],
    }
    print(
        f"{'entries':>8} {'mode':<18} {'MB':>6} {'cpu s':>6} {'entries/s':>10} {'MB/s':>6} "
        f"{'RSS MB':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"camt053_{size}.xml"
            generate(path, size)
            row: dict[str, object] = {"entries": size}
            measured = measure_all(path, repeat=5 if size <= 20000 else 3)
            for mode in MODES:
                figures = measured[mode]
                row[mode] = figures
                print(
                    f"{size:>8} {mode:<18} {figures['file_mb']:>6.1f} {figures['cpu_seconds']:>6.2f} "
                    f"{figures['entries_per_s']:>10.0f} {figures['mb_per_s']:>6.1f} "
                    f"{figures['peak_rss_mb']:>7.0f}"
                )
            for mode in ("reader", "streaming"):
                ratio = row[mode]["entries_per_s"] / row["ceiling"]["entries_per_s"]  # type: ignore[index]
                row[f"{mode}_vs_ceiling"] = ratio
                print(f"{size:>8} {mode} / ceiling = {ratio:.0%}")
            results["runs"].append(row)  # type: ignore[attr-defined]
    overhead = sandbox_overhead()
    results["sandbox_ms"] = overhead
    print(
        "sandbox, one small file (median ms): "
        + ", ".join(f"{k} {v:.1f}" for k, v in overhead.items())
    )
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "camt.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3])))
    else:
        main()
