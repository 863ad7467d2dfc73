"""CODA: the Belgian banks' coded statement of account (Febelfin, versions 1 and 2).

A file is one or more ``0`` header ... ``9`` trailer sections, each with one statement: ``1``
old balance, movements (``21`` with its ``22``/``23``), information (``31``/``32``/``33``),
free communication (``4``, kept as the statement's ``information``), ``8`` new balance.
Records are 128 characters (``coda_records``).

A movement is one bank entry. When the bank globalises (transaction type 1 or 2 with
details of type 5, 6 or 7), each detail becomes a line of that entry, like a camt batch
booking, provided the details add up to the total; otherwise the total stays one line and
the statement says why. Details of type 8 and 9 only describe their movement (gross amount,
charges...) and go into its ``additional_info``. The trailer's record count and totals are
checked; a mismatch is a warning on the statement (test files often carry stale trailers).

``bank_ref``: the 2.1 bank reference (positions 11-31); a detail line of a globalisation uses
its own reference, else ``<total's reference>/<detail number>``; without any reference,
``<statement id>:<sequence number>``.

The file is read in pieces (``text_stream``): ``extract`` collects the statements as each
statement closes, ``iter_lines`` hands their lines out instead, in flat memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from cashapp.core.errors import StatementParseError
from cashapp.domain.statements import BankLine, Statement, StatementFile
from cashapp.extractors.statements.coda_lines import movement_lines
from cashapp.extractors.statements.coda_records import (
    RECORD_LENGTH,
    FieldError,
    Movement,
    OldBalance,
    add_22,
    add_23,
    amount,
    digits,
    movement,
    old_balance,
    when,
)
from cashapp.extractors.statements.fixed_width import (
    StatementIds,
    first_line,
    is_digits,
)
from cashapp.extractors.statements.text_stream import fixed_width_lines, statement_lines

name = "coda"

# Information records (3.x) one movement may carry; beyond it the file is refused.
MAX_INFORMATION = 500


def identify(head: bytes) -> bool:
    """A CODA file starts with a ``0`` header record: ``0000``, a DDMMYY date, version 1 or 2."""
    first = first_line(head).rstrip(" ")
    return (
        len(first) == RECORD_LENGTH
        and first.startswith("00000")
        and is_digits(first[5:11])
        and first[127] in ("1", "2")
    )


def extract(data: bytes, *, source: str) -> StatementFile:
    """Read every statement of a CODA file (raises ``StatementParseError``)."""
    return StatementFile(format=name, statements=list(_statements(data, source)))


def iter_lines(data: bytes | Path, *, source: str) -> Iterator[tuple[int, BankLine]]:
    """(statement index, line), the lines and keys of ``extract``, read incrementally (give a
    path to avoid holding the file in memory): memory holds at most two sections (header to
    9 trailer), not the file. Balances, headers and warnings are only in ``extract``'s result.

    Contract: a statement's lines are handed out once its section's 9 trailer is read and the
    next statement is complete too, or the file has ended cleanly; a file that ends inside a
    section raises before the lines of its last complete statement. An error later in the
    file still raises after earlier statements' lines were handed out: a consumer that
    imports must discard what it received when the iterator raises (no partial import).
    """
    return statement_lines(_statements(data, source))


def _statements(data: bytes | Path, source: str) -> Iterator[Statement]:
    """The file's statements, a section's as soon as its 9 trailer is read; raises at the end
    when the file is truncated or holds no statement."""
    reader = _Reader(source)
    for number, text in fixed_width_lines(data, source=source):
        if not text.strip() or text == "\x1a":
            continue
        if len(text) > RECORD_LENGTH and not text[RECORD_LENGTH:].strip():
            text = text[:RECORD_LENGTH]  # blanks padded after the record
        if len(text) != RECORD_LENGTH:
            raise StatementParseError(
                f"record is {len(text)} characters long, CODA records are {RECORD_LENGTH}",
                file=source,
                line=number,
            )
        try:
            reader.take(text, number)
        except FieldError as exc:
            raise StatementParseError(
                str(exc), file=source, line=number, element=f"record {text[:2]}: {exc.field}"
            ) from None
        if reader.statements:
            yield from reader.statements
            reader.statements.clear()
    reader.finish()


@dataclass(slots=True)
class _Draft:
    opening: OldBalance
    movements: list[Movement] = field(default_factory=list)
    closing: Decimal | None = None
    closing_date: date | None = None
    free_text: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records: int = 1  # records 1, 2, 3 and 8, as the trailer counts them


@dataclass(slots=True)
class _Reader:
    source: str
    version: str | None = None
    header_line: int = 0
    draft: _Draft | None = None
    section: list[_Draft] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)  # read, not yet handed out
    count: int = 0
    ids: StatementIds = field(default_factory=StatementIds)
    duplicate: bool = False  # the header's duplicate code (position 17)

    def _fail(self, line: int, message: str) -> StatementParseError:
        return StatementParseError(message, file=self.source, line=line)

    def take(self, text: str, line: int) -> None:
        kind = text[0]
        if kind == "0":
            if self.version is not None:
                raise self._fail(
                    line,
                    f"0 header record before the 9 trailer of line {self.header_line}'s section",
                )
            if text[127] not in ("1", "2"):
                raise FieldError("version code", f"unsupported CODA version {text[127]!r}")
            when(text[5:11], "creation date")
            self.version, self.header_line = text[127], line
            self.duplicate = text[16] == "D"
            return
        if self.version is None:
            raise self._fail(line, f"record {kind} before a 0 header record")
        if kind == "1":
            if self.draft is not None:
                raise self._fail(
                    line,
                    f"1 old balance record inside the statement opened on line "
                    f"{self.draft.opening.line}",
                )
            self.draft = _Draft(old_balance(text, line, self.version))
            if self.duplicate:
                self.draft.warnings.append(
                    f"line {self.header_line}: the header marks this file as a duplicate (D)"
                )
            return
        if kind == "9":
            self._trailer(text, line)
            return
        draft = self.draft
        if draft is None:
            raise self._fail(
                line, f"record {text[:2]} outside a statement (no 1 old balance record)"
            )
        if kind == "2":
            self._movement(draft, text, line)
        elif kind == "3":
            self._information(draft, text, line)
        elif kind == "4":
            draft.free_text.append(" ".join(text[32:112].split()))
        elif kind == "8":
            draft.records += 1
            draft.closing = amount(text[41], text[42:57], draft.opening.currency, "new balance")
            draft.closing_date = when(text[57:63], "new balance date")
            account = text[4:41].strip()
            if draft.opening.account not in account and account not in ("", draft.opening.account):
                draft.warnings.append(
                    f"line {line}: new balance record names account {account.split()[0]}, "
                    f"old balance record {draft.opening.account}"
                )
            self.section.append(draft)
            self.draft = None
        else:
            raise FieldError("record identification", f"unknown CODA record code {kind!r}")

    def _movement(self, draft: _Draft, text: str, line: int) -> None:
        draft.records += 1
        article = text[1]
        if article == "1":
            draft.movements.append(movement(text, line, draft.opening.currency))
            return
        if article not in ("2", "3"):
            raise FieldError("article code", f"unknown movement article 2.{article}")
        last = draft.movements[-1] if draft.movements else None
        if last is None or (last.sequence, last.detail) != (text[2:6], text[6:10]):
            raise self._fail(line, f"2.{article} record does not follow its 2.1 movement record")
        if article == "2":
            add_22(last, text)
        else:
            add_23(last, text, self.version or "2")

    def _information(self, draft: _Draft, text: str, line: int) -> None:
        draft.records += 1
        article = text[1]
        if article not in ("1", "2", "3"):
            raise FieldError("article code", f"unknown information article 3.{article}")
        last = draft.movements[-1] if draft.movements else None
        if last is None or last.sequence != text[2:6]:
            raise self._fail(line, f"3.{article} information record without its 2.1 movement")
        if len(last.information) >= MAX_INFORMATION:
            raise self._fail(
                line, f"more than {MAX_INFORMATION} information records for one movement"
            )
        if article == "1":
            digits(text[31:39], "transaction code")
            content = text[40:113]
            if text[39] == "1" and content[:3] == "001" and not last.counterparty_name:
                last.counterparty_name = " ".join(content[3:73].split())
            last.information.append(content[3:] if text[39] == "1" else content)
        elif article == "2":
            last.information.append(text[10:115])
        else:
            last.information.append(text[10:100])

    def _trailer(self, text: str, line: int) -> None:
        if self.draft is not None:
            if self.draft.movements or not self.section:
                self.draft.warnings.append("no 8 new balance record: closing balance unknown")
            self.section.append(self.draft)
            self.draft = None
        count = digits(text[16:22], "number of records")
        debit = Decimal(digits(text[22:37], "debit total")).scaleb(-3)
        credit = Decimal(digits(text[37:52], "credit total")).scaleb(-3)
        records = sum(d.records for d in self.section)
        moved_debit = -sum(
            (
                m.amount
                for d in self.section
                for m in d.movements
                if m.detail == "0000" and m.amount < 0
            ),
            Decimal(0),
        )
        moved_credit = sum(
            (
                m.amount
                for d in self.section
                for m in d.movements
                if m.detail == "0000" and m.amount > 0
            ),
            Decimal(0),
        )
        problems = []
        if count != records:
            problems.append(f"trailer counts {count} records, the statement has {records}")
        if debit != moved_debit or credit != moved_credit:
            problems.append(
                f"trailer totals debit {debit} / credit {credit}, the movements "
                f"debit {moved_debit} / credit {moved_credit}"
            )
        for draft in self.section:
            draft.warnings.extend(f"line {line}: {p}" for p in problems)
        for draft in self.section:
            self.statements.append(self._statement(self.ids(_statement_id(draft.opening)), draft))
            self.count += 1
        self.section = []
        self.version = None

    def finish(self) -> None:
        """The end-of-file checks."""
        if self.version is not None or self.draft is not None:
            raise StatementParseError(
                f"file ends before the 9 trailer record of the section starting on line "
                f"{self.header_line}: truncated?",
                file=self.source,
            )
        if not self.count:
            raise StatementParseError("no CODA statement in the file", file=self.source)

    def _statement(self, ident: str, draft: _Draft) -> Statement:
        warnings = list(draft.warnings)
        lines: list[BankLine] = []
        for entry, group in enumerate(_groups(draft.movements)):
            built, problem = movement_lines(
                group, entry=entry, statement_id=ident, currency=draft.opening.currency
            )
            lines.extend(built)
            if problem:
                warnings.append(problem)
        statement = Statement(
            id=ident,
            account=draft.opening.account,
            currency=draft.opening.currency,
            lines=lines,
            opening_balance=draft.opening.balance,
            closing_balance=draft.closing,
            opening_date=draft.opening.date,
            closing_date=draft.closing_date,
            sequence=draft.opening.paper_sequence,
            information=" | ".join(t for t in draft.free_text if t),
        )
        if statement.balanced is False:
            moved = sum((line.amount for line in lines), Decimal(0))
            warnings.append(
                f"statement does not balance: opening {draft.opening.balance} + movements "
                f"{moved} != closing {draft.closing}"
            )
        return replace(statement, warnings=tuple(warnings))


def _groups(movements: list[Movement]) -> list[list[Movement]]:
    """Movements grouped by sequence number: the 0000 record first, then its details."""
    groups: list[list[Movement]] = []
    for item in movements:
        if groups and groups[-1][0].sequence == item.sequence and item.detail != "0000":
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _statement_id(opening: OldBalance) -> str:
    day = opening.date.isoformat() if opening.date else "undated"
    return f"{opening.account}-{day}-{opening.paper_sequence}"
