"""OFX element values: amounts, dates and text (OFX 2.1.1 spec, chapter 3.2 "Data types").

Amounts are exact ``Decimal``: an optional sign, digits, and one decimal mark. The spec's
mark is ``.``; Brazilian and some European banks write ``,``. A ``,`` is read as the mark
only when at most the currency's decimals follow it (``1,000`` in USD could be a thousand:
refused; so is ``1.000``). Thousands groups are accepted only with both marks present (``1.530,00``,
``1,530.00``: the last mark is the decimal one). Anything else (``$20``, ``.``, an empty
value, ``1e5``) is refused.
Dates are ``YYYYMMDD[HHMMSS[.XXX]][[gmt offset:tz]]``; the statement date is the calendar
date as the bank wrote it (the offset is not applied).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache

from cashapp.domain.money import AmountError, minor_units, quantize_exact

MAX_AMOUNT_DIGITS = 15


class OfxValueError(ValueError):
    """An OFX value that cannot be read; the reader names the element and line."""


_AMOUNT = re.compile(r"([+-]?)(\d*)(?:([.,])(\d*))?", re.ASCII)
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*(?!\1)[.,]\d+", re.ASCII)
_DATE = re.compile(
    r"(\d{4})(\d\d)(\d\d)(?:\d{0,6}(?:\.\d{1,3})?)?\s*(?:\[[^\]]*\])?", re.ASCII
)


def parse_amount(text: str, currency: str) -> Decimal:
    """``-12.50`` (or ``-12,50``, or grouped ``1.530,00`` / ``1,530.00``) in ``currency``."""
    raw = text.strip()
    places = _places(currency)
    plain = _plain_amount(places)
    if plain is not None and plain(raw):  # [-]digits.digits, exactly the currency's decimals
        if raw[0] != "-" or raw.strip("-0."):
            return Decimal(raw)
        return Decimal(raw[1:])  # -0.00 is 0.00
    sign = raw[:1] if raw[:1] in ("+", "-") else ""
    whole, mark, fraction = raw[len(sign) :].partition(".")
    digits = whole + fraction
    if (  # the common case: [sign]digits.digits, no more decimals than the currency has
        mark
        and whole
        and len(fraction) <= places
        and digits.isdigit()
        and digits.isascii()
        and len(whole.lstrip("0")) <= MAX_AMOUNT_DIGITS
    ):
        if sign == "+" or not digits.strip("0"):  # +5 is 5, -0.00 is 0.00
            sign = ""
        elif places and len(fraction) == places:  # the text is already the exact amount
            return Decimal(raw)
        return Decimal(f"{sign}{whole}.{fraction.ljust(places, '0')}" if places else sign + whole)
    return _parse_amount_strictly(raw, currency, places)


def _parse_amount_strictly(raw: str, currency: str, places: int) -> Decimal:
    grouped = _GROUPED.fullmatch(raw)
    if grouped:  # both marks: the last is the decimal mark, the other groups thousands
        raw = raw.replace(grouped.group(1), "")
    match = _AMOUNT.fullmatch(raw)
    if match is None or not (match.group(2) or match.group(4)):
        raise OfxValueError(f"not an amount: {raw!r}")
    sign, whole, mark, fraction = match.groups()
    fraction = fraction or ""
    if (mark == "," and len(fraction) > max(places, 2)) or (len(fraction) == 3 and places < 3):
        raise OfxValueError(f"ambiguous amount {raw!r}: '{mark}' then {len(fraction)} digits")
    if len(whole.lstrip("0")) > MAX_AMOUNT_DIGITS or len(fraction) > MAX_AMOUNT_DIGITS:
        raise OfxValueError(f"amount {raw!r} has too many digits")
    value = Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")
    try:
        return quantize_exact(value if value else abs(value), currency)  # -0 is 0
    except AmountError as exc:
        raise OfxValueError(str(exc)) from exc


@cache
def _plain_amount(places: int) -> Callable[[str], re.Match[str] | None] | None:
    """A full match of the most common amount: an optional ``-``, at most
    ``MAX_AMOUNT_DIGITS`` digits after leading zeros, the mark ``.`` and ``places`` decimals."""
    if not places:
        return None
    return re.compile(rf"-?0*\d{{1,{MAX_AMOUNT_DIGITS}}}\.\d{{{places}}}", re.ASCII).fullmatch


@cache
def _places(currency: str) -> int:
    try:
        return minor_units(currency)
    except AmountError as exc:
        raise OfxValueError(str(exc)) from exc


def parse_date(text: str) -> date | None:
    """An OFX date-time as its calendar date; ``None`` for the all-zero "no date"."""
    return _date(text.strip())


@lru_cache(maxsize=4096)
def _date(raw: str) -> date | None:
    """Cached: a statement repeats a few dates (and times) over thousands of lines."""
    match = _DATE.fullmatch(raw)
    if match is None:
        raise OfxValueError(f"not an OFX date: {raw!r}")
    year, month, day = (int(group) for group in match.groups())
    if year == month == day == 0:
        return None
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise OfxValueError(f"not a calendar date: {raw!r}") from exc


def text_value(raw: str) -> str:
    """Element text: whitespace collapsed, character and entity references decoded."""
    value = raw.strip()
    # Fast path: no run of spaces and no other whitespace left (every whitespace
    # character but the ASCII space is unprintable), so splitting and joining changes nothing.
    if not value.isprintable() or "  " in value:
        value = " ".join(value.split())
    if "&" in value:
        value = html.unescape(value)
    return value
