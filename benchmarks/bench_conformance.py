"""Pass rate of the corpus conformance suite, per format and per source project.

``python -m benchmarks bench_conformance`` reads every file of ``../shared/corpus`` as
``cashapp inspect`` does, checks it against ``GROUND_TRUTH.json`` and writes
``benchmarks/out/conformance.json`` and the table in ``benchmarks/conformance.md``.
"""

from __future__ import annotations

import json
import platform
import time
from collections import defaultdict
from pathlib import Path

from fixtures.corpus_deviations import DEVIATIONS
from fixtures.corpus_facts import CORPUS, CorpusCase, check, load_cases

from cashapp.core.errors import InputError
from cashapp.domain.statements import StatementFile
from cashapp.extractors.inspect_json import remittance_file_json, statement_file_json
from cashapp.extractors.read import read_bytes

HERE = Path(__file__).parent


def outcome(case: CorpusCase) -> tuple[bool, str]:
    try:
        parsed = read_bytes(case.file.read_bytes(), source=case.path)
    except InputError as error:
        if case.expect_error in ("format", "strict"):
            return True, "refused as expected"
        return False, f"refused: {error}"
    except Exception as error:
        return False, f"crashed: {type(error).__name__}: {error}"
    if case.expect_error == "format":
        return False, "read a broken file without an error"
    read = (
        statement_file_json(parsed)
        if isinstance(parsed, StatementFile)
        else remittance_file_json(parsed)
    )
    problems = check(case, read)
    return (not problems), "; ".join(problems[:3])


def main() -> None:
    cases = load_cases()
    if not cases:
        print(f"no corpus at {CORPUS}")
        return
    started = time.perf_counter()
    by_format: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for case in cases:
        ok, why = outcome(case)
        for table, key in ((by_format, case.format), (by_source, f"{case.format}: {case.source}")):
            table[key][0] += ok
            table[key][1] += 1
        if not ok:
            failures.append({"file": case.path, "why": why, "deviation": DEVIATIONS.get(case.path)})
    seconds = time.perf_counter() - started
    passed = sum(v[0] for v in by_format.values())
    report = {
        "files": len(cases),
        "passed": passed,
        "seconds": round(seconds, 2),
        "by_format": dict(by_format),
        "by_source": dict(by_source),
        "failures": failures,
    }
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "conformance.json").write_text(json.dumps(report, indent=1))
    lines = [
        "# Corpus conformance",
        "",
        f"Files read right: **{passed} / {len(cases)}** ({100 * passed / len(cases):.1f} %), "
        f"in {seconds:.1f} s on {platform.machine()} ({platform.python_version()}), 2 cores.",
        "Command: `python -m benchmarks bench_conformance` (the same checks as "
        "`tests/conformance/test_corpus.py`).",
        "",
        "| format | read right | files | rate |",
        "|---|---|---|---|",
    ]
    for key, (ok, total) in sorted(by_format.items()):
        lines.append(f"| {key} | {ok} | {total} | {100 * ok / total:.1f} % |")
    lines += ["", "| format: source project | read right | files |", "|---|---|---|"]
    for key, (ok, total) in sorted(by_source.items()):
        lines.append(f"| {key} | {ok} | {total} |")
    lines += ["", "## Files not read right", ""]
    lines += [
        f"- `{f['file']}`: {f['why']}" + (f" (known deviation: {f['deviation']})" if f["deviation"] else "")
        for f in failures
    ] or ["None."]
    (HERE / "conformance.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:12]))


if __name__ == "__main__":
    main()
