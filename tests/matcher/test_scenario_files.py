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


def test_all_three_formats_are_written_and_identified(tmp_path: Path) -> None:
    from cashapp.extractors.registry import pick_reader

    scenario = generate(seed=22, customers=20, open_items=100, lines=15)
    files = write_files(scenario, tmp_path)
    for name in ("camt", "mt940", "ofx"):
        data = files[name].read_bytes()
        kind, module = pick_reader(data, source=files[name].name)
        assert kind == "statement" and module.name == name
        assert len(module.extract(data, source=files[name].name).statements[0].lines) == len(
            scenario.lines)
    assert len(files["truth"].read_text().splitlines()) == len(scenario.lines)
