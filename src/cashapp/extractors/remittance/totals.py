"""The checks every remittance reader runs before handing a remittance on.

The lines must add up to the total (each line's ``paid``, else gross - discount - deduction,
deductions included) and each line must add up on its own. A mismatch is recorded as a
defect and makes the remittance untrusted; nothing is silently fixed.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from cashapp.domain.money import AmountError, quantize_exact
from cashapp.domain.remittances import Remittance, RemittanceLine


def line_defects(index: int, line: RemittanceLine) -> list[str]:
    """What does not add up within one line (``index`` counts from 1)."""
    if line.gross is None or line.paid is None:
        return []
    expected = line.gross - (line.discount or Decimal(0)) - (line.deduction or Decimal(0))
    if expected != line.paid:
        return [
            f"line {index} ({line.reference}): gross {line.gross} - discount "
            f"{line.discount or 0} - deduction {line.deduction or 0} = {expected}, "
            f"but paid is {line.paid}"
        ]
    return []


def total_defects(remittance: Remittance) -> list[str]:
    """Does the sum of the lines equal the total? Silent when there is no total or no lines."""
    if remittance.total is None or not remittance.lines:
        return []
    contributions = [line.contribution() for line in remittance.lines]
    if any(value is None for value in contributions):
        return ["a line has no amount: the total cannot be checked"]
    summed = sum((value for value in contributions if value is not None), Decimal(0))
    if summed != remittance.total:
        return [f"lines add up to {summed}, the total is {remittance.total}"]
    return []


def _scaled(value: Decimal | None, currency: str, defects: list[str], where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return quantize_exact(value, currency)
    except AmountError:
        defects.append(f"{where}: {value} has more decimals than {currency} allows")
        return value


def in_currency_scale(remittance: Remittance, defects: list[str]) -> Remittance:
    """Every amount with the currency's decimals (``18200`` USD -> ``18200.00``), exactly."""
    currency = remittance.currency
    if currency is None:
        return remittance
    try:
        quantize_exact(Decimal(0), currency)
    except AmountError:
        defects.append(f"not an ISO 4217 currency: {currency!r}")
        return remittance
    lines = []
    for index, line in enumerate(remittance.lines, start=1):

        def scale(value: Decimal | None, field: str, index: int = index) -> Decimal | None:
            return _scaled(value, currency, defects, f"line {index} {field}")

        lines.append(
            dataclasses.replace(
                line,
                gross=scale(line.gross, "gross"),
                discount=scale(line.discount, "discount"),
                deduction=scale(line.deduction, "deduction"),
                paid=scale(line.paid, "paid"),
            )
        )
    total = _scaled(remittance.total, currency, defects, "total")
    return dataclasses.replace(remittance, lines=tuple(lines), total=total)


def checked(remittance: Remittance, *, extra_defects: tuple[str, ...] = ()) -> Remittance:
    """``remittance`` with the line and total checks recorded; untrusted when any defect."""
    defects = list(remittance.defects) + list(extra_defects)
    remittance = in_currency_scale(remittance, defects)
    for index, line in enumerate(remittance.lines, start=1):
        defects.extend(line_defects(index, line))
    defects.extend(total_defects(remittance))
    unique = tuple(dict.fromkeys(defects))  # checked twice (attachment, then email): once each
    trusted = remittance.trusted and not unique
    return dataclasses.replace(remittance, defects=unique, trusted=trusted)
