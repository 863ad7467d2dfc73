"""CFONB120: French banks' domestic account statement ("relevé de compte", 120-character records).

A statement is one ``01`` (ancien solde), its ``04`` movements each followed by their ``05``
complements, and one ``07`` (nouveau solde); a file holds several accounts and days. Records
come one a line or as one run of 120-character blocks. Record layout: ``cfonb_records``;
05 qualifiers: ``cfonb_details``.

``bank_ref``: the 05 ``REF`` (the bank's operation reference), else the 04 reference zone
(positions 105-120), else ``<statement id>:<index of the 04 in the statement>``; a reference
used twice in one statement gets ``/2`` on its second line.

Lenient by default, as real files need: a blank numéro d'écriture, a blank currency or number
of decimals on the balance records, lines whose trailing blanks were trimmed. ``strict=True``
refuses those. Structure errors (a 04 outside a statement, a statement without its 07, an
unknown record code, bad digits) are refused in both modes.

The file is read in pieces (``text_stream``): ``extract`` collects the statements as each
statement closes, ``iter_lines`` hands their lines out instead, in flat memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from cashapp.core.errors import StatementParseError
from cashapp.domain.money import minor_units
from cashapp.domain.statements import BankLine, Statement, StatementFile
from cashapp.extractors.statements.cfonb_details import Movement
from cashapp.extractors.statements.cfonb_records import (
    RECORD_LENGTH,
    FieldError,
    Record,
    read_record,
    signed_amount,
)
from cashapp.extractors.statements.fixed_width import (
    StatementIds,
    distinct_refs,
    first_line,
)
from cashapp.extractors.statements.text_stream import fixed_width_lines, statement_lines

name = "cfonb120"

# A movement never needs more 05 records than this (each carries 70 characters); beyond it
# the file is an attack or garbage, refused before it costs memory.
MAX_COMPLEMENTS = 500

_FIRST_RECORD = re.compile(
    r"01\d{5}.{9}[A-Z ]{3}[\d ].[ -~]{11}.{2}\d{6}.{50}\d{13}[{}A-R]", re.DOTALL
)


def identify(head: bytes) -> bool:
    """A CFONB120 file starts with an ``01`` (ancien solde) record."""
    first = first_line(head)
    if len(first) < 104:
        return False
    return _FIRST_RECORD.match(first[:RECORD_LENGTH].ljust(RECORD_LENGTH)) is not None


def extract(data: bytes, *, source: str, strict: bool = False) -> StatementFile:
    """Read every statement of a CFONB120 file (raises ``StatementParseError``)."""
    return StatementFile(format=name, statements=list(_statements(data, source, strict)))


def iter_lines(
    data: bytes | Path, *, source: str, strict: bool = False
) -> Iterator[tuple[int, BankLine]]:
    """(statement index, line), the lines and keys of ``extract``, read incrementally (give a
    path to avoid holding the file in memory): memory holds at most two statements, not the
    file. Balances, headers and warnings are only in ``extract``'s result.

    Contract: a statement's lines are handed out once its 07 record is read and the next
    statement is complete too, or the file has ended cleanly; a file that ends inside a
    statement raises before the lines of its last complete statement. An error later in the
    file still raises after earlier statements' lines were handed out: a consumer that
    imports must discard what it received when the iterator raises (no partial import).
    """
    return statement_lines(_statements(data, source, strict))


def _statements(data: bytes | Path, source: str, strict: bool) -> Iterator[Statement]:
    """The file's statements, each as soon as its 07 record is read; raises at the end when
    the file is truncated or holds no statement."""
    builder = _FileBuilder(source=source, strict=strict)
    lines = fixed_width_lines(data, source=source)
    for number, text in _records(lines, source=source, strict=strict):
        try:
            if text[:2] == "05" and builder.take_complement(text, number):
                continue
            builder.take(read_record(text, number, strict=strict))
        except FieldError as exc:
            raise StatementParseError(
                str(exc), file=source, line=number, element=exc.field
            ) from None
        if builder.statements:
            yield from builder.statements
            builder.statements.clear()
    builder.finish()


def _records(
    lines: Iterator[tuple[int, str]], *, source: str, strict: bool
) -> Iterator[tuple[int, str]]:
    """``(line number, 120-character record)``; blank lines skipped, long runs split in blocks."""
    for number, line in lines:
        if not line.strip():
            continue
        if len(line) == RECORD_LENGTH:
            yield number, line
        elif len(line) > RECORD_LENGTH and len(line) % RECORD_LENGTH == 0:
            for start in range(0, len(line), RECORD_LENGTH):
                block = line[start : start + RECORD_LENGTH]
                if block.strip():
                    yield number, block
        elif len(line) < RECORD_LENGTH and not strict and len(line) >= 48:
            yield number, line.ljust(RECORD_LENGTH)  # trailing blanks trimmed by some tool
        elif len(line) > RECORD_LENGTH and not strict and not line[RECORD_LENGTH:].strip():
            yield number, line[:RECORD_LENGTH]
        else:
            raise StatementParseError(
                f"record is {len(line)} characters long, CFONB120 records are {RECORD_LENGTH}",
                file=source,
                line=number,
            )


@dataclass(slots=True)
class _StatementDraft:
    opening: Record
    currency: str
    opening_balance: Decimal
    movements: list[Movement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _FileBuilder:
    source: str
    strict: bool
    current: _StatementDraft | None = None
    statements: list[Statement] = field(default_factory=list)  # read, not yet handed out
    ids: StatementIds = field(default_factory=StatementIds)
    count: int = 0

    def _fail(self, record: Record, message: str) -> StatementParseError:
        return StatementParseError(message, file=self.source, line=record.line)

    def take(self, record: Record) -> None:
        if record.code == "01":
            self._open(record)
            return
        draft = self.current
        if draft is None:
            raise self._fail(
                record, f"{record.code} record outside a statement (no 01 record before it)"
            )
        if record.account != draft.opening.account:
            raise self._fail(
                record,
                f"account {record.account} differs from the statement's account "
                f"{draft.opening.account} (01 record on line {draft.opening.line})",
            )
        if record.code == "04":
            currency = record.currency or draft.currency
            draft.movements.append(
                Movement.from_record(record, currency, _decimals(record, currency))
            )
        elif record.code == "05":
            if not draft.movements:
                raise self._fail(record, "05 complement record without a 04 movement before it")
            movement = draft.movements[-1]
            if movement.complements >= MAX_COMPLEMENTS:
                raise self._fail(
                    record, f"more than {MAX_COMPLEMENTS} 05 complement records for one movement"
                )
            movement.add_text(record.text)
        else:  # 07
            currency = record.currency or draft.currency
            closing = signed_amount(record.text[90:104], _decimals(record, currency), currency)
            ident = self.ids(_statement_id(draft.opening))
            self.statements.append(self._statement(ident, draft, record, closing))
            self.count += 1
            self.current = None

    def take_complement(self, text: str, line: int) -> bool:
        """A 05 record whose account block (positions 3-40) repeats its 04's, taken without
        reading the block again: the common case, checked by equality. False: read it fully."""
        draft = self.current
        if draft is None or not draft.movements:
            return False
        movement = draft.movements[-1]
        if text[2:40] != movement.record.text[2:40]:
            return False
        if movement.complements >= MAX_COMPLEMENTS:
            raise StatementParseError(
                f"more than {MAX_COMPLEMENTS} 05 complement records for one movement",
                file=self.source,
                line=line,
            )
        movement.add_text(text)
        return True

    def _open(self, record: Record) -> None:
        if self.current is not None:
            raise self._fail(
                record,
                f"01 record while the statement opened on line {self.current.opening.line} "
                "has no 07 (nouveau solde) record",
            )
        warnings: list[str] = []
        currency = record.currency
        if not currency:
            currency = "EUR"
            warnings.append(f"line {record.line}: blank currency on the 01 record, read as EUR")
        balance = signed_amount(record.text[90:104], _decimals(record, currency), currency, "solde")
        self.current = _StatementDraft(record, currency, balance, warnings=warnings)

    def finish(self) -> None:
        """The end-of-file checks."""
        if self.current is not None:
            raise StatementParseError(
                f"file ends inside the statement opened on line {self.current.opening.line} "
                "(no 07 nouveau solde record): truncated?",
                file=self.source,
            )
        if not self.count:
            raise StatementParseError("no CFONB120 statement in the file", file=self.source)

    def _statement(
        self, ident: str, draft: _StatementDraft, closing_record: Record, closing: Decimal
    ) -> Statement:
        lines: list[BankLine] = []
        for entry, movement in enumerate(draft.movements):
            try:
                line = movement.to_line(
                    entry=entry, fallback_ref=f"{ident}:{entry}", strict=self.strict
                )
            except FieldError as exc:
                raise StatementParseError(
                    str(exc), file=self.source, line=movement.record.line, element=exc.field
                ) from None
            lines.append(line)
        warnings = list(draft.warnings)
        foreign = sorted({m.currency for m in draft.movements} - {draft.currency})
        if foreign:
            warnings.append(f"movements in {', '.join(foreign)} on a {draft.currency} statement")
        statement = Statement(
            id=ident,
            account=draft.opening.account,
            currency=draft.currency,
            lines=distinct_refs(lines),
            opening_balance=draft.opening_balance,
            closing_balance=closing,
            opening_date=draft.opening.date,
            closing_date=closing_record.date,
        )
        if statement.balanced is False:
            moved = sum((line.amount for line in lines), Decimal(0))
            warnings.append(
                f"statement does not balance: opening {draft.opening_balance} + movements {moved} "
                f"!= closing {closing}"
            )
        return replace(statement, warnings=tuple(warnings))


def _decimals(record: Record, currency: str) -> int:
    if record.decimals is not None:
        return record.decimals
    try:
        return minor_units(currency)
    except ValueError:
        raise FieldError("code devise", f"not a currency code: {currency!r}") from None


def _statement_id(opening: Record) -> str:
    when = opening.date.isoformat() if opening.date else "undated"
    return f"{opening.bank}-{opening.branch}-{opening.account}-{when}"
