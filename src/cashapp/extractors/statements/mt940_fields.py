"""Field values of SWIFT MT940/MT942: amounts, dates, balances (``:60a: :62a: :64: :65:``),
the statement line ``:61:``, floor limits ``:34F:`` and sums ``:90D: :90C:``.

Every function raises ``FieldError`` with a message; the reader adds the file and line.
Amounts are ``Decimal`` from the exact text. SWIFT writes them with a ``,`` decimal mark
(``1234,56``; ``1234,`` and ``,50`` allowed; ``1234`` without a mark is read as a whole
amount). One historic dialect, the old Rabobank layout, writes every amount with a ``.``:
a file whose opening balance uses ``.`` is read in that mode, and then every amount must;
a ``.`` anywhere else, or a mix, is refused.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache

from cashapp.domain.money import AmountError, minor_units

MAX_AMOUNT_DIGITS = 15


class FieldError(ValueError):
    """A field value that is not what the MT940 standard (or a known dialect) allows."""




@cache
def _places(currency: str) -> int:
    try:
        return minor_units(currency)
    except AmountError as exc:
        raise FieldError(str(exc)) from exc


_currency_places: dict[str, int] = {}  # _places without its call (currencies are few)


def parse_amount(text: str, currency: str, *, dot: bool = False) -> Decimal:
    """An unsigned MT940 amount (``1234,56``) as an exact Decimal in ``currency``."""
    whole, mark, fraction = text.partition("." if dot else ",")
    digits = whole + fraction
    if not digits or not digits.isdigit() or not digits.isascii():
        if not dot and "." in text:
            raise FieldError(f"amount {text!r} uses '.' as decimal separator (MT940 uses ',')")
        if dot and "," in text:
            raise FieldError(f"amount {text!r} uses ',' where this file uses '.'")
        raise FieldError(f"not an MT940 amount: {text!r}")
    if dot and not mark:
        raise FieldError(f"amount {text!r} has no '.' where this file uses '.'")
    if len(whole) > MAX_AMOUNT_DIGITS and len(whole.lstrip("0")) > MAX_AMOUNT_DIGITS:
        raise FieldError(f"amount {text!r} has too many digits")
    places = _currency_places.get(currency)
    if places is None:
        places = _currency_places[currency] = _places(currency)
    if len(fraction) > places:
        if fraction[places:].strip("0"):
            raise FieldError(f"{text} has more decimals than {currency} allows")
        fraction = fraction[:places]
    if not places:
        return Decimal(whole or "0")
    return Decimal(f"{whole or '0'}.{fraction.ljust(places, '0')}")


def parse_date(text: str, *, warnings: list[str] | None = None) -> date:
    """``YYMMDD`` (years 80-99 are 19xx). A day past the month's end (German banks' 30 Feb
    interest value dates) is read as the month's last day, with a warning."""
    when, clamped = _yymmdd(text)
    if clamped and warnings is not None:
        warnings.append(f"date {text} is not a calendar date; read as the month's last day")
    return when


@lru_cache(maxsize=4096)
def _yymmdd(text: str) -> tuple[date, bool]:
    """``YYMMDD`` -> (date, whether the day was clamped to the month's end). Statements
    repeat a handful of dates thousands of times: cached."""
    if len(text) != 6 or not text.isdigit() or not text.isascii():
        raise FieldError(f"not a date YYMMDD: {text!r}")
    yy, month, day = int(text[:2]), int(text[2:4]), int(text[4:])
    return _calendar_date(2000 + yy if yy < 80 else 1900 + yy, month, day, text)


def _calendar_date(year: int, month: int, day: int, text: str) -> tuple[date, bool]:
    try:
        return date(year, month, day), False
    except ValueError:
        pass
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise FieldError(f"not a date: {text!r}")
    return date(year, month, calendar.monthrange(year, month)[1]), True


def entry_date(mmdd: str, value: date, warnings: list[str]) -> date:
    """The ``:61:`` entry date ``MMDD``: in the year that puts it nearest the value date
    (a line valued 2 January and booked 31 December was booked the year before)."""
    booked, clamped = _entry_date(mmdd, value)
    if clamped:
        warnings.append(f"entry date {mmdd} is not a calendar date; read as the month's last day")
    return booked


@lru_cache(maxsize=4096)
def _entry_date(mmdd: str, value: date) -> tuple[date, bool]:
    month = int(mmdd[:2])
    year = value.year
    if month - value.month > 6:
        year -= 1
    elif value.month - month > 6:
        year += 1
    return _calendar_date(year, month, int(mmdd[2:]), mmdd)


_BALANCE = re.compile(r"([CD])(\d{6})([A-Z]{3})?\s*([\d,.]+)", re.ASCII)


@dataclass(frozen=True, slots=True)
class Balance:
    amount: Decimal  # signed: credit positive
    date: date
    currency: str


def parse_balance(
    text: str, *, dot: bool, warnings: list[str], currency: str | None = None
) -> Balance:
    """``:60F:C250101EUR1234,56`` (also ``:62a: :64: :65:``). A balance without its currency
    (seen in the wild) takes ``currency``, the statement's, with a warning."""
    match = _BALANCE.fullmatch(text.strip())
    if match is None:
        raise FieldError(f"not a balance (C/D, YYMMDD, currency, amount): {text.strip()!r}")
    mark, when, written, amount_text = match.groups()
    if written is None:
        if currency is None:
            raise FieldError(f"balance without a currency: {text.strip()!r}")
        warnings.append(f"balance {text.strip()} has no currency; read as {currency}")
    currency = written or currency
    assert currency is not None
    amount = parse_amount(amount_text, currency, dot=dot)
    signed = -amount if mark == "D" else amount
    return Balance(signed, parse_date(when, warnings=warnings), currency)


def balance_uses_dot(text: str) -> bool:
    match = _BALANCE.fullmatch(text.strip())
    return bool(match and "." in match.group(4) and "," not in match.group(4))


# :61: value date, [entry date], mark, [funds code], amount, type, references
_LINE = re.compile(
    r"(\d{6})(\d{4}|\s{4})?\s?(R?[CD]|E[CD])([A-Z])?([\d,.]+)\s?"
    r"([A-Z][A-Z0-9 ]{3}(?=.)|[A-Z][A-Z0-9]{3}|(?=//))(.*)",
    re.S | re.ASCII,
)
_MAX_CUSTOMER_REF = 16


@dataclass(slots=True)
class StatementLine:
    value_date: date
    entry_date: date | None
    amount: Decimal  # signed: credit positive
    reversal: bool
    expected: bool  # EC/ED: an expected (not yet booked) entry, MT942
    funds_code: str | None
    type_code: str
    customer_reference: str
    bank_reference: str
    overflow: str  # text after the 16-character customer reference (old Rabobank: a name)
    supplementary: str


# The dates read so far that were calendar dates (a clamped one warns each time it is read).
_calendar_dates: dict[str, date] = {}
_calendar_entry_dates: dict[tuple[str, date], date] = {}


def parse_line(text: str, currency: str, *, dot: bool, warnings: list[str]) -> StatementLine:
    """``:61:`` (value, entry, mark, funds code, amount, type, references, details).

    Signs: ``C`` credit +, ``D`` debit -, ``RC`` reversal of a credit -, ``RD`` reversal of a
    debit +, ``EC``/``ED`` expected credit/debit (MT942).
    """
    first, _, supplementary = text.partition("\n")
    match = _LINE.fullmatch(first)
    if match is None:  # perhaps wrapped: _line_match reads it
        match, first, supplementary = _line_match(text)
    if match is None:
        raise FieldError(f"not a statement line: {first.strip()!r}")
    value_text, entry_text, mark, funds, amount_text, type_code, refs = match.groups()
    value = _calendar_dates.get(value_text)  # a dict lookup, not two calls: a few dates repeat
    if value is None:
        value = parse_date(value_text, warnings=warnings)
        if len(_calendar_dates) < 4096 and not _yymmdd(value_text)[1]:
            _calendar_dates[value_text] = value
    booked = None
    if entry_text and entry_text != "    ":
        booked = _calendar_entry_dates.get((entry_text, value))
        if booked is None:
            booked = entry_date(entry_text, value, warnings)
            if len(_calendar_entry_dates) < 4096 and not _entry_date(entry_text, value)[1]:
                _calendar_entry_dates[(entry_text, value)] = booked
    amount = parse_amount(amount_text, currency, dot=dot)
    if mark in ("D", "RC", "ED"):
        amount = -amount
    if supplementary.startswith("//"):
        warnings.append(f"'{supplementary.split()[0]}' on the line after :61: is not read as its bank reference")
    customer, bank, overflow = _references(refs)
    return StatementLine(
        value_date=value,
        entry_date=booked,
        amount=amount,
        reversal=mark in ("RC", "RD"),
        expected=mark in ("EC", "ED"),
        funds_code=funds,
        type_code=type_code.strip(),
        customer_reference=customer,
        bank_reference=bank,
        overflow=overflow,
        supplementary=" ".join(supplementary.split()) if supplementary else "",
    )


def line_references(text: str) -> tuple[str, str, str] | None:
    """A ``:61:`` value's (customer reference, bank reference, overflow) as ``parse_line``
    reads them, without reading the rest; ``None`` when it is not a statement line."""
    match = _line_match(text)[0]
    return None if match is None else _references(match.group(7))


def has_bank_reference(text: str) -> bool:
    """Whether a ``:61:`` value surely has a bank reference (``parse_line`` reads a non-empty
    one, or the value is not a statement line), without the regex: nothing before the
    references holds a ``/``, so a ``//`` on the first line opens the bank reference, and
    text after it is that reference (a line wrapped into the next only adds to it)."""
    return bool(text.partition("\n")[0].partition("//")[2].strip())


def _line_match(text: str) -> tuple[re.Match[str] | None, str, str]:
    first, _, supplementary = text.partition("\n")
    match = _LINE.fullmatch(first)
    if match is None and supplementary:  # wrapped inside the line (seen after the D/C mark)
        second, _, rest = supplementary.partition("\n")
        joined = _LINE.fullmatch(first + second)
        if joined is not None:
            return joined, first + second, rest
    return match, first, supplementary


def _references(refs: str) -> tuple[str, str, str]:
    customer, _, bank = refs.partition("//")
    overflow = ""
    if len(customer) > _MAX_CUSTOMER_REF and not bank:
        customer, overflow = customer[:_MAX_CUSTOMER_REF], customer[_MAX_CUSTOMER_REF:].strip()
    return customer.strip(), bank.strip(), overflow


_FLOOR = re.compile(r"([A-Z]{3})\s*([DC])?\s*([\d,.]+)", re.ASCII)
_SUM = re.compile(r"(\d{1,5})?([A-Z]{3})\s*([\d,.]+)", re.ASCII)


def parse_floor_limit(text: str) -> tuple[str, str | None, Decimal]:
    """``:34F:EURD5,`` -> currency, D/C (None: both), amount."""
    match = _FLOOR.fullmatch(text.strip())
    if match is None:
        raise FieldError(f"not a floor limit: {text.strip()!r}")
    currency, mark, amount = match.groups()
    return currency, mark, parse_amount(amount, currency)


def parse_sum(text: str) -> tuple[int, str, Decimal]:
    """``:90D:2EUR186,33`` -> count, currency, amount."""
    match = _SUM.fullmatch(text.strip())
    if match is None:
        raise FieldError(f"not a number and sum of entries: {text.strip()!r}")
    count, currency, amount = match.groups()
    return int(count or 0), currency, parse_amount(amount, currency)
