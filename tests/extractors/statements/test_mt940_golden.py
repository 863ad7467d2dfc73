"""Golden files: every self-made MT940/MT942 fixture reads exactly as its ``.expected.json``.

The expected JSON is what ``cashapp inspect`` prints (``statement_file_json``). To accept a
deliberate change, run with ``CASHAPP_REGENERATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cashapp.extractors.inspect_json import statement_file_json
from cashapp.extractors.read import read_bytes

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "statements" / "mt940"
CASES = sorted(FIXTURES.glob("*.sta"))


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 7


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path) -> None:
    got = statement_file_json(read_bytes(case.read_bytes(), source=case.name))
    expected_path = case.with_suffix(".expected.json")
    if os.environ.get("CASHAPP_REGENERATE_GOLDEN"):
        expected_path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", "utf-8")
    expected = json.loads(expected_path.read_text("utf-8"))
    assert got == expected
