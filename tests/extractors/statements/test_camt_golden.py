"""Golden files: each ``fixtures/statements/camt/case.xml`` reads to ``case.expected.json``
(the inspect JSON). ``CASHAPP_REGENERATE_GOLDEN=1`` rewrites the expected files (review the
diff)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cashapp.domain.statements import LineStatus
from cashapp.extractors.inspect_json import statement_file_json
from cashapp.extractors.read import read_bytes
from cashapp.extractors.statements import camt
from cashapp.extractors.statements.camt_link import explain_entries

HERE = Path(__file__).resolve().parents[3] / "fixtures" / "statements" / "camt"
CASES = sorted(HERE.glob("*.xml"))


def _read(name: str) -> dict[str, object]:
    data = (HERE / name).read_bytes()
    assert camt.identify(data[:65536])
    return statement_file_json(camt.extract(data, source=name))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path) -> None:
    got = _read(case.name)
    expected_path = case.with_suffix(".expected.json")
    if os.environ.get("CASHAPP_REGENERATE_GOLDEN"):
        expected_path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(expected_path.read_text())
    assert statement_file_json(read_bytes(case.read_bytes(), source=case.name)) == got


def test_the_three_versions_of_the_feature_file_read_the_same() -> None:
    files = [_read(f"camt053_v{v}_features.xml") for v in ("02", "04", "08")]
    for other in files[1:]:
        assert other["statements"] == files[0]["statements"]
        assert other["format"] != files[0]["format"]


def test_the_notification_explains_the_collection_entry() -> None:
    statement = camt.extract(
        (HERE / "camt053_v04_collection_entry.xml").read_bytes(), source="053"
    ).statements[0]
    notification = camt.extract(
        (HERE / "camt054_v04_collection_details.xml").read_bytes(), source="054"
    ).statements[0]
    explained = explain_entries(statement, [notification])
    assert [line.bank_ref for line in explained.lines] == ["QR-55-1", "QR-55-2", "QR-55-3"]
    assert {line.entry for line in explained.lines} == {0}
    assert all(line.entry_amount == statement.lines[0].amount for line in explained.lines)
    assert all(line.status is LineStatus.BOOKED for line in explained.lines)
    assert explained.lines[0].structured_references == ("210000000003139471430009017",)
    assert explained.balanced is True and explained.warnings == ()


def test_a_notification_that_does_not_add_up_explains_nothing() -> None:
    statement = camt.extract(
        (HERE / "camt053_v04_collection_entry.xml").read_bytes(), source="053"
    ).statements[0]
    data = (HERE / "camt054_v04_collection_details.xml").read_bytes()
    notification = camt.extract(data.replace(b">300.00<", b">299.00<"), source="054").statements[0]
    explained = explain_entries(statement, [notification])
    assert explained.lines == statement.lines
    assert "sum to 749.00, not 750.00" in explained.warnings[0]


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_streaming_gives_the_same_lines_as_extract(case: Path) -> None:
    parsed = camt.extract(case.read_bytes(), source=case.name)
    expected = [(n, line) for n, s in enumerate(parsed.statements) for line in s.lines]
    assert list(camt.iter_lines(case, source=case.name)) == expected
    assert list(camt.iter_lines(case.read_bytes(), source=case.name)) == expected
