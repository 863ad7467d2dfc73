"""Amounts written in remittance text (``1.234,56``, ``1 234,56``, ``1,234.56``, ``EUR 12,50``),
read exactly with ``cashapp.domain.money.parse_locale_amount``; and the dates and IBANs that
must not be read as references.

Only numbers with two decimals (or a currency beside them) count as amounts: a bare ``2024``
is a year or a reference, not money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from stdnum import iban

from cashapp.domain.money import AmountError, parse_locale_amount

_CURRENCY = r"(?:EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|CZK|€|\$|£)"
AMOUNT = re.compile(
    r"(?<![\w.,/])(?:" + _CURRENCY + r"\s?)?(?P<num>-?(?:[1-9]\d{0,2}(?:[.,' \u00a0]\d{3})+|\d+)"
    r"[.,]\d{2})(?:\s?" + _CURRENCY + r")?(?![\w]|[.,]\d)"
)
DATE = re.compile(
    r"(?<![\w.])(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})(?![\w]|[.,]\d)"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
NEAR = 24  # characters after a reference in which its amount is looked for
_GAP = re.compile(r"[\s:=,;/()\-]*(?:" + _CURRENCY + r")?[\s:=]*", re.I)


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


def find_ibans(text: str) -> list[tuple[int, int]]:
    """Spans of valid IBANs (an account, never a reference), also when printed in groups."""
    spans = []
    for match in _IBAN.finditer(text):
        raw = match.group(0)
        compact = raw.replace(" ", "")
        # the longest prefix at a group boundary that is a valid IBAN
        for cut in range(len(raw), 14, -1):
            if cut < len(raw) and raw[cut] != " ":
                continue
            if iban.is_valid(raw[:cut].replace(" ", "")):
                spans.append((match.start(), match.start() + cut))
                break
        else:
            if len(compact) >= 15 and iban.is_valid(compact):
                spans.append((match.start(), match.end()))
    return spans


def amount_after(amounts: list[AmountHit], end: int, text: str) -> Decimal | None:
    """The first amount starting within ``NEAR`` characters after ``end`` with no letters
    other than a currency or a colon/equals between (``INV 123 1.234,56``, ``INV 123: 99,00``)."""
    for hit in amounts:
        if end <= hit.start <= end + NEAR and _GAP.fullmatch(text, end, hit.start):
            return hit.value
    return None
