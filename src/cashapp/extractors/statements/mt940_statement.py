"""One MT940/MT942 message (its fields, in order) assembled into a ``Statement``.

Structure is checked here: one opening balance and, when there is one, a closing balance;
no account or opening balance after the first ``:61:``; no ``:61:`` after the closing
balance; an ``:86:`` repeated verbatim is refused. A message without ``:20:`` (a fragment,
as test files and snippets hold) is read leniently: balances may be missing. Statements
that do not balance are read with a warning, never corrected.

Lines get their ``bank_ref`` (CONTRACT.md "Bank line identity"): the bank reference after
``//`` in ``:61:``; else the customer reference when it names this line alone in the file;
else a key from the statement (``:20:``, ``:28C:``, opening date) and the line's ordinal.
A reference that repeats in one file (for one account) is kept on every line, suffixed
``#2``, ``#3``..., with a warning: the duplicate goes to review instead of vanishing in the
store's deduplication. The same file always gives the same keys.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

from cashapp.domain.statements import BankLine, LineStatus, Statement
from cashapp.extractors.statements.line_builder import bank_line
from cashapp.extractors.statements.mt940_amounts import stated_amounts
from cashapp.extractors.statements.mt940_details import parse_details
from cashapp.extractors.statements.mt940_fields import (
    Balance,
    FieldError,
    StatementLine,
    parse_balance,
    parse_floor_limit,
    parse_line,
    parse_sum,
)
from cashapp.extractors.statements.statement_text import SeenKeys, split_account

MAX_DETAILS_CHARS = 64 * 1024
MT942_TAGS = frozenset({"34F", "13D", "13", "90D", "90C"})

_ACCOUNT_LIKE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}|P?\d{7,10}")
_NO_REFERENCE = frozenset({"", "NONREF", "NOREF", "NOTPROVIDED", "NONE"})
_HEAD_TAGS = frozenset({"20", "21", "25", "25P", "28", "28C", "13", "13D"})

Fail = Callable[[int, str], NoReturn]
Field = tuple[int, str, str]  # (line number, tag, value)


@dataclass(slots=True)
class Draft:
    """A statement read but not yet built: its lines lack their ``bank_ref`` and details."""

    index: int
    fields: dict[str, Any]
    lines: list[tuple[int, StatementLine, list[str]]]  # (offset, :61:, :86: values)
    warnings: list[str] = field(default_factory=list)


def assemble(fields: list[Field], index: int, *, dot: bool, fail: Fail) -> Draft:
    """Check one message's structure and read its header, balances and ``:61:`` lines."""
    warnings: list[str] = []
    head: dict[str, str] = {}
    extra: dict[str, str] = {}
    opening = closing = available = None
    information: list[str] = []
    raw_lines: list[tuple[int, str, list[str]]] = []
    currency: str | None = None
    last = ""

    def balance(value: str) -> Balance:
        return parse_balance(value, dot=dot, warnings=warnings, currency=currency)

    for offset, tag, value in fields:
        try:
            if tag == "61":
                if closing is not None:
                    fail(offset, ":61: after the closing balance")
                raw_lines.append((offset, value, []))
            elif tag == "86":
                if len(value) > MAX_DETAILS_CHARS:
                    fail(offset, f":86: longer than {MAX_DETAILS_CHARS} characters")
                if last in ("61", "86") and raw_lines:
                    details = raw_lines[-1][2]
                    if details and details[-1] == value:
                        fail(offset, ":86: repeats the previous :86: verbatim")
                    details.append(value)
                else:
                    information.append(value)
                    tag = "86-information"
            elif tag in ("60F", "60M"):
                if opening is not None:
                    fail(offset, f"second opening balance :{tag}:")
                if raw_lines:
                    fail(offset, f"opening balance :{tag}: after a :61: line")
                opening = balance(value)
                currency = currency or opening.currency
                extra["opening_type"] = "final" if tag == "60F" else "intermediate"
            elif tag in ("62F", "62M"):
                if closing is not None:
                    fail(offset, f"second closing balance :{tag}:")
                closing = balance(value)
                currency = currency or closing.currency
                extra["closing_type"] = "final" if tag == "62F" else "intermediate"
            elif tag == "64":
                available = balance(value)
                currency = currency or available.currency
            elif tag in ("65", "65F"):
                try:  # information only: a garbled forward balance does not stop the read
                    forward = balance(value)
                except FieldError as exc:
                    warnings.append(f":{tag}: ignored: {exc}")
                else:
                    extra[f"forward_available_{forward.date.isoformat()}"] = str(forward.amount)
            elif tag in _HEAD_TAGS:
                if tag in head:
                    fail(offset, f"second :{tag}: in one statement")
                if tag in ("25", "25P") and raw_lines:
                    fail(offset, f"account :{tag}: after a :61: line")
                head[tag] = " ".join(value.split())
            elif tag == "34F":
                limit_currency, mark, limit = parse_floor_limit(value)
                currency = currency or limit_currency
                extra[f"floor_limit{'_' + mark if mark else ''}"] = str(limit)
            elif tag in ("90D", "90C"):
                count, sum_currency, total = parse_sum(value)
                side = "debit" if tag == "90D" else "credit"
                extra[f"{side}_count"], extra[f"{side}_sum"] = str(count), str(total)
                currency = currency or sum_currency
            elif not tag.startswith("NS"):
                warnings.append(f"unknown field :{tag}: ignored")
        except FieldError as exc:
            fail(offset, f":{tag}: {exc}")
        last = tag
    whole = "20" in head
    if whole and opening is not None and closing is None:
        fail(fields[-1][0], "opening balance without a closing balance :62F:/:62M:")
    if whole and closing is not None and opening is None:
        fail(fields[0][0], "closing balance without an opening balance :60F:/:60M:")
    if whole and opening is None and not MT942_TAGS.intersection(t for _, t, _ in fields):
        warnings.append("no opening or closing balance")
    if not whole:
        warnings.append("no :20: transaction reference: a fragment, not a whole statement")
    account = head.get("25") or head.get("25P") or ""
    currency = currency or split_account(account)[1]
    if currency is None:
        if raw_lines:
            warnings.append("no currency in the statement; amounts read as XXX")
        currency = "XXX"
    lines = []
    for offset, value, details in raw_lines:
        try:
            lines.append((offset, parse_line(value, currency, dot=dot, warnings=warnings), details))
        except FieldError as exc:
            fail(offset, f":61: {exc}")
    if opening and closing and opening.currency != closing.currency:
        warnings.append(f"opening balance in {opening.currency}, closing in {closing.currency}")
    number, _, sequence = (head.get("28C") or head.get("28") or "").partition("/")
    for key, value in (("statement_number", number), ("sequence_number", sequence)):
        if value:
            extra[key] = value
    if "21" in head:
        extra["related_reference"] = head["21"]
    if "13D" in head or "13" in head:
        extra["created"] = head.get("13D") or head["13"]
    return Draft(
        index=index,
        fields={
            "id": head.get("20", ""),
            "account": account,
            "currency": currency,
            "opening_balance": opening.amount if opening else None,
            "closing_balance": closing.amount if closing else None,
            "opening_date": opening.date if opening else None,
            "closing_date": closing.date if closing else None,
            "sequence": head.get("28C") or head.get("28"),
            "available_balance": available.amount if available else None,
            "information": "\n".join(information),
            "extra": extra,
        },
        lines=lines,
        warnings=warnings,
    )


def build_statements(drafts: list[Draft]) -> list[Statement]:
    """The statements, every line with its details read and its distinct ``bank_ref``."""
    customer_refs: Counter[tuple[str, str]] = Counter()
    for draft in drafts:
        account = draft.fields["account"]
        for _, parsed, _ in draft.lines:
            ref = parsed.customer_reference
            if not parsed.bank_reference and may_name_line(ref, "", parsed.overflow):
                customer_refs[(account, ref)] += 1
    seen = SeenKeys()
    return [build_statement(draft, customer_refs, seen) for draft in drafts]


def may_name_line(customer: str, bank: str, overflow: str) -> bool:
    """Whether a line's customer reference is its key when no other line of the file (for
    the account) has it: the line has no bank reference, the customer one is a reference."""
    return not bank and not overflow and customer.upper() not in _NO_REFERENCE


def message_account(fields: list[Field]) -> str:
    """The account of a message as ``assemble`` reads it (``:25:``, else ``:25P:``)."""
    for wanted in ("25", "25P"):
        value = next((v for _, tag, v in fields if tag == wanted), "")
        if account := " ".join(value.split()):
            return account
    return ""


def build_statement(
    draft: Draft, customer_refs: Counter[tuple[str, str]], seen: SeenKeys
) -> Statement:
    """One statement: ``customer_refs`` counts the file's usable customer references (per
    account), ``seen`` the keys given so far in the file (updated)."""
    return _statement(draft, customer_refs, seen)


def _statement(
    draft: Draft, customer_refs: Counter[tuple[str, str]], seen: SeenKeys
) -> Statement:
    fields = draft.fields
    account, currency = fields["account"], fields["currency"]
    stem = f"{fields['id']}/{fields['sequence'] or ''}/{fields['opening_date'] or draft.index}"
    lines = []
    for n, (_, parsed, details) in enumerate(draft.lines):
        bank, customer = parsed.bank_reference, parsed.customer_reference
        if bank.upper() not in _NO_REFERENCE:
            ref = bank
        elif (
            _customer_ref_usable(parsed)
            and customer.upper() not in _NO_REFERENCE
            and customer_refs[(account, customer)] == 1
        ):
            ref = customer
        else:
            ref = f"{stem}#{n + 1}"
        count = seen.add(account, ref)
        if count > 1:
            draft.warnings.append(f"reference {ref} repeats in the file: line {n + 1} is #{count}")
            ref = f"{ref}#{count}"
        lines.append(_line(ref, n, parsed, details, currency))
    statement = Statement(lines=lines, warnings=tuple(draft.warnings), **fields)
    if statement.balanced is False:
        moved = sum((line.amount for line in lines), Decimal(0))
        return Statement(
            lines=lines,
            warnings=(
                *draft.warnings,
                f"does not balance: opening {fields['opening_balance']} + lines {moved}"
                f" != closing {fields['closing_balance']}",
            ),
            **fields,
        )
    return statement


def _customer_ref_usable(parsed: StatementLine) -> bool:
    """The customer reference can name the line: there is no bank reference, and it is not
    the old Rabobank layout's counterparty account (followed by the counterparty's name),
    which repeats whenever that customer pays again."""
    return not parsed.bank_reference and not parsed.overflow


def _line(
    ref: str, entry: int, parsed: StatementLine, details: list[str], currency: str
) -> BankLine:
    facts: dict[str, Any] = {}
    if details:
        facts = parse_details(details[0] if len(details) == 1 else "\n".join(details))
    extra: dict[str, str] = facts.pop("extra", None) or {}
    if parsed.customer_reference:
        extra["customer_reference"] = parsed.customer_reference
    if parsed.bank_reference:
        extra["bank_reference"] = parsed.bank_reference
    if parsed.supplementary:
        extra["supplementary_details"] = parsed.supplementary
        if _ACCOUNT_LIKE.fullmatch(parsed.supplementary):  # Rabobank puts the account here
            facts.setdefault("counterparty_account", parsed.supplementary)
    if parsed.overflow:
        extra["reference_overflow"] = parsed.overflow
        facts.setdefault("counterparty_name", parsed.overflow)  # old Rabobank: the name
    if parsed.funds_code:
        extra["funds_code"] = parsed.funds_code
    facts.update(stated_amounts(extra, currency))
    return bank_line(
        bank_ref=ref,
        entry=entry,
        amount=parsed.amount,
        currency=currency,
        booking_date=parsed.entry_date or parsed.value_date,
        value_date=parsed.value_date,
        status=LineStatus.PENDING if parsed.expected else LineStatus.BOOKED,
        reversal=parsed.reversal,
        bank_transaction_code=parsed.type_code,
        extra=extra,
        **facts,
    )
