"""Golden files: each advice format read to its reviewed ``.expected.json`` (inspect JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cashapp.extractors.inspect_json import remittance_file_json
from cashapp.extractors.read import read_bytes
from cashapp.extractors.registry import pick_reader

GOLDEN = Path(__file__).resolve().parents[3] / "fixtures" / "remittance" / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if not p.name.endswith(".expected.json"))

EXPECTED_READER = {
    ".csv": "remittance.table",
    ".xlsx": "remittance.table",
    ".pdf": "pdf",
    ".xml": "remt.001",
    ".txt": "x12.820",
    ".eml": "email",
    ".msg": "email",
}


def test_every_advice_format_has_a_golden_file() -> None:
    assert {p.suffix for p in CASES} == set(EXPECTED_READER)
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_golden_file(path: Path) -> None:
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    parsed = read_bytes(path.read_bytes(), source=path.name)
    assert remittance_file_json(parsed) == expected


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_format_is_detected_from_content_not_name(path: Path) -> None:
    kind, reader = pick_reader(path.read_bytes(), source="no-extension")
    assert kind == "remittance"
    assert reader.name == EXPECTED_READER[path.suffix]
