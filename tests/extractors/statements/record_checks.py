"""Checks shared by the CFONB120, CODA and BAI2 reader tests: golden files and mutations.

Golden cases are ``case.ext`` beside ``case.expected.json`` (the ``inspect`` JSON). Set
``CASHAPP_UPDATE_GOLDEN=1`` to rewrite the expected files after a deliberate change, then
review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import StatementFile
from cashapp.extractors.inspect_json import statement_file_json
from cashapp.extractors.read import read_bytes

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "statements"


def golden_cases(folder: str, suffix: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / folder).iterdir() if p.suffix == suffix)


def check_golden(case: Path) -> dict[str, Any]:
    """Read ``case`` as ``cashapp inspect`` does and compare with its expected JSON."""
    parsed = read_bytes(case.read_bytes(), source=case.name)
    assert isinstance(parsed, StatementFile)
    got = json.loads(json.dumps(statement_file_json(parsed)))
    expected_file = case.with_suffix(".expected.json")
    if os.environ.get("CASHAPP_UPDATE_GOLDEN"):
        expected_file.write_text(
            json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert got == expected
    return got


def lines_of(parsed: StatementFile) -> list[dict[str, Any]]:
    return [line for s in statement_file_json(parsed)["statements"] for line in s["lines"]]


def read_or_refuse(extract: Callable[..., StatementFile], data: bytes) -> StatementFile | None:
    """``extract(data)``, or ``None`` when it refuses with the documented error, naming the
    file. Any other exception fails the test that calls this."""
    try:
        return extract(data, source="mutated.file")
    except StatementParseError as error:
        assert "mutated.file" in str(error)
        return None


def mutate(data: bytes, position: int, action: int, payload: bytes) -> bytes:
    """One mutation at ``position``: replace a byte, delete a slice, insert bytes, or cut."""
    if not data:
        return payload
    at = position % len(data)
    if action == 0:
        return data[:at] + payload[:1] + data[at + 1 :]
    if action == 1:
        return data[:at] + data[at + len(payload) :]
    if action == 2:
        return data[:at] + payload + data[at:]
    return data[:at]


CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"


def corpus_file(relative: str) -> bytes:
    """A file of the shared corpus of real bank files; the test is skipped without it."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"no corpus at {CORPUS}")
    return path.read_bytes()


# Mutation payloads: any bytes, or the characters these formats give meaning to.
PAYLOADS = st.one_of(
    st.binary(min_size=1, max_size=8),
    st.text(alphabet="0123456789 ,/{}AJR\n\r-+VSDZ", min_size=1, max_size=8).map(str.encode),
)
