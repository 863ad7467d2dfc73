"""camt.054 notifications that explain camt.053 (or camt.052) entries, linked to them.

Banks often book a collection or a batch as one camt.053 entry (``Btch/NbOfTxs``, no
``TxDtls``) and send the details in a camt.054 whose entry carries the same
``Ntry/AcctSvcrRef`` (``extra["entry_bank_ref"]``). ``explain_entries`` replaces such an
entry's single line by the notification's detail lines: they keep their own ``bank_ref``
and remittance, take the statement's entry index, dates and status, and carry the entry's
amount as ``entry_amount``. If the details do not sum to the entry, the entry is left as it
is and the statement gets a warning: nothing is corrected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from cashapp.domain.statements import BankLine, Statement

ENTRY_KEY = "entry_bank_ref"


def explain_entries(statement: Statement, notifications: Sequence[Statement]) -> Statement:
    """``statement`` with each entry explained by a notification entry of the same account
    and ``Ntry/AcctSvcrRef`` replaced by that entry's detail lines."""
    details: dict[str, list[BankLine]] = {}
    for notification in notifications:
        if notification.account != statement.account:
            continue
        for line in notification.lines:
            key = line.extra.get(ENTRY_KEY)
            if key:
                details.setdefault(key, []).append(line)
    lines: list[BankLine] = []
    warnings = list(statement.warnings)
    by_entry: dict[int, list[BankLine]] = {}
    for line in statement.lines:
        by_entry.setdefault(line.entry, []).append(line)
    for entry, own in by_entry.items():
        key = own[0].extra.get(ENTRY_KEY)
        found = details.get(key) if key and len(own) == 1 else None
        if not found:
            lines.extend(own)
            continue
        booked = own[0]
        total = sum((line.amount for line in found), Decimal(0))
        if total != booked.amount:
            warnings.append(
                f"entry {entry + 1}: the notification details of {key} sum to {total}, "
                f"not {booked.amount}; the entry is kept unexplained"
            )
            lines.extend(own)
            continue
        lines.extend(
            replace(
                line,
                entry=entry,
                entry_amount=booked.amount,
                booking_date=booked.booking_date,
                value_date=booked.value_date or line.value_date,
                status=booked.status,
                extra={**line.extra, "explained_by": "camt.054"},
            )
            for line in found
        )
    return replace(statement, lines=lines, warnings=tuple(warnings))
