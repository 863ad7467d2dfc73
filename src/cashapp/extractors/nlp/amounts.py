"""Amounts written in remittance text (``1.234,56``, ``1 234,56``, ``1,234.56``, ``EUR 12,50``),
read exactly with ``cashapp.domain.money.parse_locale_amount``.

Only numbers with two decimals (or a currency beside them) count as amounts: a bare ``2024``
is a year or a reference, not money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from cashapp.domain.money import AmountError, parse_locale_amount

_CURRENCY = r"(?:EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|CZK|€|\$|£)"
AMOUNT = re.compile(
    r"(?<![\w.,/])(?:" + _CURRENCY + r"\s?)?(?P<num>-?(?:\d{1,3}(?:[.,' \u00a0]\d{3})+|\d+)"
    r"[.,]\d{2})(?:\s?" + _CURRENCY + r")?(?![\w]|[.,]\d)"
)
DATE = re.compile(
    r"(?<![\w.])(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})(?![\w]|[.,]\d)"
)
NEAR = 24  # characters after a reference in which its amount is looked for


@dataclass(frozen=True, slots=True)
class AmountHit:
    value: Decimal
    start: int
    end: int


def find_amounts(text: str) -> list[AmountHit]:
    hits = []
    for match in AMOUNT.finditer(text):
        try:
            value = parse_locale_amount(match.group("num"))
        except AmountError:
            continue
        hits.append(AmountHit(value, match.start(), match.end()))
    return hits


def find_dates(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in DATE.finditer(text)]


def amount_after(amounts: list[AmountHit], end: int, text: str) -> Decimal | None:
    """The first amount starting within ``NEAR`` characters after ``end`` with no letters
    other than a currency or a colon/equals between (``INV 123 1.234,56``, ``INV 123: 99,00``)."""
    for hit in amounts:
        if end <= hit.start <= end + NEAR:
            gap = text[end:hit.start]
            if re.fullmatch(r"[\s:=,;/()\-]*(?:" + _CURRENCY + r")?[\s:=]*", gap, re.I):
                return hit.value
    return None
