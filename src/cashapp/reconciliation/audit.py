"""The auditor: the SQL checks of the money invariants (R1-R3, R8, R9, R11), for a tenant.

An empty list means the ledger is sound. Run it after a crash, in CI and at night.
"""

from __future__ import annotations

from dataclasses import dataclass

from cashapp.storage import Session
from cashapp.storage.repositories.audit import run_checks


@dataclass(frozen=True, slots=True)
class Violation:
    invariant: str  # "R1", "R2", "R3", "R8", "R9", "R11"
    detail: tuple[object, ...]  # the offending row, as the check's SQL returned it


def audit_ledger(session: Session, tenant: int) -> list[Violation]:
    """Every violation of the money invariants in ``tenant``'s ledger."""
    return [Violation(name, row) for name, row in run_checks(session, tenant)]
