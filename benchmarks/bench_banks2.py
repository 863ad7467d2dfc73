"""Parse throughput of the CFONB120, CODA and BAI2 readers on generated 100 000-transaction files.

``python -m benchmarks bench_banks2`` renders one file per format with the test renderers
(``fixtures.render``), then reads each in a fresh subprocess so that peak RSS is that
reader's alone, at 10 000 and 100 000 transactions (linearity); speeds are per CPU second
(the best of three runs), as wall time on a shared machine measures the neighbours. Two
ways of reading: ``extract`` on the file's bytes (every statement returned) and the
streaming ``iter_lines`` on the file's path (lines handed out statement by statement and
dropped: its peak RSS must not grow with the file). Writes ``benchmarks/out/banks2.json``.
``BANKS2_BENCH_TX`` sets the large size.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from fixtures.render import bai2 as render_bai2
from fixtures.render import cfonb as render_cfonb
from fixtures.render import coda as render_coda

from cashapp.domain.statements import BankLine, Statement

HERE = Path(__file__).parent
PER_STATEMENT = 1000
WORDS = [
    "FACTURE",
    "INVOICE",
    "PAIEMENT",
    "VIREMENT",
    "SEPA",
    "ACME",
    "GLOBEX",
    "REF",
    "CLIENT",
    "SOLDE",
    "AVOIR",
]


def _statements(total: int, *, account: str, currency: str, seed: int) -> list[Statement]:
    rnd = random.Random(seed)
    statements = []
    balance = Decimal("1000.00")
    day = date(2025, 1, 1)
    for number in range(0, total, PER_STATEMENT):
        lines = []
        for entry in range(min(PER_STATEMENT, total - number)):
            cents = rnd.randint(-500_000, 900_000) or 1
            lines.append(
                BankLine(
                    bank_ref=f"B{number + entry:010d}",
                    entry=entry,
                    amount=Decimal(cents).scaleb(-2),
                    currency=currency,
                    booking_date=day,
                    value_date=day,
                    counterparty_name=f"CUSTOMER {rnd.randint(1, 5000)}",
                    end_to_end_id=f"E2E{rnd.randint(1, 10**9)}",
                    remittance_text=" ".join(rnd.choices(WORDS, k=6)) + f" {rnd.randint(1, 10**6)}",
                )
            )
        closing = balance + sum((ln.amount for ln in lines), Decimal(0))
        statements.append(
            Statement(
                id=str(number),
                account=account,
                currency=currency,
                lines=lines,
                opening_balance=balance,
                closing_balance=closing,
                opening_date=day,
                closing_date=day,
            )
        )
        balance, day = closing, day + timedelta(days=1)
    return statements


def generate(fmt: str, total: int) -> bytes:
    if fmt == "cfonb120":
        return render_cfonb.render(
            _statements(total, account="00012345678", currency="EUR", seed=1)
        ).encode()
    if fmt == "coda":
        return render_coda.render(
            _statements(total, account="BE68539007547034", currency="EUR", seed=2)
        ).encode()
    return render_bai2.render(
        _statements(total, account="123456789", currency="USD", seed=3)
    ).encode()


def _peak_kib() -> int:
    """This process's peak RSS (VmHWM; ru_maxrss would count the parent's memory at fork)."""
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(fmt: str, path: str, mode: str) -> None:
    """Runs in the subprocess: read the file, print seconds, lines and peak RSS."""
    from cashapp.extractors.statements import bai2, cfonb, coda

    reader = {"cfonb120": cfonb, "coda": coda, "bai2": bai2}[fmt]
    if mode == "streaming":
        base = _peak_kib()
        started, cpu = time.perf_counter(), time.process_time()
        lines = sum(1 for _ in reader.iter_lines(Path(path), source=path))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    else:
        data = Path(path).read_bytes()
        base = _peak_kib()
        started, cpu = time.perf_counter(), time.process_time()
        parsed = reader.extract(data, source=path)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        lines = sum(len(s.lines) for s in parsed.statements)
    peak = _peak_kib()
    print(
        json.dumps(
            {"seconds": seconds, "cpu": cpu, "lines": lines, "rss_kib": peak, "base_rss_kib": base}
        )
    )


def measure(fmt: str, total: int, folder: Path, mode: str) -> dict[str, object]:
    path = folder / f"{fmt}-{total}.dat"
    if not path.exists():
        path.write_bytes(generate(fmt, total))
    size = path.stat().st_size
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(["src", ".", os.environ.get("PYTHONPATH", "")]),
    }
    best: dict[str, float] | None = None
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_banks2", "--child", fmt, str(path), mode],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        run = json.loads(out)
        if best is None or run["cpu"] < best["cpu"]:
            best = run
    assert best is not None and best["lines"] == total
    mb = size / 1e6
    return {
        "format": fmt,
        "mode": mode,
        "transactions": total,
        "megabytes": round(mb, 2),
        "seconds": round(best["seconds"], 3),
        "cpu_seconds": round(best["cpu"], 3),
        "tx_per_s": round(total / best["cpu"]),
        "mb_per_s": round(mb / best["cpu"], 1),
        "peak_rss_mib": round(best["rss_kib"] / 1024, 1),
        "file_loaded_rss_mib": round(best["base_rss_kib"] / 1024, 1),
    }


def main() -> None:
    large = int(os.environ.get("BANKS2_BENCH_TX", "100000"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("cfonb120", "coda", "bai2"):
            for total in sorted({min(10_000, large), large}):
                for mode in ("extract", "streaming"):
                    rows.append(measure(fmt, total, Path(tmp), mode))
    header = f"{'format':9} {'mode':9} {'tx':>7} {'MB':>6} {'cpu s':>6} {'tx/s':>8} {'MB/s':>5} {'peak MiB':>8} {'file loaded':>11}"
    print(header)
    for r in rows:
        print(
            f"{r['format']:9} {r['mode']:9} {r['transactions']:>7} {r['megabytes']:>6} {r['cpu_seconds']:>6} "
            f"{r['tx_per_s']:>8} {r['mb_per_s']:>5} {r['peak_rss_mib']:>8} {r['file_loaded_rss_mib']:>11}"
        )
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    report = {"python": platform.python_version(), "cpus": os.cpu_count(), "rows": rows}
    (out / "banks2.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
