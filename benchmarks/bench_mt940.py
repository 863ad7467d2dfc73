"""MT940 read speed: cashapp's reader next to the ``mt-940`` package on the same files.

Generates statements of 500 lines each (German ``?xx`` details with SEPA keys, the most
common real layout) with ``fixtures.render.mt940``, at 10k, 50k and 100k transactions.
Every parse runs in a fresh subprocess (``parse_runs``) so its peak RSS is its own; the
parsers take turns, best of three, so a burst of load on the shared machine hits all alike.
``mt-940`` is run as users call it (``mt940.parse``) and, for like-for-like work, with its
German details processor (cashapp always splits ``:86:`` into its parts).
``cashapp-streaming`` is ``mt940.iter_lines`` on the file's path (two passes, lines handed
out statement by statement and dropped): its peak RSS must stay flat in file size.

Command: ``python -m benchmarks bench_mt940`` (``--quick``: 10k only). Writes
``benchmarks/out/mt940.json`` and ``benchmarks/mt940.md``.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks.parse_runs import (
    OUT,
    generate_apart,
    machine,
    measure_together,
    peak_mb,
    report_row,
    write_report,
)

SIZES = (10_000, 50_000, 100_000)
PER_STATEMENT = 500
PARSERS = ("cashapp", "cashapp-streaming", "mt-940", "mt-940+details")


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
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render.render(statements).encode("ascii"))
    return path


def _worker(parser: str, path: str) -> None:
    import mt940 as package  # imports stay outside the timed parse

    from cashapp.extractors.statements import mt940

    if parser == "cashapp-streaming":  # the path, never the whole file, and lines dropped
        started = time.process_time()
        count = sum(1 for _ in mt940.iter_lines(Path(path), source=path))
        seconds = time.process_time() - started
        print(json.dumps({"seconds": seconds, "count": count, "peak_mb": peak_mb()}))
        return
    data = Path(path).read_bytes()
    processors = None
    if parser == "mt-940+details":
        details = package.processors.transaction_details_post_processor
        processors = {"post_transaction_details": [details]}
    started = time.process_time()
    if parser == "cashapp":
        count = sum(len(s.lines) for s in mt940.extract(data, source=path).statements)
    else:
        count = len(package.parse(data.decode("ascii"), processors=processors))
    seconds = time.process_time() - started
    print(json.dumps({"seconds": seconds, "count": count, "peak_mb": peak_mb()}))


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    sizes = SIZES[:1] if "--quick" in args else SIZES
    results: dict[tuple[str, int], dict[str, float]] = {}
    table = []
    for size in sizes:
        path = generate_apart("bench_mt940", size)
        parsers = list(PARSERS) if size in (sizes[0], sizes[-1]) else list(PARSERS[:2])
        for parser, result in measure_together("bench_mt940", parsers, path).items():
            results[(parser, size)] = result
            table.append(report_row(parser, size, result))
            print(table[-1], flush=True)
    ratios = []
    for size in sorted({size for parser, size in results if parser.startswith("mt-940")}):
        ours = results[("cashapp", size)]["tx_per_s"]
        plain = results[("mt-940", size)]["tx_per_s"]
        details = results[("mt-940+details", size)]["tx_per_s"]
        ratios.append(
            f"- {size:,} transactions: cashapp is {ours / plain:.1f}x `mt-940` "
            f"and {ours / details:.1f}x `mt-940` with its details processor"
        )
    rows = [{"parser": p, "transactions": n, **r} for (p, n), r in results.items()]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "mt940.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    streaming = [results[("cashapp-streaming", size)] for size in sizes]
    ratios.append(
        "- streaming (`iter_lines` on the path): peak RSS "
        + ", ".join(f"{r['peak_mb']:.0f} MB at {n:,}" for r, n in zip(streaming, sizes, strict=True))
        + f" transactions; {streaming[-1]['tx_per_s']:,.0f} tx/s at {sizes[-1]:,}"
    )
    print("\n".join(ratios))
    write_report("mt940", table, ratios)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--generate":
        print(generate(int(sys.argv[2])))
    else:
        main()
