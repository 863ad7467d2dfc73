"""Dates as people write them in remittance advices, in six languages.

ISO ``2025-11-05``; numeric ``05.11.2025``, ``05/11/2025``, ``05-11-2025`` read day first
(European practice; month first only when the first number cannot be a month, e.g.
``11/25/2025``); two-digit years are 20xx; month names in English, French, German,
Spanish, Italian and Dutch (``5 November 2025``, ``November 5, 2025``, ``5 de noviembre
de 2025``). Anything else is ``None``: a date is never guessed.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from cashapp.extractors.remittance.amount_columns import fold

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan janvier janv januar jaenner enero ene gennaio gen januari",
        "february feb fevrier fevr februar febrero febbraio februari",
        "march mar mars marz maerz marzo maart mrt",
        "april apr avril abril aprile",
        "may mai mayo maggio mei",
        "june jun juin juni junio giugno",
        "july jul juillet juil juli julio luglio lug",
        "august aug aout august agosto ago augustus",
        "september sep sept septembre septiembre settembre set",
        "october oct octobre oktober octubre ottobre ott okt",
        "november nov novembre noviembre",
        "december dec decembre dezember diciembre dic dicembre dez",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_YMD = re.compile(r"(\d{4})[./](\d{1,2})[./](\d{1,2})")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?!\d)")
_DAY_NAME = re.compile(r"(\d{1,2}) (?:de )?([a-z]+) (?:de )?(\d{4})")
_NAME_DAY = re.compile(r"([a-z]+) (\d{1,2}) (\d{4})")


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date_text(text: str | date | datetime | None) -> date | None:
    """The first date written in ``text``, or ``None``."""
    if text is None:
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    raw = text.strip()
    match = _ISO.search(raw) or _YMD.search(raw)
    if match:
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _NUMERIC.search(raw)
    if match:
        first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        year = year + 2000 if year < 100 else year
        if second > 12 >= first:
            return _make(year, first, second)
        return _make(year, second, first)
    folded = fold(raw)
    match = _DAY_NAME.search(folded)
    if match and match.group(2) in _MONTHS:
        return _make(int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)))
    match = _NAME_DAY.search(folded)
    if match and match.group(1) in _MONTHS:
        return _make(int(match.group(3)), _MONTHS[match.group(1)], int(match.group(2)))
    return None
