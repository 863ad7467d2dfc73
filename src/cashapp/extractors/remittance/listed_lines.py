"""Invoices listed in running text without a table header: ``INV-2025-0001: 1.234,56 EUR``.

A fallback for email bodies: only lines made of one document reference (letters then
digits, as invoice numbers are written) and one amount, nothing else, are taken. Such a
remittance is marked untrusted ("read from a list without a table header"): it can
suggest a match, never authorise one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cashapp.domain.money import AmountError
from cashapp.domain.remittances import Remittance, RemittanceLine
from cashapp.extractors.remittance.advice_rows import AdviceFacts, labels_only
from cashapp.extractors.remittance.amount_columns import amount_cell, is_total_label

# an amount with its decimals (a bare integer is too often a phone number or a postcode)
_NUMBER = r"-?(?:\d{1,3}(?:[.,'\u00a0\u202f ]\d{3})+|\d+)[.,]\d{2}"
_CURRENCY = r"(?:[A-Z]{3}|[€$£])"
_LISTED = re.compile(
    r"^\W{0,3}(?P<ref>[A-Za-z]{1,6}[-/.]?\d[\w\-/.]{1,24})\s*[:=\-–]?\s+"
    rf"(?P<amount>(?:{_CURRENCY}\s?)?{_NUMBER}(?:\s?{_CURRENCY})?)\.?$"
)
LISTED_DEFECT = "lines read from a list without a table header"


def listed_remittance(lines: Sequence[str], *, format: str, where: str | None) -> Remittance | None:
    """The listed invoices of some text, or ``None`` when fewer than one line qualifies."""
    found: list[RemittanceLine] = []
    facts = labels_only([[line] for line in lines])
    currency = None
    for text in lines:
        match = _LISTED.match(text.strip())
        if not match or is_total_label(match.group("ref")):
            continue
        try:
            amount, written_currency = amount_cell(match.group("amount"))
        except AmountError:
            continue
        if amount is None:
            continue
        currency = currency or written_currency
        found.append(RemittanceLine(reference=match.group("ref"), paid=amount))
    if not found:
        return None
    return _remittance(found, facts, currency, format=format, where=where)


def _remittance(
    lines: list[RemittanceLine],
    facts: AdviceFacts,
    currency: str | None,
    *,
    format: str,
    where: str | None,
) -> Remittance:
    return Remittance(
        format=format,
        payer=facts.payer,
        payer_account=facts.account,
        payment_id=facts.payment_id,
        date=facts.date,
        currency=facts.currency or currency,
        total=facts.total,
        lines=tuple(lines),
        trusted=False,
        defects=(LISTED_DEFECT,),
        source=where,
    )
