"""SWIFT MT940 (customer statement) and MT942 (interim transaction report) reader.

A regex tokenizer finds the field tags at line starts (``:20: :21: :25: :28C: :60F: :60M:
:61: :86: :62F: :62M: :64: :65: :NS: :34F: :13D: :90D: :90C:``); a line that does not start
with a known tag continues the previous field (``:86:`` text may hold ``:12:`` from a wrapped
time). SWIFT block headers (``{1:...}{2:...}{4:``), ``-}`` trailers, ``-`` separators,
``@@`` line marks (Postbank) and CR-only line ends are accepted. A message runs from ``:20:``
to the next ``:20:`` or separator; tags before any ``:20:`` form one fragment statement.

Structure is checked: one opening balance, a closing balance when there is an opening one,
no account or opening balance after the first ``:61:``, no line after the closing balance.
Statements that do not balance are read with a warning, never corrected. Malformed input
raises ``StatementParseError`` naming the line, before anything is returned. ``:86:``
dialects are read by ``mt940_details``; field values by ``mt940_fields``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine, LineStatus, Statement, StatementFile
from cashapp.extractors.statements.mt940_details import parse_details
from cashapp.extractors.statements.mt940_fields import (
    Balance,
    FieldError,
    balance_uses_dot,
    parse_balance,
    parse_floor_limit,
    parse_line,
    parse_sum,
)
from cashapp.extractors.statements.statement_text import decode_text, split_account

name = "mt940"

MAX_LINE_CHARS = 1024
MAX_DETAILS_CHARS = 64 * 1024

_KNOWN = r"13D?|20|21|25P?|28C?|34F|60[FM]|61|62[FM]|64|65F?|86|90[CD]|NS[A-Z]?"
# A field tag (known, or any 2 digits + letter) at a line start, or a message separator line.
# A separator is a line ``-`` (``-}``, ``-XXX``); but ING wraps ``:86:`` text onto lines that
# hold only ``-``: after a ``:86:``, a ``-`` followed by more text and no ``:20:`` continues it.
_TOKEN = re.compile(rf"^(?::({_KNOWN}|\d\d[A-Z]|86 ):|-(?:[}}\u00e5].*|XXX)?[ \t]*$)", re.M)
# Framing characters some banks wrap files in (SOH, STX, ETX, EOT, SUB): not part of the text.
_FRAMING = dict.fromkeys((0x01, 0x02, 0x03, 0x04, 0x1A))
_ONCE_TAGS = frozenset({"25", "28C", "28", "60F", "60M", "62F", "62M", "64"})
_IDENTIFY = re.compile(
    rb"(?m)^[\x01\s{}:A-Za-z0-9]*?(?:@@)?:(?:20|25|28C?|60[FM]|61|62[FM]|64|65|34F|86|NS):"
)
_LONG_LINE = re.compile(rf"[^\n]{{{MAX_LINE_CHARS + 1}}}")
_MT942_TAGS = frozenset({"34F", "13D", "13", "90D", "90C"})
_ACCOUNT_LIKE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}|P?\d{7,10}")
_NO_REFERENCE = frozenset({"", "NONREF", "NOREF", "NOTPROVIDED", "NONE"})


def identify(head: bytes) -> bool:
    """SWIFT field tags at line starts (and not XML or OFX)."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x01")
    if stripped.startswith((b"<", b"OFXHEADER")):
        return False
    return _IDENTIFY.search(head[:8192]) is not None


def extract(data: bytes, *, source: str) -> StatementFile:
    """Read every statement of an MT940/MT942 file."""
    text = decode_text(data, source=source)
    return _Reader(text, source).read()


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "@@" in text and re.search(r"@@:\d\d", text):
            text = text.replace("@@", "\n")
        self.text = text.translate(_FRAMING)
        self.source = source
        self.dot = False
        long_line = _LONG_LINE.search(text)
        if long_line:
            self.fail(long_line.start(), f"line longer than {MAX_LINE_CHARS} characters")

    def fail(self, offset: int, message: str) -> None:
        line = self.text.count("\n", 0, offset) + 1
        raise StatementParseError(message, file=self.source, line=line)

    def read(self) -> StatementFile:
        messages = self.messages()
        if not messages:
            self.fail(len(self.text), "no MT940 fields found")
        first_balance = next(
            (value for _, tag, value in (f for m in messages for f in m) if tag in ("60F", "60M")),
            None,
        )
        self.dot = first_balance is not None and balance_uses_dot(first_balance)
        drafts = [self.statement(message, index) for index, message in enumerate(messages)]
        statements = _build(drafts)
        is_942 = any(tag in _MT942_TAGS for m in messages for _, tag, _ in m)
        return StatementFile(format="mt942" if is_942 else "mt940", statements=statements)

    def messages(self) -> list[list[tuple[int, str, str]]]:
        """Fields ``(offset, tag, value)`` grouped per message."""
        text = self.text
        messages: list[list[tuple[int, str, str]]] = []
        current: list[tuple[int, str, str]] = []
        matches = list(_TOKEN.finditer(text))
        for i, match in enumerate(matches):
            tag = match.group(1)
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            if tag is None:  # separator
                if _continues_details(current, text, match.end(), end, matches, i):
                    offset, last, value = current[-1]
                    current[-1] = (offset, last, f"{value}\n{text[match.start() : end].rstrip()}")
                elif current:
                    messages.append(current)
                    current = []
                continue
            value = text[match.end() : end]
            if value.endswith("\n"):
                value = value.rstrip("\n")
            tag = tag.strip()
            if current and (tag == "20" or (tag in _ONCE_TAGS and _fragment_repeats(current, tag))):
                messages.append(current)
                current = []
            current.append((match.start(), tag, value))
        if current:
            messages.append(current)
        return [m for m in messages if any(tag != "NS" for _, tag, _ in m)]

    def balance(self, value: str, warnings: list[str], currency: str | None) -> Balance:
        return parse_balance(value, dot=self.dot, warnings=warnings, currency=currency)

    def statement(self, fields: list[tuple[int, str, str]], index: int) -> _Draft:
        warnings: list[str] = []
        head: dict[str, str] = {}
        extra: dict[str, str] = {}
        opening: Balance | None = None
        closing: Balance | None = None
        available: Balance | None = None
        information: list[str] = []
        raw_lines: list[tuple[int, str, list[str]]] = []  # (offset, :61: value, :86: values)
        currency: str | None = None
        last = ""
        for offset, tag, value in fields:
            try:
                if tag == "61":
                    if closing is not None:
                        self.fail(offset, ":61: after the closing balance")
                    raw_lines.append((offset, value, []))
                elif tag == "86":
                    if len(value) > MAX_DETAILS_CHARS:
                        self.fail(offset, f":86: longer than {MAX_DETAILS_CHARS} characters")
                    if last in ("61", "86") and raw_lines:
                        details = raw_lines[-1][2]
                        if details and details[-1] == value:
                            self.fail(offset, ":86: repeats the previous :86: verbatim")
                        details.append(value)
                        tag = "86"
                    else:
                        information.append(value)
                        tag = "86-info"
                elif tag in ("60F", "60M"):
                    if opening is not None:
                        self.fail(offset, f"second opening balance :{tag}:")
                    if raw_lines:
                        self.fail(offset, f"opening balance :{tag}: after a :61: line")
                    opening = self.balance(value, warnings, currency)
                    currency = currency or opening.currency
                    extra["opening_type"] = "final" if tag == "60F" else "intermediate"
                elif tag in ("62F", "62M"):
                    if closing is not None:
                        self.fail(offset, f"second closing balance :{tag}:")
                    closing = self.balance(value, warnings, currency)
                    currency = currency or closing.currency
                    extra["closing_type"] = "final" if tag == "62F" else "intermediate"
                elif tag == "64":
                    available = self.balance(value, warnings, currency)
                    currency = currency or available.currency
                elif tag in ("65", "65F"):
                    try:  # information only: a garbled forward balance does not stop the read
                        forward = self.balance(value, warnings, currency)
                    except FieldError as exc:
                        warnings.append(f":{tag}: ignored: {exc}")
                    else:
                        extra[f"forward_available_{forward.date.isoformat()}"] = str(forward.amount)
                elif tag in ("20", "21", "25", "25P", "28", "28C", "13", "13D"):
                    if tag in head:
                        self.fail(offset, f"second :{tag}: in one statement")
                    if tag in ("25", "25P") and raw_lines:
                        self.fail(offset, f"account :{tag}: after a :61: line")
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
                elif tag.startswith("NS"):
                    continue
                else:
                    warnings.append(f"unknown field :{tag}: ignored")
            except FieldError as exc:
                self.fail(offset, f":{tag}: {exc}")
            last = tag
        if "20" in head and opening is not None and closing is None:
            self.fail(fields[-1][0], "opening balance without a closing balance :62F:/:62M:")
        if "20" in head and closing is not None and opening is None:
            self.fail(fields[0][0], "closing balance without an opening balance :60F:/:60M:")
        is_942 = bool(_MT942_TAGS.intersection(t for _, t, _ in fields))
        if "20" in head and opening is None and not is_942:
            warnings.append("no opening or closing balance")
        account = head.get("25") or head.get("25P") or ""
        currency = currency or split_account(account)[1]
        if currency is None:
            if raw_lines:
                warnings.append("no currency in the statement; amounts read as XXX")
            currency = "XXX"
        lines = [self.line(item, n, currency, warnings) for n, item in enumerate(raw_lines)]
        if "20" not in head:
            warnings.append("no :20: transaction reference: a fragment, not a whole statement")
        if opening and closing and opening.currency != closing.currency:
            warnings.append(
                f"opening balance in {opening.currency}, closing balance in {closing.currency}"
            )
        number, _, sequence = (head.get("28C") or head.get("28") or "").partition("/")
        if number:
            extra["statement_number"] = number
        if sequence:
            extra["sequence_number"] = sequence
        if "21" in head:
            extra["related_reference"] = head["21"]
        if "13D" in head or "13" in head:
            extra["created"] = head.get("13D") or head["13"]
        return _Draft(
            index=index,
            fields=dict(
                id=head.get("20", ""),
                account=account,
                currency=currency,
                opening_balance=opening.amount if opening else None,
                closing_balance=closing.amount if closing else None,
                opening_date=opening.date if opening else None,
                closing_date=closing.date if closing else None,
                sequence=head.get("28C") or head.get("28"),
                available_balance=available.amount if available else None,
                information="\n".join(information),
                extra=extra,
            ),
            lines=lines,
            warnings=warnings,
        )

    def line(
        self, item: tuple[int, str, list[str]], entry: int, currency: str, warnings: list[str]
    ) -> dict[str, Any]:
        """The ``BankLine`` keyword arguments of one ``:61:`` and its ``:86:``."""
        offset, value, details = item
        try:
            parsed = parse_line(value, currency, dot=self.dot, warnings=warnings)
        except FieldError as exc:
            self.fail(offset, f":61: {exc}")
        facts: dict[str, Any] = {}
        if details:
            facts = parse_details([piece for detail in details for piece in detail.split("\n")])
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
        facts.update(
            entry=entry,
            amount=parsed.amount,
            currency=currency,
            booking_date=parsed.entry_date or parsed.value_date,
            value_date=parsed.value_date,
            status=LineStatus.PENDING if parsed.expected else LineStatus.BOOKED,
            reversal=parsed.reversal,
            bank_transaction_code=parsed.type_code,
            extra=extra,
        )
        return facts


def _continues_details(
    current: list[tuple[int, str, str]],
    text: str,
    start: int,
    end: int,
    matches: list[re.Match[str]],
    i: int,
) -> bool:
    """Whether the ``-`` line at ``matches[i]`` is ``:86:`` text (ING) rather than a separator."""
    if not current or current[-1][1] != "86" or not text[start:end].strip():
        return False
    following = matches[i + 1].group(1) if i + 1 < len(matches) else None
    return following not in (None, "20") and not text[start:end].lstrip().startswith("{")


def _fragment_repeats(current: list[tuple[int, str, str]], tag: str) -> bool:
    """In a fragment (tags without ``:20:``), a second balance or account starts a new one."""
    if any(t == "20" for _, t, _ in current):
        return False
    twins = {tag, tag[:2] + ("M" if tag.endswith("F") else "F")} if len(tag) == 3 else {tag}
    return any(t in twins for _, t, _ in current)


@dataclass(slots=True)
class _Draft:
    """A statement read but not yet built: its lines still lack their ``bank_ref``."""

    index: int
    fields: dict[str, Any]
    lines: list[dict[str, Any]]
    warnings: list[str]

    def build(self, refs: list[str]) -> Statement:
        lines = [BankLine(bank_ref=ref, **kw) for ref, kw in zip(refs, self.lines, strict=True)]
        statement = Statement(lines=lines, warnings=tuple(self.warnings), **self.fields)
        if statement.balanced is False:
            assert statement.opening_balance is not None
            moved = sum((line.amount for line in lines), Decimal(0))
            self.warnings.append(
                f"does not balance: opening {statement.opening_balance} + lines {moved}"
                f" != closing {statement.closing_balance}"
            )
            statement = replace(statement, warnings=tuple(self.warnings))
        return statement


def _build(drafts: list[_Draft]) -> list[Statement]:
    """The statements, every line with its ``bank_ref`` (CONTRACT.md "Bank line identity").

    The bank reference after ``//``; else the customer reference when it names this line
    alone in the file; else a key from the statement (``:20:``, ``:28C:``, opening date) and
    the line's ordinal. A reference that repeats in one file (for one account) is kept on
    every line, suffixed ``#2``, ``#3``..., with a warning on the statement: the duplicate
    goes to review, it does not vanish in the store's deduplication.
    """
    customer_refs: Counter[tuple[str, str]] = Counter()
    for draft in drafts:
        account = draft.fields["account"]
        for kw in draft.lines:
            extra = kw["extra"]
            ref = extra.get("customer_reference", "")
            if "bank_reference" not in extra and ref.upper() not in _NO_REFERENCE:
                customer_refs[(account, ref)] += 1
    seen: Counter[tuple[str, str]] = Counter()
    statements = []
    for draft in drafts:
        account = draft.fields["account"]
        opened = draft.fields["opening_date"]
        stem = f"{draft.fields['id']}/{draft.fields['sequence'] or ''}/{opened or draft.index}"
        refs = []
        for n, kw in enumerate(draft.lines):
            extra = kw["extra"]
            bank = extra.get("bank_reference", "")
            customer = extra.get("customer_reference", "")
            if bank.upper() not in _NO_REFERENCE:
                ref = bank
            elif customer.upper() not in _NO_REFERENCE and customer_refs[(account, customer)] == 1:
                ref = customer
            else:
                ref = f"{stem}#{n + 1}"
            seen[(account, ref)] += 1
            count = seen[(account, ref)]
            if count > 1:
                draft.warnings.append(
                    f"bank reference {ref} repeats in the file; line {n + 1} kept as {ref}#{count}"
                )
                ref = f"{ref}#{count}"
            refs.append(ref)
        statements.append(draft.build(refs))
    return statements
