"""The past as a user lives it: month by month through the CLI, and after each run a reviewer
who resolves the review queue through the HTTP API, then accepts the alias rules the
learning loop proposes.

``periodic_warm_up`` cuts the scenario's past (``fixtures.scenarios.past``) by booking month.
Each month: ``cashapp import-invoices`` with the past invoices issued that month and those
its payments settle that are not there yet (``months_of``), one ``cashapp ingest`` of the month's three statements (each past line in
the same format as the single warm-up deals it), ``cashapp run``; then ``Reviewer`` works
the queue of a real ``cashapp serve`` on 127.0.0.1 with a key from ``cashapp apikey create
--scope review --scope read``: for each line in review (``GET /v1/bank-lines?state=suggested``
and ``state=unmatched``, ``GET /v1/bank-lines/{id}`` for its proposals and version) it
confirms the top proposal when it is the truth (``POST .../confirm``), picks a lower proposal
that is the truth, else books the true allocation (``POST .../apply``, action ``change``);
what the API refuses is left in the queue, and the next month's run matches it again. A line that is not a customer payment
is rejected (``POST .../reject``; left when it has no proposal).

Alias rules, through the same API after each month's review: ``POST /v1/alias-rules/refresh``
(the product proposes rules from the lines people confirmed, ``reconciliation.alias_rules``),
``GET /v1/alias-rules?status=proposed``, then for each proposal ``POST .../accept`` when it is
right by the truth (every line of the past and the day that carries its account or payer
name was paid for its customer), ``POST .../reject`` otherwise. The product stores the
decision: an accepted rule reaches the next ``cashapp run`` (``prepare_run`` puts it in
``LedgerView.learned_accounts`` / ``learned_names``), a rejected one is never proposed again.
``AliasBook`` keeps the truth's payers, the counts and the accepted rules for the report.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fixtures.scenarios import Scenario
from fixtures.scenarios.evaluate import allocation_key
from fixtures.scenarios.files import write_open_items, write_statements
from fixtures.scenarios.past import PREFIX, Past, past_of
from fixtures.scenarios.payments import Truth

from benchmarks.cli_harness import FORMATS, Stage, allocation_from, cashapp, cli_env
from cashapp.core.settings import load_settings
from cashapp.domain.ledger import OpenItem
from cashapp.domain.proposals import ProposedAllocation
from cashapp.domain.statements import BankLine
from cashapp.matcher.normalize import iban_key, name_key

CONFIRMED_TOP = "confirmed the top proposal"
PICKED_LOWER = "picked a lower proposal (the truth)"
CHANGED = "changed to the true allocation"
REFUSED = "change refused by the API"
REJECTED = "rejected"
LEFT = "left in the queue"
OFX_NAME = 32


@dataclass(slots=True)
class Month:
    """One period of the past: its lines by format and the invoices it brings."""

    name: str  # YYYY-MM
    lines: dict[str, list[BankLine]]
    invoices: list[OpenItem]


def months_of(past: Past) -> list[Month]:
    """The past lines by booking month (each in the format the single warm-up gives it: dealt
    in turn over ``FORMATS`` in date order); each month brings the invoices issued in it,
    and those its payments settle that are not there yet (the generated past has payments
    dated before some of the invoices they settle: the ERP has an invoice when it is paid).
    The first month brings everything issued before it."""
    by_month: dict[str, dict[str, list[BankLine]]] = defaultdict(lambda: defaultdict(list))
    paid_in: dict[str, str] = {}
    for n, line in enumerate(past.lines):
        day = line.booking_date or line.value_date
        assert day is not None, line.bank_ref
        by_month[f"{day:%Y-%m}"][FORMATS[n % len(FORMATS)]].append(line)
        for invoice in past.payments[line.bank_ref].invoices:
            paid_in[invoice.invoice_number] = min(f"{day:%Y-%m}", paid_in.get(
                invoice.invoice_number, "9999-99"))
    names = sorted(by_month)
    invoices: dict[str, list[OpenItem]] = defaultdict(list)
    for item in past.open_items:
        month = min(f"{item.issue_date:%Y-%m}", paid_in.get(item.invoice_number, "9999-99"))
        invoices[max(names[0], min(month, names[-1]))].append(item)
    return [Month(name=name, lines=dict(by_month[name]), invoices=invoices[name])
            for name in names]


@dataclass(slots=True)
class Reviewer:
    """A person working the review queue through the HTTP API with the truth at hand."""

    client: httpx.Client
    truth: Mapping[str, Truth]
    outcomes: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)  # bank_ref: status detail

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One API call; waits out a 429 (the rate limit) and tries again."""
        if method == "POST":
            kwargs["headers"] = {"Idempotency-Key": uuid.uuid4().hex}
        while True:
            response = self.client.request(method, url, **kwargs)
            self.calls[f"{method} {url.rsplit('/', 1)[-1] if method == 'POST' else 'read'}"] += 1
            if response.status_code != 429:
                return response
            time.sleep(float(response.headers.get("retry-after", "1")))

    def queue(self, state: str) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            params: dict[str, Any] = {"state": state, "limit": 500}
            if cursor is not None:
                params["cursor"] = cursor
            page = self.call("GET", "/v1/bank-lines", params=params)
            page.raise_for_status()
            body = page.json()
            yield from body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                return

    def work(self) -> None:
        """Every line in review now: suggested, then unmatched (listed before acting)."""
        for state in ("suggested", "unmatched"):
            for item in list(self.queue(state)):
                truth = self.truth.get(item["bank_ref"])
                if truth is not None:
                    self.resolve(item["id"], item["bank_ref"], truth)

    def resolve(self, line_id: int, bank_ref: str, truth: Truth) -> None:
        detail = self.call("GET", f"/v1/bank-lines/{line_id}")
        detail.raise_for_status()
        line = detail.json()
        version, proposals = line["version"], line["proposals"]
        if not truth.is_payment:
            self._reject_or_leave(line_id, version, proposals, "not a customer payment")
            return
        expected = allocation_key(truth.allocations)
        ranked = [allocation_key(tuple(allocation_from(a) for a in p["allocations"]))
                  for p in proposals]
        if ranked and ranked[0] == expected:
            done = self.call("POST", f"/v1/bank-lines/{line_id}/confirm",
                              json={"version": version})
            outcome = CONFIRMED_TOP
        elif expected in ranked:
            chosen = proposals[ranked.index(expected)]
            done = self._apply(line_id, version, chosen["allocations"], chosen["customer_id"],
                               "picked proposal " + str(chosen["rank"]))
            outcome = PICKED_LOWER
        else:
            done = self._apply(line_id, version, [_allocation_in(a) for a in truth.allocations],
                               truth.customer_id, "the true allocation")
            outcome = CHANGED
        if done.status_code == 200:
            self.outcomes[outcome] += 1
            return
        self.refused.append(f"{bank_ref}: {outcome}: {done.status_code} {done.text[:200]}")
        self.outcomes[REFUSED] += 1  # left: the next run matches it again

    def _apply(self, line_id: int, version: int, allocations: list[dict[str, Any]],
               customer_id: str | None, note: str) -> httpx.Response:
        body = {"version": version, "action": "change", "allocations": allocations,
                "customer_id": customer_id, "note": note}
        return self.call("POST", f"/v1/bank-lines/{line_id}/apply", json=body)

    def _reject_or_leave(self, line_id: int, version: int, proposals: list[Any],
                         reason: str) -> None:
        if not proposals:
            self.outcomes[LEFT] += 1
            return
        done = self.call("POST", f"/v1/bank-lines/{line_id}/reject",
                          json={"version": version, "reason": reason})
        self.outcomes[REJECTED if done.status_code == 200 else LEFT] += 1


def _allocation_in(allocation: ProposedAllocation) -> dict[str, Any]:
    return {"kind": allocation.kind.value, "amount": str(allocation.amount),
            "invoice_number": allocation.invoice_number,
            "reason_code": allocation.reason_code.value if allocation.reason_code else None}


@dataclass(slots=True)
class AliasBook:
    """The alias rules a person accepted (right by the truth), and the counts of proposals."""

    payers: dict[tuple[str, str], set[str]]  # (kind, key) -> customers the truth pays for
    accounts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    proposed: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)

    @classmethod
    def from_truth(cls, lines: Mapping[str, BankLine], truth: Mapping[str, Truth]) -> AliasBook:
        payers: dict[tuple[str, str], set[str]] = defaultdict(set)
        for ref, line in lines.items():
            paid = truth.get(ref)
            if paid is None or not paid.is_payment or paid.customer_id is None:
                continue
            if key := iban_key(line.counterparty_account):
                payers[("account", key)].add(paid.customer_id)
            name = line.counterparty_name or ""
            for written in {name, name[:OFX_NAME]}:  # OFX cuts NAME at 32 characters
                if key := name_key(written):
                    payers[("name", key)].add(paid.customer_id)
        return cls(payers=dict(payers))

    def judge(self, rule: Mapping[str, Any]) -> bool:
        """Whether a rule (as the API lists it) is right by the truth: every line of the past
        and the day with that account or name paid for the rule's customer. Counted once."""
        paid_for = self.payers.get((rule["kind"], rule["key"]), set())
        right = paid_for == {rule["customer_id"]}
        self.proposed[f"{rule['kind']}, {'right' if right else 'wrong'}"] += 1
        if right:
            book = self.accounts if rule["kind"] == "account" else self.names
            book[rule["value"]] = (rule["customer_id"],)
        else:
            self.wrong.append(f"{rule['text']}; the truth: " + (
                f"lines with it paid for {sorted(paid_for)}" if paid_for
                else "no generated line has it in this form"))
        return right


def review_rules(reviewer: Reviewer, book: AliasBook) -> int:
    """Refresh the proposals through the API, accept the right ones and reject the wrong
    ones (the product keeps both decisions); the number of proposals decided."""
    refreshed = reviewer.call("POST", "/v1/alias-rules/refresh")
    refreshed.raise_for_status()
    proposals = []
    cursor = None
    while True:
        params: dict[str, Any] = {"status": "proposed", "limit": 500}
        if cursor is not None:
            params["cursor"] = cursor
        page = reviewer.call("GET", "/v1/alias-rules", params=params)
        page.raise_for_status()
        proposals += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    for rule in proposals:
        verdict = "accept" if book.judge(rule) else "reject"
        done = reviewer.call("POST", f"/v1/alias-rules/{rule['id']}/{verdict}",
                             json={"version": rule["version"]})
        done.raise_for_status()
    return len(proposals)


@contextmanager
def api_server(database_url: str, workdir: Path) -> Iterator[tuple[str, Callable[[], float]]]:
    """``cashapp serve`` on a free loopback port (default settings: the rate limit stays on);
    the base URL and a function giving the server's CPU seconds so far."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (workdir / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "cashapp.cli", "serve", "--host",
                               "127.0.0.1", "--port", str(port)], env=cli_env(database_url),
                              cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def cpu() -> float:
        fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    try:
        for _ in range(600):
            if server.poll() is not None:
                raise RuntimeError(f"cashapp serve exited: {(workdir / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base, cpu
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def _summary(stdout: str) -> dict[str, int]:
    """``cashapp run``'s printed counts (applied, suggested, unmatched, ...)."""
    out = {}
    for line in stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit() and parts[0] != "lines":
            out[parts[0]] = int(parts[1])
    return out


def periodic_warm_up(scenario: Scenario, workdir: Path, *, database_url: str
                     ) -> tuple[list[Stage], dict[str, Any]]:
    """The past month by month (``months_of``): import the month's invoices, ingest its
    statements, run, review the queue through the API, accept the right alias rules."""
    began = time.perf_counter()
    past = past_of(scenario)
    tenant = load_settings().default_tenant
    day_lines = {t.line.bank_ref: t.line for t in scenario.lines}
    day_truth = {t.line.bank_ref: scenario.truth[t.key] for t in scenario.lines}
    book = AliasBook.from_truth({**{line.bank_ref: line for line in past.lines}, **day_lines},
                                {**past.truth, **day_truth})
    stages: list[Stage] = []
    months: list[dict[str, Any]] = []
    with ExitStack() as stack:
        reviewer: Reviewer | None = None
        server_cpu: Callable[[], float] = lambda: 0.0  # noqa: E731
        for month in months_of(past):
            folder = workdir / "past" / month.name
            folder.mkdir(parents=True, exist_ok=True)
            done: list[Stage] = []
            if month.invoices:
                write_open_items(month.invoices, folder / "open_items.csv")
                done.append(cashapp("import-invoices", str(folder / "open_items.csv"),
                                    database_url=database_url))
            files = []
            for name, lines in month.lines.items():
                written = write_statements(lines, folder, (name,), statement_prefix=(
                    f"{PREFIX}{month.name.replace('-', '')}"))
                files.append(str(written[name]))
            done.append(cashapp("ingest", *files, database_url=database_url))
            done.append(cashapp("run", database_url=database_url))
            summary = _summary(done[-1].stdout)
            if reviewer is None:
                key = cashapp("apikey", "create", "--tenant", tenant, "--scope", "review",
                              "--scope", "read", "--name", "bench reviewer",
                              database_url=database_url).stdout.strip()
                base, server_cpu = stack.enter_context(api_server(database_url, workdir))
                client = stack.enter_context(httpx.Client(
                    base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60))
                reviewer = Reviewer(client=client, truth=past.truth)
            before, calls = Counter(reviewer.outcomes), sum(reviewer.calls.values())
            started, cpu = time.perf_counter(), time.process_time()
            reviewer.work()
            done.append(Stage(name="review (API)", wall=time.perf_counter() - started,
                              cpu=time.process_time() - cpu, stdout=""))
            started, cpu = time.perf_counter(), time.process_time()
            rules = review_rules(reviewer, book)
            done.append(Stage(name="alias rules (API)", wall=time.perf_counter() - started,
                              cpu=time.process_time() - cpu, stdout=""))
            for stage in done:
                stage.name = f"past: {stage.name}"
            stages += done
            months.append({
                "month": month.name, "lines": sum(len(v) for v in month.lines.values()),
                "invoices": len(month.invoices), "run": summary,
                "review": dict(reviewer.outcomes - before),
                "api_calls": sum(reviewer.calls.values()) - calls, "alias_rules_proposed": rules,
                "stages": {s.name: round(s.wall, 2) for s in done}})
        total_server_cpu = server_cpu()
    assert reviewer is not None
    stages.append(Stage(name="past: the harness (files, API key, server start and stop)",
                        wall=time.perf_counter() - began - sum(s.wall for s in stages),
                        cpu=0.0, stdout=""))
    return stages, {
        "lines": len(past.lines), "invoices": len(past.open_items), "payments": past.payments,
        "truth": past.truth, "run_summary": "", "mode": "periodic",
        "months": months,
        "review": dict(reviewer.outcomes), "api_calls": dict(reviewer.calls),
        "api_server_cpu_s": round(total_server_cpu, 2), "refused": reviewer.refused[:20],
        "alias_rules": {"proposed": dict(book.proposed), "accepted_accounts": len(book.accounts),
                        "accepted_names": len(book.names), "wrong": book.wrong[:20]},
        "learned": {"accounts": book.accounts, "names": book.names},
    }


PERIODIC_FIELDS = ("months", "review", "api_calls", "api_server_cpu_s", "refused", "alias_rules")


def periodic_markdown(warm: dict[str, Any]) -> list[str]:
    """The periodic warm-up's part of matching_cli.md: stages summed over the months, the
    runs' counts, the reviewer's outcomes and API calls, the alias rules."""
    total: dict[str, list[float]] = {}
    for stage in warm["stages"]:
        row = total.setdefault(stage["stage"], [0, 0.0, 0.0])
        row[0] += 1
        row[1] += stage["wall_s"]
        row[2] += stage["cpu_s"]
    runs: Counter[str] = Counter()
    for month in warm["months"]:
        runs.update(month["run"])
    review, calls, rules = warm["review"], warm["api_calls"], warm["alias_rules"]
    out = [f"Warm-up (the past through the CLI month by month, {warm['months'][0]['month']} to "
           f"{warm['months'][-1]['month']}, before the measured day; wall and CPU summed over "
           "the months; CPU of the cashapp commands, of the reviewer client for the review, "
           "the server's apart):", "",
           "| stage | times | wall s | CPU s |", "|---|---|---|---|"]
    out += [f"| {name} | {n} | {wall:.2f} | {cpu:.2f} |" for name, (n, wall, cpu) in total.items()]
    out += ["", f"The {len(warm['months'])} runs (a line left in review is matched again by the "
            "next run, and counted again): " + ", ".join(f"{k} {v}" for k, v in runs.items())
            + ".", "",
            "The reviewer, through the API (each line in review after each run; a line "
            "left is seen again the next month): "
            + ", ".join(f"{k} {v}" for k, v in sorted(review.items(), key=lambda kv: -kv[1]))
            + f". API calls: {sum(calls.values())} ("
            + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) + f"); server CPU "
            f"{warm['api_server_cpu_s']} s.", "",
            "Alias rules the product proposed (`POST /v1/alias-rules/refresh` after each "
            "month's review, from the lines people confirmed), judged by the truth: " + (", ".join(
                f"{k} {v}" for k, v in sorted(rules["proposed"].items())) or "none")
            + f"; accepted through the API {rules['accepted_accounts']} accounts and "
            f"{rules['accepted_names']} payer names (used by every later `cashapp run`), the "
            "wrong ones rejected (never proposed again).", ""]
    end = warm["past_lines_at_the_end"]
    out += [f"Past lines ({warm['past_lines']}, {warm['past_invoices']} invoices) at the end "
            "(the day's run matches again what the reviewer left): "
            + ", ".join(f"{k} {v}" for k, v in sorted(end.items())) + ".", ""]
    return out
