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


def test_split_day_and_advice_emails_read_back_as_generated(tmp_path: Path) -> None:
    from fixtures.scenarios.files import read_truth

    from cashapp.extractors.remittance import email as email_reader
    from cashapp.extractors.statements import mt940 as mt940_reader
    from cashapp.extractors.statements import ofx as ofx_reader

    scenario = generate(seed=23, customers=40, open_items=200, lines=40,
                        mix={"remittance_advice": 0.3})
    files = write_files(scenario, tmp_path, split=True, emails=True)
    readers = {"camt": camt_reader, "mt940": mt940_reader, "ofx": ofx_reader}
    refs, in_text = [], 0
    structured = {t.line.bank_ref: t.line.structured_references[0] for t in scenario.lines
                  if t.line.structured_references}
    for name, reader in readers.items():
        [statement] = reader.extract(files[name].read_bytes(), source=name).statements
        refs += [line.bank_ref for line in statement.lines]
        for line in statement.lines:  # where the format has no field for it: in the text
            if line.bank_ref in structured and name != "camt":
                assert structured[line.bank_ref] in line.remittance_text.replace(" ", "")
                in_text += 1
    assert in_text > 0
    assert sorted(refs) == sorted(t.line.bank_ref for t in scenario.lines)  # each line once
    assert "Ã" not in files["ofx"].read_bytes().decode("cp1252")  # as its header declares
    truth = read_truth(files["truth"])
    assert truth == {t.line.bank_ref: scenario.truth[t.key] for t in scenario.lines}
    sent = {f"{t.line.bank_ref}-1": t.remittances[0] for t in scenario.lines if t.remittances}
    assert sent and sorted(p.stem for p in files["emails"].iterdir()) == sorted(sent)
    for stem, record in sent.items():
        [read] = email_reader.extract((files["emails"] / f"{stem}.eml").read_bytes(),
                                      source=stem).remittances
        assert read.total == record.total and read.payer == record.payer
        assert [(line.reference, line.paid) for line in read.lines] == [
            (line.reference, line.paid) for line in record.lines]
