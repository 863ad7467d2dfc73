"""Training lines as the statement formats deliver them: "training sees what serving sees"
for what each format loses, as ``with_extracted_references`` does for references.

The generator's lines carry everything a camt.053 can (the payer's account on most of them,
the instructed amount of a charged transfer, structured referred documents). A line that
reaches ``cashapp run`` through an MT940 or an OFX statement has lost some of it (OFX has no
payer account and no instructed amount; neither has a place for the referred documents).
``as_read`` deals a scenario's lines in turn over camt.053, MT940 and OFX exactly as the CLI
benchmark writes them (``fixtures.scenarios.files.write_statements``: one bank account and
statement per format, each line as its bank writes it), reads each file back in process with
the real readers (``cashapp.extractors.statements``), keys every read line back to its task
by ``bank_ref`` and builds the ``LineToMatch`` as ``reconciliation.run.prepare_run`` does for
stored lines: references found in the text and ``additional_info`` with the ledger's
numbering, the remittance advices attached as the generator attached them (the emails are
read without loss, see benchmarks/matching_cli.md). Deterministic: the same lines give the
same files and the same records.

Needs a source checkout (the writers are in ``fixtures``), like ``matcher_ship``.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cashapp.domain.statements import BankLine, StatementFile
from cashapp.extractors.statements import camt, mt940, ofx
from cashapp.matcher.api import LedgerView, LineToMatch
from cashapp.training.matcher_dataset import with_extracted_references

FORMATS = ("camt", "mt940", "ofx")  # dealt in turn, as the CLI benchmark's day
READERS: dict[str, Callable[..., StatementFile]] = {
    "camt": camt.extract, "mt940": mt940.extract, "ofx": ofx.extract,
}


class LineNotReadBack(ValueError):
    """A line written to a statement did not come back from its reader (by ``bank_ref``)."""


def read_back(lines: Sequence[BankLine], formats: Sequence[str] = FORMATS
              ) -> dict[str, tuple[str, BankLine]]:
    """Each line written in its turn's format and read back: ``bank_ref`` -> (format, line
    as the reader gives it)."""
    files: Any = importlib.import_module("fixtures.scenarios.files")
    read: dict[str, tuple[str, BankLine]] = {}
    with tempfile.TemporaryDirectory(prefix="cashapp-asread-") as tmp:
        written: dict[str, Path] = files.write_statements(list(lines), Path(tmp), formats)
        for fmt, path in written.items():
            parsed = READERS[fmt](path.read_bytes(), source=path.name)
            for statement in parsed.statements:
                for line in statement.lines:
                    read[line.bank_ref] = (fmt, line)
    return read


def as_read(tasks: Sequence[LineToMatch], ledger: LedgerView,
            formats: Sequence[str] = FORMATS) -> list[LineToMatch]:
    """``tasks`` as ``cashapp run`` gets them after the lines went through ``formats``
    (dealt in turn): each line replaced by the one its reader gave, same key and remittance
    advices, references extracted as the run does. Raises ``LineNotReadBack`` when a line
    is missing from what the readers gave."""
    read = read_back([task.line for task in tasks], formats)
    out = []
    for task in tasks:
        got = read.get(task.line.bank_ref)
        if got is None:
            raise LineNotReadBack(f"{task.line.bank_ref}: not read back from its statement")
        out.append(replace(task, line=got[1]))
    return with_extracted_references(out, ledger)


def format_of(tasks: Sequence[LineToMatch], formats: Sequence[str] = FORMATS
              ) -> dict[str, str]:
    """Which format each task's line is dealt to (key -> format), as ``read_back`` deals."""
    return {task.key: formats[n % len(formats)] for n, task in enumerate(tasks)}
