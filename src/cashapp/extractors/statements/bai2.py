"""BAI2: US cash-management balance reporting (``01`` file ... ``99`` file trailer).

A file holds groups (``02`` ... ``98``), a group holds accounts (``03`` ... ``49``), an account
has its transaction details (``16``); ``88`` continues any record. One statement per ``03``
account record: the opening ledger (type code 010) and closing ledger (015) are its
balances (045, closing available, its available balance), each ``16`` a bank line dated by the group's as-of date.

Signs come from the type code: 100-399 and 920-959 are credits, 400-699 and 960-999 debits.
A detail with any other code cannot be signed; it is kept as an ``info`` line and the
statement says so. Trailer control totals and record counts are checked: a mismatch is a
warning, a blank control total is accepted (some banks send none).

``bank_ref``: the 16 record's bank reference, else its customer reference, else
``<account>-<as-of date>:<index of the 16 in the account>``.

The file is read in pieces (``text_stream``): ``extract`` collects the statements as each
account closes, ``iter_lines`` hands their lines out instead, in flat memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine, LineStatus, Statement, StatementFile
from cashapp.extractors.statements.bai2_accounts import (
    GROUP_STATUS,
    INTERIM,
    Account,
    Group,
    currency_code,
    statement_id,
    to_statement,
)
from cashapp.extractors.statements.bai2_records import (
    DEFAULT_RECORD_LENGTH,
    FieldCursor,
    FieldError,
    Logical,
    as_date,
    funds,
    implied_amount,
    physical_records,
    trailer_problems,
    units,
)
from cashapp.extractors.statements.fixed_width import distinct_ids, first_line, is_digits
from cashapp.extractors.statements.text_stream import fixed_width_lines, statement_lines

name = "bai2"


def identify(head: bytes) -> bool:
    """A BAI2 file starts with an ``01`` file header: ``01,sender,receiver,YYMMDD,...``."""
    parts = first_line(head).strip().split(",")
    return len(parts) >= 5 and parts[0] == "01" and len(parts[3]) == 6 and is_digits(parts[3])


def extract(data: bytes, *, source: str) -> StatementFile:
    """Read every account of a BAI2 file (raises ``StatementParseError``)."""
    accounts = list(_accounts(data, source))  # their warnings: until the 99 file trailer
    ids = distinct_ids([statement_id(a) for a in accounts])
    statements = [to_statement(i, a) for i, a in zip(ids, accounts, strict=True)]
    return StatementFile(format=name, statements=statements)


def iter_lines(data: bytes | Path, *, source: str) -> Iterator[tuple[int, BankLine]]:
    """(statement index, line), the lines and keys of ``extract``, read incrementally (give a
    path to avoid holding the file in memory): memory holds the lines of at most two
    accounts, not the file (and a few numbers per account). Balances, headers and warnings
    are only in ``extract``'s result.

    Contract: an account's lines are handed out once its 49 trailer is read and the next
    account is complete too, or the file has ended cleanly (99 trailer read); a truncated
    file raises before the lines of its last account. An error later in the file still
    raises after earlier accounts' lines were handed out: a consumer that imports must
    discard what it received when the iterator raises (no partial import).
    """
    return statement_lines(_released(_accounts(data, source)))


def _released(accounts: Iterator[Account]) -> Iterator[Statement]:
    """Each account's lines as a statement (its id is not the file-distinct one, its
    warnings not final: only the lines are meant), the account's own copy dropped."""
    for account in accounts:
        statement = to_statement(statement_id(account), account)
        account.lines = []
        yield statement


def _accounts(data: bytes | Path, source: str) -> Iterator[Account]:
    """The file's accounts, each as soon as its 49 trailer is read; raises at the end when the
    file is truncated. The group and file trailers add warnings to accounts already out."""
    reader = _Reader(source)
    lines = fixed_width_lines(data, source=source)
    try:
        for record in physical_records(lines, reader.record_length):
            reader.take(record)
            if reader.completed:
                yield from reader.completed
                reader.completed.clear()
    except FieldError as exc:
        raise StatementParseError(str(exc), file=source, line=exc.line, element=exc.field) from None
    reader.finish()


@dataclass(slots=True)
class _Reader:
    source: str
    record_length: int = DEFAULT_RECORD_LENGTH
    header: int | None = None
    group: Group | None = None
    account: Account | None = None
    completed: list[Account] = field(default_factory=list)  # read, not yet handed out
    file_accounts: list[Account] = field(default_factory=list)
    records: int = 0
    groups: int = 0
    total: int = 0
    ended: bool = False

    def _fail(self, line: int, message: str) -> StatementParseError:
        return StatementParseError(message, file=self.source, line=line)

    def take(self, record: Logical) -> None:
        count = len(record.pieces)
        if self.ended:
            raise self._fail(record.line, f"{record.code} record after the 99 file trailer")
        if record.code == "01":
            self._file_header(record)
            self.records += count
            return
        if self.header is None:
            raise self._fail(record.line, f"{record.code} record before the 01 file header")
        self.records += count
        if record.code == "99":
            self.end(record)
            return
        if record.code == "02":
            if self.group is not None:
                raise self._fail(
                    record.line, f"02 group header inside the group of line {self.group.line}"
                )
            fields = record.fields()
            currency = currency_code(fields[5] if len(fields) > 5 else "", "USD", record.line)
            as_of = as_date(fields[3] if len(fields) > 3 else "", "as-of date", record.line)
            self.group = Group(record.line, currency, as_of, records=count)
            status = fields[2].strip() if len(fields) > 2 else ""
            if status not in ("", "1"):
                meaning = GROUP_STATUS.get(status, "unknown status")
                self.group.notes.append(f"line {record.line}: group status {status} ({meaning})")
            modifier = fields[6].strip() if len(fields) > 6 else ""
            if modifier in INTERIM:
                self.group.notes.append(
                    f"line {record.line}: {INTERIM[modifier]} report; balances may still change"
                )
            return
        group = self.group
        if group is None:
            raise self._fail(record.line, f"{record.code} record outside a group (no 02 before it)")
        group.records += count
        if record.code == "03":
            self._account(group, record)
        elif record.code == "16":
            self._detail(record)
        elif record.code == "49":
            self._account_trailer(group, record)
        elif record.code == "98":
            self._group_trailer(group, record)
        else:
            raise self._fail(record.line, f"{record.code} record where none is expected")

    def _file_header(self, record: Logical) -> None:
        if self.header is not None:
            raise self._fail(record.line, "second 01 file header")
        fields = record.fields()
        if len(fields) < 3:
            raise self._fail(record.line, "01 file header has too few fields")
        as_date(fields[2], "file creation date", record.line)
        version = fields[7].strip() if len(fields) > 7 else ""
        if version not in ("2", ""):
            raise FieldError("version number", f"BAI version {version!r} is not BAI2", record.line)
        length = fields[5].strip() if len(fields) > 5 else ""
        if is_digits(length) and int(length) > 0:
            self.record_length = int(length)
        self.header = record.line

    def _account(self, group: Group, record: Logical) -> None:
        if self.account is not None:
            raise self._fail(
                record.line,
                f"03 account record before the 49 trailer of the account of line "
                f"{self.account.line}",
            )
        cursor = FieldCursor(record)
        account = cursor.next().strip()
        if not account:
            raise FieldError("account number", "account number is blank", record.line)
        currency = currency_code(cursor.next(), group.currency, record.line)
        opening = closing = available = None
        total = 0
        while not cursor.exhausted():
            code = cursor.next().strip()
            if not code:
                continue  # an empty field before a "/" that a continuation follows
            if not (is_digits(code) and len(code) == 3):
                raise FieldError("type code", f"not a type code: {code!r}", cursor.line)
            raw_value = cursor.next()
            value = implied_amount(raw_value, currency, f"amount of type {code}", cursor.line)
            cursor.next()  # item count
            funds(cursor, currency)
            total += units(raw_value, code, cursor.line) or 0
            if code == "010":
                opening = value
            elif code == "015":
                closing = value
            elif code == "045":
                available = value
        self.account = Account(
            record.line,
            account,
            currency,
            group.as_of,
            opening,
            closing,
            total,
            available=available,
            records=len(record.pieces),
            warnings=list(group.notes),
        )

    def _detail(self, record: Logical) -> None:
        account = self.account
        if account is None:
            raise self._fail(
                record.line, "16 transaction detail outside an account (no 03 before it)"
            )
        account.records += len(record.pieces)
        cursor = FieldCursor(record)
        code = cursor.next().strip()
        if not (is_digits(code) and len(code) == 3):
            raise FieldError("type code", f"not a type code: {code!r}", record.line)
        raw = cursor.next()
        value = implied_amount(raw, account.currency, "amount", record.line)
        if value is None:
            raise FieldError("amount", "amount is blank", record.line)
        if raw.strip()[:1] in "+-":
            raise FieldError(
                "amount", f"a 16 record amount is unsigned, found {raw!r}", record.line
            )
        kind, value_date = funds(cursor, account.currency)
        bank_ref, customer_ref = cursor.next().strip(), cursor.next().strip()
        text = cursor.rest()
        account.total += units(raw, "amount", record.line) or 0
        entry = len(account.lines)
        number = int(code)
        status = LineStatus.BOOKED
        if 100 <= number <= 399 or 920 <= number <= 959:
            signed = value
        elif 400 <= number <= 699 or 960 <= number <= 999:
            signed = -value if value else value
        else:
            signed, status = value, LineStatus.INFO
            account.warnings.append(
                f"line {record.line}: type code {code} is neither credit nor debit; "
                "kept as information"
            )
        extra = {"type_code": code}
        if kind not in ("", "Z"):
            extra["funds_type"] = kind
        if customer_ref:
            extra["customer_reference"] = customer_ref
        account.lines.append(
            BankLine(
                bank_ref=bank_ref or customer_ref or f"{statement_id(account)}:{entry}",
                entry=entry,
                amount=signed,
                currency=account.currency,
                booking_date=account.as_of,
                value_date=value_date,
                status=status,
                end_to_end_id=customer_ref or None,
                remittance_text=text,
                bank_transaction_code=code,
                extra=extra,
            )
        )

    def _account_trailer(self, group: Group, record: Logical) -> None:
        account = self.account
        if account is None:
            raise self._fail(record.line, "49 account trailer without an 03 account record")
        account.records += len(record.pieces)
        fields = record.fields()
        total = units(fields[0] if fields else "", "account control total", record.line)
        if total is not None and total != account.total:
            account.warnings.append(
                f"line {record.line}: account control total {total}, "
                f"the records add up to {account.total}"
            )
        count = fields[1].strip() if len(fields) > 1 else ""
        if count and (not is_digits(count) or int(count) != account.records):
            account.warnings.append(
                f"line {record.line}: account trailer counts {count} records, "
                f"the account has {account.records}"
            )
        group.accounts.append(account)
        self.completed.append(account)
        group.total += account.total
        self.account = None

    def _group_trailer(self, group: Group, record: Logical) -> None:
        if self.account is not None:
            raise self._fail(
                record.line,
                f"98 group trailer before the 49 trailer of the account of line "
                f"{self.account.line}",
            )
        fields = record.fields()
        problems = trailer_problems(
            fields,
            group.total,
            [("accounts", len(group.accounts)), ("records", group.records)],
            record.line,
            "group",
        )
        for account in group.accounts:
            account.warnings.extend(problems)
        self.file_accounts.extend(group.accounts)
        self.total += group.total
        self.groups += 1
        self.group = None

    def finish(self) -> None:
        """The end-of-file checks."""
        if self.header is None:
            raise StatementParseError("no 01 BAI2 file header", file=self.source)
        if not self.ended:
            where = (
                self.account.line
                if self.account
                else self.group.line
                if self.group
                else self.header
            )
            raise StatementParseError(
                f"file ends without its 99 file trailer (last open record on line {where}): "
                "truncated?",
                file=self.source,
            )

    def end(self, record: Logical) -> None:
        """The 99 file trailer."""
        if self.group is not None:
            raise self._fail(
                record.line,
                f"99 file trailer before the 98 trailer of the group of line {self.group.line}",
            )
        fields = record.fields()
        problems = trailer_problems(
            fields,
            self.total,
            [("groups", self.groups), ("records", self.records)],
            record.line,
            "file",
        )
        for account in self.file_accounts:
            account.warnings.extend(problems)
        self.ended = True
