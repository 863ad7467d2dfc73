"""MT940 read speed: cashapp's reader next to the ``mt-940`` package on the same files.

Generates statements of 500 lines each (German ``?xx`` details with SEPA keys, the most
common real layout) with ``fixtures.render.mt940``, at 10k, 50k and 100k transactions.
Every parse runs in a fresh subprocess so its peak RSS is its own. ``mt-940`` is run as
users call it (``mt940.parse``) and, for like-for-like work, with its German details
processor. CPU time (``time.process_time``) is reported: the machine is shared.

Command: ``python -m benchmarks bench_mt940`` (add ``--quick`` for 10k only).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SIZES = (10_000, 50_000, 100_000)
# the subprocesses find cashapp (src layout) and fixtures/ without an installed package
WORKER_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE.parent)]),
}
PER_STATEMENT = 500


def generate(size: int) -> Path:
    """A file of ``size`` transactions (cached in benchmarks/out)."""
    from fixtures.render import mt940 as render

    from cashapp.domain.statements import BankLine, Statement

    path = OUT / f"mt940_{size}.sta"
    if path.exists():
        return path
    statements = []
    for s in range(size // PER_STATEMENT):
        day = date(2025, 1, 1) + timedelta(days=s % 300)
        lines = [
            BankLine(
                bank_ref=f"B{s:05d}{n:04d}",
                entry=n,
                amount=Decimal((n * 7919) % 900_000 + 1).scaleb(-2) * (1 if n % 3 else -1),
                currency="EUR",
                booking_date=day,
                value_date=day,
                counterparty_name=f"KUNDE {n % 997} GMBH",
                counterparty_account="DE89370400440532013000",
                counterparty_bic="COBADEFFXXX",
                end_to_end_id=f"E2E-{s}-{n}",
                remittance_text=f"RECHNUNG RE-2025-{n:05d} KUNDENNR {n % 997} DANKE",
            )
            for n in range(PER_STATEMENT)
        ]
        statements.append(
            Statement(
                id=f"STMT{s}",
                account="DE44500105175407324931",
                currency="EUR",
                lines=lines,
                opening_balance=Decimal("1000.00"),
                opening_date=day,
                closing_date=day,
                sequence=f"{s + 1}/1",
            )
        )
    OUT.mkdir(exist_ok=True)
    path.write_bytes(render.render(statements).encode("ascii"))
    return path


def _worker(parser: str, path: str) -> None:
    """Runs in a subprocess: parse once, print CPU seconds, transactions and peak RSS."""
    import resource

    data = Path(path).read_bytes()
    started = time.process_time()
    if parser == "cashapp":
        from cashapp.extractors.statements import mt940

        count = sum(len(s.lines) for s in mt940.extract(data, source=path).statements)
    else:
        import mt940 as package

        processors = None
        if parser == "mt-940+details":
            processors = {"post_transaction_details": [package.processors.transaction_details_post_processor]}
        parsed = package.parse(data.decode("ascii"), processors=processors)
        count = sum(len(statement) for statement in [parsed])
    seconds = time.process_time() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "count": count, "peak_mb": peak}))


def measure(parser: str, path: Path, repeat: int = 2) -> dict[str, float]:
    best: dict[str, float] | None = None
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_mt940", "--worker", parser, str(path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=HERE.parent,
            env=WORKER_ENV,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    assert best is not None
    size_mb = path.stat().st_size / 1e6
    return {
        **best,
        "tx_per_s": best["count"] / best["seconds"],
        "mb_per_s": size_mb / best["seconds"],
        "file_mb": size_mb,
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    sizes = SIZES[:1] if "--quick" in args else SIZES
    rows = []
    for size in sizes:
        path = generate(size)
        for parser in ("cashapp", "mt-940", "mt-940+details"):
            if parser != "cashapp" and size != sizes[-1] and size != sizes[0]:
                continue
            result = measure(parser, path)
            rows.append({"parser": parser, "transactions": size, **result})
            print(
                f"{parser:15s} {size:>7d} tx  {result['tx_per_s']:>9.0f} tx/s  "
                f"{result['mb_per_s']:6.1f} MB/s  peak {result['peak_mb']:6.0f} MB  "
                f"({result['file_mb']:.1f} MB file)",
                flush=True,
            )
    machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    OUT.mkdir(exist_ok=True)
    (OUT / "mt940.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
    else:
        main()
