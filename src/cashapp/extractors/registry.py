"""Picks the reader for a file from its content, never its name.

Statement formats are tried first, then remittance formats; the first reader whose
``identify`` accepts the file's leading bytes reads it.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

from cashapp.core.errors import UnknownFormatError
from cashapp.extractors.protocol import SNIFF_BYTES

STATEMENT_MODULES: tuple[str, ...] = (
    "cashapp.extractors.statements.camt",
    "cashapp.extractors.statements.mt940",
    "cashapp.extractors.statements.ofx",
    "cashapp.extractors.statements.cfonb",
    "cashapp.extractors.statements.coda",
    "cashapp.extractors.statements.bai2",
)

REMITTANCE_MODULES: tuple[str, ...] = (
    "cashapp.extractors.remittance.remt",
    "cashapp.extractors.remittance.x12_820",
    "cashapp.extractors.remittance.email",
    "cashapp.extractors.remittance.pdf",
    "cashapp.extractors.remittance.tables",
)


@cache
def _load(name: str) -> ModuleType:
    return importlib.import_module(name)


def statement_readers() -> list[ModuleType]:
    return [_load(name) for name in STATEMENT_MODULES]


def remittance_readers() -> list[ModuleType]:
    return [_load(name) for name in REMITTANCE_MODULES]


def pick_reader(data: bytes, *, source: str) -> tuple[str, ModuleType]:
    """The reader for ``data``: ``("statement" | "remittance", module)``."""
    head = data[:SNIFF_BYTES]
    for module in statement_readers():
        if module.identify(head):
            return "statement", module
    for module in remittance_readers():
        if module.identify(head):
            return "remittance", module
    raise UnknownFormatError("not a bank statement or remittance advice cashapp reads", file=source)
