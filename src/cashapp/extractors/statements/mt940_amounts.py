"""Amounts an MT940 line states besides the booked one: the instructed (original) amount and
the charges, as banks write them.

- SWIFT style, in the ``:61:`` supplementary details or the ``:86:`` (Commerzbank, Deutsche
  Bank, HSBC, ING...): ``/OCMT/EUR500,00/`` the original ordered amount, ``/CHGS/EUR25,00/``
  the charges taken.
- German DK ``:86:`` SEPA keys: ``OAMT+500,00`` the original amount (in the account's
  currency). ``COAM+`` (compensation amount, on returns) is not charges the payer bore and
  stays in ``extra``.

Charges are only ever what the bank states (``/CHGS/``), never derived from a difference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_SWIFT_AMOUNT = re.compile(r"/(OCMT|CHGS)/([A-Z]{3})(\d{1,15}(?:,\d*)?)(?![\d,])")
_SOURCES = frozenset({"supplementary_details", "ocmt", "chgs", "sepa_oamt"})
_PLAIN_AMOUNT = re.compile(r"\s*([A-Z]{3})?\s*(\d{1,15}(?:,\d*)?)\s*")


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", ".").rstrip(".") or "0")


def stated_amounts(extra: Mapping[str, str], currency: str) -> dict[str, Any]:
    """``instructed_amount``/``instructed_currency`` and ``charges`` (``BankLine`` keyword
    arguments) from a line's ``extra`` as the MT940 reader fills it; empty when unstated.
    Charges in another currency than the account's are left in ``extra``."""
    if not _SOURCES.intersection(extra):  # most lines: nothing to read (kept cheap)
        return {}
    found: dict[str, tuple[str, Decimal]] = {}
    for source in (extra.get("supplementary_details", ""),
                   "".join(f"/{key.upper()}/{extra[key]}/" for key in ("ocmt", "chgs")
                           if key in extra)):
        for key, code, amount in _SWIFT_AMOUNT.findall(source):
            found.setdefault(key, (code, _decimal(amount)))
    original = _PLAIN_AMOUNT.fullmatch(extra.get("sepa_oamt", ""))
    if original and "OCMT" not in found:
        found["OCMT"] = (original.group(1) or currency, _decimal(original.group(2)))
    facts: dict[str, Any] = {}
    if "OCMT" in found:
        facts["instructed_currency"], facts["instructed_amount"] = found["OCMT"]
    if "CHGS" in found and found["CHGS"][0] == currency:
        facts["charges"] = found["CHGS"][1]
    return facts
