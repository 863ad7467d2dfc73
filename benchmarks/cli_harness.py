"""The command-line harness of ``bench_matching_cli``: the day's files, the real ``cashapp``
commands as timed subprocesses on a fresh database, and the read-back of what they did.

``run_cli_day`` writes the day (``fixtures.scenarios.files.write_files``), runs
``import-invoices``, ``ingest`` per statement file and once for the emails folder, ``run``,
``export --format jsonl`` and ``--format csv``, and turns the export (plus the review queue's
ranking, read from the ``suggestion`` table: the CLI prints only the best proposal) into one
``MatchResult`` per bank line. With ``history``, the scenario's past goes through the CLI
first (``warm_up``: one run over the whole past; ``cli_review`` has the periodic one).
``run_inputs`` keeps what the run is about to hand the matcher, for the attribution of
differences (``cli_attribution``).
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from fixtures.scenarios import Scenario, generate
from fixtures.scenarios.evaluate import allocation_key
from fixtures.scenarios.files import read_truth, write_files
from fixtures.scenarios.past import past_of, write_past_files
from fixtures.scenarios.payments import Truth

import cashapp as cashapp_package
from benchmarks.bench_matching import SEED
from cashapp.domain.proposals import (
    AllocationKind,
    DecisionKind,
    MatchResult,
    Proposal,
    ProposedAllocation,
)
from cashapp.domain.reasons import ReasonCode
from cashapp.matcher.api import LedgerView, LineToMatch

FORMATS = ("camt", "mt940", "ofx")


@dataclass(slots=True)
class Stage:
    name: str
    wall: float
    cpu: float  # user + system seconds of the cashapp process
    stdout: str


@dataclass(slots=True)
class CliDay:
    """What one day through the CLI gave: the results by bank_ref, timings, the files."""

    results: list[MatchResult]
    truth: dict[str, Any]
    stages: list[Stage]
    files: dict[str, Path]
    database_url: str
    export_rows: int
    format_of: dict[str, str] = field(default_factory=dict)  # bank_ref -> statement format
    inputs: dict[str, LineToMatch] = field(default_factory=dict)  # what the run matched
    ledger: LedgerView | None = None  # the ledger the run matched against
    emails: int = 0
    warm_up: list[Stage] = field(default_factory=list)  # the past through the CLI (history)
    past: dict[str, Any] = field(default_factory=dict)  # what the warm-up run did with it


def scenario_of_size(lines: int, *, seed: int = SEED) -> Scenario:
    """The day ``bench_matching`` measures for ``lines`` lines."""
    return generate(seed=seed, customers=max(500, lines // 3), open_items=lines * 4,
                    lines=lines)


def cli_env(database_url: str) -> dict[str, str]:
    """The environment of a ``cashapp`` subprocess: this checkout's sources, the database."""
    src = str(Path(cashapp_package.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "CASHAPP_DATABASE_URL": database_url, "PYTHONPATH": path}


def cashapp(*args: str, database_url: str) -> Stage:
    """One ``cashapp`` command as a subprocess (the console script's module), timed."""
    env = cli_env(database_url)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cashapp.cli", *args], env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"cashapp {' '.join(args)} failed ({done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")
    return Stage(name=" ".join(args[:1]), wall=wall, cpu=cpu, stdout=done.stdout)


@contextmanager
def fresh_database(workdir: Path, *, postgres: bool = False) -> Iterator[str]:
    """A new empty database: a SQLite file in ``workdir``, or a PostgreSQL database created
    for the run and dropped afterwards."""
    if not postgres:
        yield f"sqlite:///{workdir / 'cashapp.db'}"
        return
    import psycopg

    server = os.environ.get("CASHAPP_BENCH_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1:5432")
    name = f"cashapp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def warm_up(scenario: Scenario, workdir: Path, *, database_url: str
            ) -> tuple[list[Stage], dict[str, Any]]:
    """The scenario's past through the CLI before the day, as a user's earlier days brought
    it: the past invoices (``import-invoices``), the past payments as statements (``ingest``
    per format), one ``cashapp run``. The history the day's run gets is what this run applied
    (a line left in review is no history). The stages, and what became of the past lines."""
    past = past_of(scenario)
    files = write_past_files(past, workdir / "past", FORMATS)
    stages = [cashapp("import-invoices", str(files["open_items"]), database_url=database_url)]
    for name in FORMATS:
        stages.append(cashapp("ingest", str(files[name]), database_url=database_url))
        stages[-1].name = f"ingest {name}"
    stages.append(cashapp("run", database_url=database_url))
    for stage in stages:
        stage.name = f"past: {stage.name}"
    return stages, {"lines": len(past.lines), "invoices": len(past.open_items),
                    "payments": past.payments, "truth": past.truth,
                    "run_summary": stages[-1].stdout.strip()}


WarmUp = Callable[..., tuple[list[Stage], dict[str, Any]]]


def run_cli_day(scenario: Scenario, workdir: Path, *, database_url: str,
                snapshot_inputs: bool = True, advice_ids: bool = True,
                history: bool = False, warm_up_with: WarmUp | None = None) -> CliDay:
    """Write the day's files, drive them through the CLI, read back the outcome
    (``snapshot_inputs``: also keep what the run is about to match, for ``compare``;
    ``history``: the past through the CLI first, by ``warm_up_with``, default ``warm_up``,
    the single run). Only the day's lines are scored: the export's past lines (``PST...``)
    are kept apart in ``CliDay.past``."""
    warm, past = (warm_up_with or warm_up)(scenario, workdir, database_url=database_url
                                           ) if history else ([], {})
    files = write_files(scenario, workdir / "files", FORMATS, split=True, emails=True,
                        advice_ids=advice_ids)
    stages = [cashapp("import-invoices", str(files["open_items"]), database_url=database_url)]
    for name in FORMATS:
        stage = cashapp("ingest", str(files[name]), database_url=database_url)
        stage.name = f"ingest {name}"
        stages.append(stage)
    emails = len(list(files["emails"].iterdir()))
    if emails:
        stage = cashapp("ingest", str(files["emails"]), database_url=database_url)
        stage.name = "ingest emails"
        stages.append(stage)
    inputs, ledger = run_inputs(database_url) if snapshot_inputs else ({}, None)
    stages.append(cashapp("run", database_url=database_url))
    jsonl, csv_path = workdir / "lettrage.jsonl", workdir / "lettrage.csv"
    stages.append(cashapp("export", str(jsonl), "--format", "jsonl", database_url=database_url))
    stages[-1].name = "export jsonl"
    stages.append(cashapp("export", str(csv_path), "--format", "csv", database_url=database_url))
    stages[-1].name = "export csv"
    rows = [json.loads(text) for text in jsonl.read_text(encoding="utf-8").splitlines()]
    _same_as_csv(rows, csv_path)
    queue = read_review_queue(database_url)
    truth = read_truth(files["truth"])
    results = results_from_export(rows, queue)
    if past:
        past["outcome"] = past_outcome([r for r in results if r.line_key in past["truth"]],
                                       past["truth"])
    day_results = [r for r in results if r.line_key in truth]
    format_of = {task.line.bank_ref: FORMATS[n % len(FORMATS)]
                 for n, task in enumerate(scenario.lines)}
    return CliDay(results=day_results, truth=truth, stages=stages,
                  files=files, database_url=database_url, export_rows=len(rows),
                  format_of=format_of, inputs=inputs, ledger=ledger, emails=emails,
                  warm_up=warm, past=past)


def past_outcome(results: Sequence[MatchResult], truth: dict[str, Truth]) -> dict[str, int]:
    """The past lines at the end (after the warm-up run and the day's run, which matches
    again what the warm-up left): applied right or wrong, waiting, by the past's truth."""
    out: Counter[str] = Counter()
    for result in results:
        expected = allocation_key(truth[result.line_key].allocations)
        if result.decision is DecisionKind.AUTO:
            out["applied, right" if best_key(result) == expected else "applied, wrong"] += 1
        else:
            out[f"{result.decision.value}"] += 1
    return dict(out)


def _same_as_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """The CSV export carries the same rows as the JSONL one (amounts and decisions)."""
    with path.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    keys = ("bank_ref", "invoice_number", "applied_amount", "kind", "reason_code", "decision")
    assert [tuple(r[k] for k in keys) for r in table] == [
        tuple(str(r[k] or "") for k in keys) for r in rows], "csv and jsonl exports differ"


def read_review_queue(database_url: str) -> dict[str, list[tuple[ProposedAllocation, ...]]]:
    """Every suggested line's ranked proposals (bank_ref -> allocations, best first), read
    through the storage layer: the CLI prints only the best one (in the export)."""
    from cashapp.core.settings import load_settings
    from cashapp.storage.engine import make_engine
    from cashapp.storage.repositories import export as queries
    from cashapp.storage.repositories.tenants import get_tenant
    from cashapp.storage.transactions import read_session

    engine = make_engine(database_url)
    try:
        with read_session(engine) as session:
            tenant = get_tenant(session, load_settings().default_tenant).id
            assert tenant is not None
            refs = {row[0]: row[1] for row in queries.iter_lines(session, tenant)}
            queue = {}
            for line_id, decision, _, _, proposals in queries.iter_suggestions(session, tenant):
                if decision == DecisionKind.SUGGESTED.value:
                    queue[refs[line_id]] = [tuple(allocation_from(a) for a in p["allocations"])
                                            for p in json.loads(proposals)]
    finally:
        engine.dispose()
    return queue


def allocation_from(data: dict[str, Any]) -> ProposedAllocation:
    reason = data.get("reason_code")
    return ProposedAllocation(kind=AllocationKind(data["kind"]), amount=Decimal(data["amount"]),
                              invoice_number=data.get("invoice_number") or None,
                              reason_code=ReasonCode(reason) if reason else None)


def results_from_export(rows: Sequence[dict[str, Any]],
                        queue: dict[str, list[tuple[ProposedAllocation, ...]]]
                        ) -> list[MatchResult]:
    """One ``MatchResult`` per bank line of the export: its decision, and as proposals the
    applied allocation (auto) or the review queue's ranking (suggested)."""
    by_line: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_line[row["bank_ref"]].append(row)
    results = []
    for bank_ref, line_rows in by_line.items():
        decision = DecisionKind(line_rows[0]["decision"])
        exported = tuple(allocation_from({**r, "amount": r["applied_amount"]}) for r in line_rows
                         if r["kind"] != "unapplied")
        if decision is DecisionKind.SUGGESTED:
            ranked = queue.get(bank_ref, [])
            assert ranked and allocation_key(ranked[0]) == allocation_key(exported), (
                f"{bank_ref}: the export's suggestion is not the queue's best proposal")
        else:
            ranked = [exported] if exported else []
        proposals = tuple(Proposal(allocations=a, confidence=0.0) for a in ranked)
        results.append(MatchResult(line_key=bank_ref, decision=decision, proposals=proposals))
    return results


def run_inputs(database_url: str) -> tuple[dict[str, LineToMatch], LedgerView]:
    """What ``cashapp run`` will hand the matcher, by bank_ref, and the ledger: ``prepare_run``
    (read only) on the database, taken after the ingests and before the run."""
    from cashapp.core.settings import load_settings
    from cashapp.reconciliation.run import prepare_run
    from cashapp.storage.engine import make_engine
    from cashapp.storage.repositories.tenants import get_tenant
    from cashapp.storage.transactions import read_session

    engine = make_engine(database_url)
    try:
        with read_session(engine) as session:
            tenant = get_tenant(session, load_settings().default_tenant).id
            assert tenant is not None
            work = prepare_run(session, tenant)
            return {t.line.bank_ref: t for t in work.tasks}, work.ledger
    finally:
        engine.dispose()


def best_key(result: MatchResult) -> object:
    return None if result.best is None else allocation_key(result.best.allocations)

