"""Files in: a parsed bank statement file or remittance file stored once, whatever arrives twice.

The same bytes are a no-op (R4, by SHA-256 per tenant); a transaction reported again by
another file (camt.052 intraday then camt.053, re-exports) is stored once (R5, by account
and ``bank_ref``); two identical payments in one statement stay two lines, because the
readers give them distinct ``bank_ref``s.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cashapp.core.clock import utc_now
from cashapp.core.errors import InputError
from cashapp.domain.money import AmountError
from cashapp.domain.remittances import RemittanceFile
from cashapp.domain.statements import StatementFile
from cashapp.storage import Session
from cashapp.storage.repositories import bank, remittances


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile:
    """What storing one file did."""

    file_id: int
    created: bool  # False: the same bytes were already stored, nothing changed
    kind: str  # "statement" or "remittance"
    format: str
    statements: int = 0
    lines_new: int = 0  # lines this file added (or promoted from pending to booked)
    lines_known: int = 0  # lines already stored from another file
    remittances: int = 0


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_statement_file(
    session: Session,
    tenant: int,
    parsed: StatementFile,
    *,
    sha256: str,
    filename: str,
    size_bytes: int = 0,
) -> StoredFile:
    """Store ``parsed`` (read from a file whose bytes hash to ``sha256``) for ``tenant``."""
    file_id, created = _record_file(
        session, tenant, parsed.format, sha256=sha256, filename=filename, size_bytes=size_bytes
    )
    if not created:
        return StoredFile(file_id=file_id, created=False, kind="statement", format=parsed.format)
    lines_new = lines_known = 0
    for position, statement in enumerate(parsed.statements):
        account_id = bank.ensure_account(session, tenant, statement.account, statement.currency)
        try:
            statement_id = bank.add_statement(
                session,
                tenant,
                file_id=file_id,
                account_id=account_id,
                position=position,
                statement=statement,
            )
            rows = [
                bank.line_values(tenant, account_id, statement_id, line) for line in statement.lines
            ]
        except AmountError as exc:
            raise InputError(str(exc), file=filename, element=f"statement {statement.id}") from exc
        stored = bank.add_lines(session, statement_id, rows)
        lines_new += stored
        lines_known += len(rows) - stored
    return StoredFile(
        file_id=file_id,
        created=True,
        kind="statement",
        format=parsed.format,
        statements=len(parsed.statements),
        lines_new=lines_new,
        lines_known=lines_known,
    )


def store_remittance_file(
    session: Session,
    tenant: int,
    parsed: RemittanceFile,
    *,
    sha256: str,
    filename: str,
    size_bytes: int = 0,
) -> StoredFile:
    """Store the advices of a remittance file, once per file content."""
    file_id, created = _record_file(
        session, tenant, parsed.format, sha256=sha256, filename=filename, size_bytes=size_bytes
    )
    if not created:
        return StoredFile(file_id=file_id, created=False, kind="remittance", format=parsed.format)
    count = remittances.add_remittances(session, tenant, file_id, parsed.remittances)
    return StoredFile(
        file_id=file_id, created=True, kind="remittance", format=parsed.format, remittances=count
    )


def _record_file(
    session: Session, tenant: int, file_format: str, *, sha256: str, filename: str, size_bytes: int
) -> tuple[int, bool]:
    """The file's id, and whether it is new (the same content is recorded once per tenant)."""
    return bank.record_file(
        session,
        tenant,
        sha256=sha256,
        format=file_format,
        filename=filename,
        size_bytes=size_bytes,
        received_at=utc_now(),
    )
