"""Money: exact ``Decimal`` amounts in a currency's minor units (EUR 2, JPY 0, BHD 3).

Amounts are read from their exact text, never through ``float``; in the database they are
integer minor units. ``NaN``, infinities, exponents and more digits than the currency has
are refused rather than rounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not 2. Everything else has 2.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}

# Amounts above this many digits before the point are refused (no bank moves 10^15).
MAX_INTEGER_DIGITS = 15

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+)(?:\.(\d*))?$|^[+-]?\.(\d+)$")


class AmountError(ValueError):
    """Text that is not an exact amount in the currency (the reader turns it into an InputError)."""


def minor_units(currency: str) -> int:
    """How many decimals the currency has (ISO 4217)."""
    if not _CURRENCY.match(currency):
        raise AmountError(f"not an ISO 4217 currency code: {currency!r}")
    return _MINOR_UNITS.get(currency, 2)


def parse_amount(text: str, currency: str | None = None) -> Decimal:
    """Read ``text`` (``"1234.56"``, ``"-0.5"``) as an exact Decimal.

    Only plain decimal notation with a point is accepted; locale formats are the
    business of ``parse_locale_amount``. With ``currency``, more decimals than the
    currency has (other than trailing zeros) are refused.
    """
    raw = text.strip()
    match = _PLAIN_DECIMAL.match(raw)
    if not match:
        raise AmountError(f"not a decimal amount: {text!r}")
    integer = match.group(1) or ""
    if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise AmountError(f"amount too large: {text!r}")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the regex already vetted it
        raise AmountError(f"not a decimal amount: {text!r}") from exc
    if currency is not None:
        return quantize_exact(value, currency)
    return value


def parse_locale_amount(text: str) -> Decimal:
    """Read an amount written in any common locale: ``1.234,56``, ``1 234,56``, ``1,234.56``,
    ``1'234.56``, ``-12,5``, ``12.50-``, ``(12.50)``.

    The decimal separator is the last ``.`` or ``,`` followed by one to three digits... unless
    that would be a thousands group (``1,234`` or ``1.234`` with exactly three digits and no
    other separator is ambiguous and read as thousands only when the other mark also appears).
    """
    raw = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1].strip()
    if raw.endswith("-"):
        negative, raw = True, raw[:-1].strip()
    if raw.startswith(("-", "+")):
        negative, raw = raw[0] == "-", raw[1:].strip()
    raw = raw.replace(" ", "").replace("'", "").replace("’", "")
    if not raw or not re.fullmatch(r"[\d.,]+", raw):
        raise AmountError(f"not an amount: {text!r}")
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    decimal_mark = None
    if last_dot >= 0 and last_comma >= 0:
        decimal_mark = "." if last_dot > last_comma else ","
    elif last_dot >= 0 or last_comma >= 0:
        mark = "." if last_dot >= 0 else ","
        head, _, tail = raw.rpartition(mark)
        if raw.count(mark) > 1:
            decimal_mark = None  # 1.234.567 : thousands only
        elif len(tail) == 3 and head and head != "0":
            decimal_mark = (
                None  # 1,234 : read as thousands (amounts with 3 decimals use BHD-style text)
            )
        else:
            decimal_mark = mark
    if decimal_mark is None:
        digits = raw.replace(".", "").replace(",", "")
    else:
        thousands = "," if decimal_mark == "." else "."
        head, _, tail = raw.rpartition(decimal_mark)
        if decimal_mark in head:
            raise AmountError(f"not an amount: {text!r}")
        digits = head.replace(thousands, "") + "." + tail
    value = parse_amount(digits)
    return -value if negative else value


def quantize_exact(value: Decimal, currency: str) -> Decimal:
    """``value`` with the currency's decimals; refuses to drop a non-zero digit."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    quantized = value.quantize(exponent)
    if quantized != value:
        raise AmountError(f"{value} has more decimals than {currency} allows")
    return quantized


def to_minor(value: Decimal, currency: str) -> int:
    """Decimal amount -> integer minor units (``12.34 EUR`` -> ``1234``)."""
    return int(quantize_exact(value, currency).scaleb(minor_units(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    """Integer minor units -> Decimal amount with the currency's decimals."""
    places = minor_units(currency)
    return (Decimal(units).scaleb(-places)).quantize(Decimal(1).scaleb(-places))


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Arithmetic across currencies is refused."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", quantize_exact(self.amount, self.currency))

    @classmethod
    def of(cls, text: str, currency: str) -> Money:
        return cls(parse_amount(text), currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        return cls(from_minor(units, currency), currency)

    @property
    def minor(self) -> int:
        return to_minor(self.amount, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise AmountError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
