"""OFX read speed: cashapp's reader next to ``ofxparse`` on the same files.

Generates OFX 1.02 SGML bank statements (one ``STMTRS`` of up to 10 000 transactions per
account, ``NAME`` and ``MEMO`` on each line) with ``fixtures.render.ofx``. cashapp is
measured at 10k, 50k and 100k transactions (linear: tx/s stays flat as files grow).
``ofxparse`` is quadratic in the number of transactions, so it is measured at 1k, 2k, 5k
and 10k only and its 100k time is EXTRAPOLATED from a fit ``t = a*n + b*n^2`` (said so in
the report). Every parse runs in a fresh subprocess (``parse_runs``). ``cashapp-streaming``
is ``ofx.iter_lines`` on the file's path (lines handed out statement by statement and
dropped): its peak RSS must stay flat in file size.

Command: ``python -m benchmarks bench_ofx`` (``--quick``: 10k only). Writes
``benchmarks/out/ofx.json`` and ``benchmarks/ofx.md``.
"""

from __future__ import annotations

import io
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
    measure,
    peak_mb,
    report_row,
    write_report,
)

SIZES = (10_000, 50_000, 100_000)
OFXPARSE_SIZES = (1_000, 2_000, 5_000, 10_000)
PER_STATEMENT = 10_000


def generate(size: int) -> Path:
    """An OFX file of ``size`` transactions (cached in benchmarks/out)."""
    from fixtures.render import ofx as render

    from cashapp.domain.statements import BankLine, Statement

    path = OUT / f"ofx_{size}.ofx"
    if path.exists():
        return path
    statements = []
    for s in range(max(1, size // PER_STATEMENT)):
        count = min(size, PER_STATEMENT)
        start = date(2025, 1, 1)
        lines = [
            BankLine(
                bank_ref=f"FIT{s:03d}{n:06d}",
                entry=n,
                amount=Decimal((n * 7919) % 900_000 + 1).scaleb(-2) * (1 if n % 3 else -1),
                currency="USD",
                booking_date=start + timedelta(days=n % 28),
                value_date=start + timedelta(days=n % 28),
                counterparty_name=f"CUSTOMER {n % 997} INC",
                remittance_text=f"ACH CREDIT INV-{n:06d} PO {n % 4999}",
            )
            for n in range(count)
        ]
        statements.append(
            Statement(
                id=f"S{s}",
                account=f"0001112223{s:02d}",
                currency="USD",
                lines=lines,
                closing_balance=Decimal("1000.00"),
                closing_date=start + timedelta(days=28),
            )
        )
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render.render(statements, version="102").encode("cp1252"))
    return path


def _worker(parser: str, path: str) -> None:
    import ofxparse  # imports stay outside the timed parse

    from cashapp.extractors.statements import ofx

    if parser == "cashapp-streaming":  # the path, never the whole file, and lines dropped
        started = time.process_time()
        count = sum(1 for _ in ofx.iter_lines(Path(path), source=path))
        seconds = time.process_time() - started
        print(json.dumps({"seconds": seconds, "count": count, "peak_mb": peak_mb()}))
        return
    data = Path(path).read_bytes()
    started = time.process_time()
    if parser == "cashapp":
        count = sum(len(s.lines) for s in ofx.extract(data, source=path).statements)
    else:
        parsed = ofxparse.OfxParser.parse(io.BytesIO(data))
        count = sum(len(account.statement.transactions) for account in parsed.accounts)
    seconds = time.process_time() - started
    print(json.dumps({"seconds": seconds, "count": count, "peak_mb": peak_mb()}))


def quadratic_fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares ``t = a*n + b*n^2`` through the origin: (a, b)."""
    s11 = sum(n * n for n, _ in points)
    s12 = sum(n**3 for n, _ in points)
    s22 = sum(n**4 for n, _ in points)
    t1 = sum(n * t for n, t in points)
    t2 = sum(n * n * t for n, t in points)
    det = s11 * s22 - s12 * s12
    return (t1 * s22 - t2 * s12) / det, (s11 * t2 - s12 * t1) / det


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    sizes = SIZES[:1] if "--quick" in args else SIZES
    results: dict[tuple[str, int], dict[str, float]] = {}
    table = []
    for size in sizes:
        for parser in ("cashapp", "cashapp-streaming"):
            path = generate_apart("bench_ofx", size)
            results[(parser, size)] = measure("bench_ofx", parser, path)
            table.append(report_row(parser, size, results[(parser, size)]))
            print(table[-1], flush=True)
    for size in OFXPARSE_SIZES:
        results[("ofxparse", size)] = measure("bench_ofx", "ofxparse", generate_apart("bench_ofx", size), repeat=1)
        table.append(report_row("ofxparse", size, results[("ofxparse", size)]))
        print(table[-1], flush=True)
    a, b = quadratic_fit([(n, results[("ofxparse", n)]["seconds"]) for n in OFXPARSE_SIZES])
    projected = a * 100_000 + b * 100_000**2
    ours = results[("cashapp", sizes[-1])]
    notes = [
        f"- ofxparse at 100,000 transactions, EXTRAPOLATED (fit t = {a:.2e}*n + {b:.2e}*n^2 on "
        f"1k-10k, not measured): {projected:,.0f} s CPU, {100_000 / projected:,.0f} tx/s",
        f"- cashapp at {sizes[-1]:,}: {ours['tx_per_s']:,.0f} tx/s; "
        f"{ours['tx_per_s'] / results[('ofxparse', 10_000)]['tx_per_s']:.0f}x ofxparse at 10k",
    ]
    if len(sizes) > 1:
        first, last = results[("cashapp", sizes[0])], ours
        notes.append(
            f"- linearity: cashapp tx/s at {sizes[-1]:,} is "
            f"{last['tx_per_s'] / first['tx_per_s']:.2f}x its tx/s at {sizes[0]:,} (1.0 = linear)"
        )
        small, large = results[("cashapp-streaming", sizes[0])], results[("cashapp-streaming", sizes[-1])]
        notes.append(
            f"- streaming (`iter_lines` on the path): peak RSS {small['peak_mb']:.0f} MB at "
            f"{sizes[0]:,} and {large['peak_mb']:.0f} MB at {sizes[-1]:,} transactions; "
            f"{large['tx_per_s']:,.0f} tx/s at {sizes[-1]:,}"
        )
    print("\n".join(notes))
    rows = [{"parser": p, "transactions": n, **r} for (p, n), r in results.items()]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ofx.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    write_report("ofx", table, notes)

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--generate":
        print(generate(int(sys.argv[2])))
    else:
        main()
