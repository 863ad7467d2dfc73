"""Statement files, accounts, statements and bank lines: stored once, read back as records.

A file is recorded with ``INSERT ... ON CONFLICT DO NOTHING`` on ``(tenant_id, sha256)``
(R4); lines are bulk-inserted with ``ON CONFLICT (tenant_id, bank_account_id, bank_ref)``
(R5): a line already known is left alone, except that a pending line (an intraday camt.052)
becomes the booked line of the end-of-day statement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from cashapp.domain.money import from_minor, to_minor
from cashapp.domain.statements import BankLine, LineStatus, Statement
from cashapp.storage.bulk import bulk_insert
from cashapp.storage.errors import flush
from cashapp.storage.records import referred_documents_from_json, to_json
from cashapp.storage.tables import (
    ApplicationRow,
    BankAccountRow,
    BankLineRow,
    StatementFileRow,
    StatementRow,
    table_of,
)

_TABLE_BANK_LINE: Table = table_of(BankLineRow)
_TABLE_FILE: Table = table_of(StatementFileRow)
_TABLE_ACCOUNT: Table = table_of(BankAccountRow)


def _insert(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def record_file(
    session: Session,
    tenant_id: int,
    *,
    sha256: str,
    format: str,
    filename: str,
    size_bytes: int,
    received_at: datetime,
) -> tuple[int, bool]:
    """The file's id and whether this call recorded it (False: the same bytes were stored)."""
    statement = (
        _insert(session, _TABLE_FILE)
        .values(
            tenant_id=tenant_id,
            sha256=sha256,
            format=format,
            filename=filename[:500],
            size_bytes=size_bytes,
            received_at=received_at,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "sha256"])
        .returning(_TABLE_FILE.c.id)
    )
    new_id = session.execute(statement).scalar_one_or_none()
    if new_id is not None:
        return int(new_id), True
    existing = find_file(session, tenant_id, sha256)
    assert existing is not None and existing.id is not None
    return existing.id, False


def find_file(session: Session, tenant_id: int, sha256: str) -> StatementFileRow | None:
    return session.execute(
        select(StatementFileRow).where(
            col(StatementFileRow.tenant_id) == tenant_id, col(StatementFileRow.sha256) == sha256
        )
    ).scalar_one_or_none()


def ensure_account(session: Session, tenant_id: int, account: str, currency: str) -> int:
    statement = (
        _insert(session, _TABLE_ACCOUNT)
        .values(tenant_id=tenant_id, account=account, currency=currency)
        .on_conflict_do_nothing(index_elements=["tenant_id", "account", "currency"])
    )
    session.execute(statement)
    return int(
        session.execute(
            select(col(BankAccountRow.id)).where(
                col(BankAccountRow.tenant_id) == tenant_id,
                col(BankAccountRow.account) == account,
                col(BankAccountRow.currency) == currency,
            )
        ).scalar_one()
    )


def add_statement(
    session: Session,
    tenant_id: int,
    *,
    file_id: int,
    account_id: int,
    position: int,
    statement: Statement,
) -> int:
    def minor(value: Any) -> int | None:
        return None if value is None else to_minor(value, statement.currency)

    row = StatementRow(
        tenant_id=tenant_id,
        statement_file_id=file_id,
        bank_account_id=account_id,
        position=position,
        statement_key=(statement.id or "")[:200],
        currency=statement.currency,
        opening_balance_minor=minor(statement.opening_balance),
        closing_balance_minor=minor(statement.closing_balance),
        opening_date=statement.opening_date,
        closing_date=statement.closing_date,
        sequence=statement.sequence,
        balanced=statement.balanced,
        warnings=json.dumps(list(statement.warnings), ensure_ascii=False),
    )
    session.add(row)
    flush(session)
    assert row.id is not None
    return row.id


def line_values(
    tenant_id: int, account_id: int, statement_id: int, line: BankLine
) -> dict[str, Any]:
    """A bank line as a row of ``bank_line`` (amounts in minor units of the line's currency)."""
    return {
        "tenant_id": tenant_id,
        "bank_account_id": account_id,
        "statement_id": statement_id,
        "bank_ref": line.bank_ref,
        "entry": line.entry,
        "amount_minor": to_minor(line.amount, line.currency),
        "currency": line.currency,
        "booking_date": line.booking_date,
        "value_date": line.value_date,
        "status": line.status.value,
        "reversal": line.reversal,
        "counterparty_name": line.counterparty_name,
        "counterparty_account": line.counterparty_account,
        "counterparty_bic": line.counterparty_bic,
        "ultimate_party": line.ultimate_party,
        "end_to_end_id": line.end_to_end_id,
        "mandate_id": line.mandate_id,
        "remittance_text": line.remittance_text,
        "structured_references": to_json(list(line.structured_references)),
        "referred_documents": to_json(list(line.referred_documents)),
        "bank_transaction_code": line.bank_transaction_code,
        "instructed_amount": None
        if line.instructed_amount is None
        else str(line.instructed_amount),
        "instructed_currency": line.instructed_currency,
        "charges": None if line.charges is None else str(line.charges),
        "entry_amount_minor": (
            None if line.entry_amount is None else to_minor(line.entry_amount, line.currency)
        ),
        "additional_info": line.additional_info,
        "extra": to_json(dict(line.extra)),
    }


_UPGRADED_FROM_PENDING = (
    "statement_id",
    "entry",
    "amount_minor",
    "booking_date",
    "value_date",
    "status",
    "reversal",
    "remittance_text",
    "structured_references",
    "referred_documents",
    "entry_amount_minor",
)


def add_lines(session: Session, statement_id: int, rows: Sequence[dict[str, Any]]) -> int:
    """Bulk-insert ``rows``; returns how many lines now belong to ``statement_id`` (new or
    promoted from pending), the rest being lines already stored from another file."""
    if not rows:
        return 0

    def promote_pending(insert: Any) -> Any:
        return insert.on_conflict_do_update(
            index_elements=["tenant_id", "bank_account_id", "bank_ref"],
            set_={name: insert.excluded[name] for name in _UPGRADED_FROM_PENDING},
            where=(_TABLE_BANK_LINE.c.status == "pending") & (insert.excluded.status == "booked"),
        )

    bulk_insert(session, _TABLE_BANK_LINE, rows, on_conflict=promote_pending)
    count = session.execute(
        select(func.count())
        .select_from(_TABLE_BANK_LINE)
        .where(_TABLE_BANK_LINE.c.statement_id == statement_id)
    ).scalar_one()
    return int(count)


def bank_line_from_row(row: BankLineRow) -> BankLine:
    """The stored line as the domain record the matcher reads."""
    return BankLine(
        bank_ref=row.bank_ref,
        entry=row.entry,
        amount=from_minor(row.amount_minor, row.currency),
        currency=row.currency,
        booking_date=row.booking_date,
        value_date=row.value_date,
        status=LineStatus(row.status),
        reversal=row.reversal,
        counterparty_name=row.counterparty_name,
        counterparty_account=row.counterparty_account,
        counterparty_bic=row.counterparty_bic,
        ultimate_party=row.ultimate_party,
        end_to_end_id=row.end_to_end_id,
        mandate_id=row.mandate_id,
        remittance_text=row.remittance_text,
        structured_references=tuple(json.loads(row.structured_references or "[]")),
        referred_documents=referred_documents_from_json(row.referred_documents),
        bank_transaction_code=row.bank_transaction_code,
        instructed_amount=None if row.instructed_amount is None else _dec(row.instructed_amount),
        instructed_currency=row.instructed_currency,
        charges=None if row.charges is None else _dec(row.charges),
        entry_amount=(
            None
            if row.entry_amount_minor is None
            else from_minor(row.entry_amount_minor, row.currency)
        ),
        additional_info=row.additional_info,
        extra=json.loads(row.extra or "{}"),
    )


def _dec(text: str) -> Decimal:
    return Decimal(text)


def list_lines_without_live_application(
    session: Session, tenant_id: int, *, credits_only: bool = True
) -> list[BankLineRow]:
    """Booked lines (credits by default) with no live application, oldest first."""
    live = select(col(ApplicationRow.bank_line_id)).where(
        col(ApplicationRow.tenant_id) == tenant_id,
        col(ApplicationRow.reversed_at).is_(None),
        col(ApplicationRow.reverses_id).is_(None),
    )
    query = select(BankLineRow).where(
        col(BankLineRow.tenant_id) == tenant_id,
        col(BankLineRow.status) == LineStatus.BOOKED.value,
        col(BankLineRow.id).not_in(live),
    )
    if credits_only:
        query = query.where(col(BankLineRow.amount_minor) > 0)
    return list(session.execute(query.order_by(col(BankLineRow.id))).scalars())


def get_line(session: Session, tenant_id: int, bank_line_id: int) -> BankLineRow | None:
    return session.execute(
        select(BankLineRow).where(
            col(BankLineRow.tenant_id) == tenant_id, col(BankLineRow.id) == bank_line_id
        )
    ).scalar_one_or_none()
