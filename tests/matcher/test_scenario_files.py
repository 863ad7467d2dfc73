"""A generated day written as real files (camt.053 through fixtures.render) and read back
by the camt extractor matches exactly as the in-memory day does."""

from __future__ import annotations

from pathlib import Path

from fixtures.scenarios import generate
from fixtures.scenarios.files import write_files

from cashapp.extractors.statements import camt as camt_reader
from cashapp.matcher.api import LineToMatch, MatchPolicy
from cashapp.matcher.rules import RulesMatcher


def test_camt_round_trip_matches_the_same(tmp_path: Path) -> None:
    scenario = generate(seed=21, customers=60, open_items=500, lines=80)
    files = write_files(scenario, tmp_path, formats=("camt",))
    assert files["open_items"].read_text().startswith("invoice_number,customer_id")
    parsed = camt_reader.extract(files["camt"].read_bytes(), source="statement.camt053.xml")
    [statement] = parsed.statements
    read = {line.bank_ref: line for line in statement.lines}
    assert set(read) == {t.line.bank_ref for t in scenario.lines}
    matcher = RulesMatcher()
    direct = matcher.match(scenario.lines, scenario.ledger, MatchPolicy())
    tasks = [LineToMatch(key=t.key, line=read[t.line.bank_ref], remittances=t.remittances)
             for t in scenario.lines]
    via_file = matcher.match(tasks, scenario.ledger, MatchPolicy())
    assert [(r.decision, r.best and r.best.allocations) for r in via_file] == [
        (r.decision, r.best and r.best.allocations) for r in direct]
