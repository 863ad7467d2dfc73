"""BAI2 accounts and groups as they are read, and the statement an account becomes.

One ``03`` account record (with its ``16`` details and ``49`` trailer) is one statement;
``Group`` holds what the ``02`` group header says for all its accounts (currency, as-of date,
status) and the control totals in raw amount units, as the trailers add them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from cashapp.domain.statements import BankLine, LineStatus, Statement
from cashapp.extractors.statements.bai2_records import FieldError
from cashapp.extractors.statements.fixed_width import distinct_refs

# 02 group status: 1 update is the normal case; the others are said on every statement.
GROUP_STATUS = {"2": "deletion", "3": "correction", "4": "test only"}
# 02 as-of-date modifiers of reports that are not final (2 and 4 are final).
INTERIM = {"1": "interim previous-day", "3": "interim same-day"}


@dataclass(slots=True)
class Account:
    """An 03 account record being read: balances, details, control total, record count."""

    line: int
    account: str
    currency: str
    as_of: date | None
    opening: Decimal | None
    closing: Decimal | None
    total: int  # raw amount units, as the control totals add them
    available: Decimal | None = None
    records: int = 1
    lines: list[BankLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Group:
    """An 02 group being read: what it says for its accounts, and its trailer's counts."""

    line: int
    currency: str
    as_of: date | None
    accounts: list[Account] = field(default_factory=list)
    records: int = 1
    total: int = 0
    notes: list[str] = field(default_factory=list)  # warnings for every account of the group


def currency_code(text: str, default: str, line: int) -> str:
    code = text.strip().upper()
    if not code:
        return default
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise FieldError("currency code", f"not a currency code: {text!r}", line)
    return code


def statement_id(account: Account) -> str:
    day = account.as_of.isoformat() if account.as_of else "undated"
    return f"{account.account}-{day}"


def to_statement(ident: str, account: Account) -> Statement:
    statement = Statement(
        id=ident,
        account=account.account,
        currency=account.currency,
        lines=distinct_refs(account.lines),
        opening_balance=account.opening,
        closing_balance=account.closing,
        closing_date=account.as_of,
        available_balance=account.available,
    )
    warnings = list(account.warnings)
    if statement.balanced is False:
        moved = sum(
            (line.amount for line in account.lines if line.status is LineStatus.BOOKED), Decimal(0)
        )
        warnings.append(
            f"statement does not balance: opening {account.opening} + movements {moved} "
            f"!= closing {account.closing}"
        )
    return replace(statement, warnings=tuple(warnings))
