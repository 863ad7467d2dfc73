"""CFONB120 fixed-width records ("relevé de compte sur support informatique", 120 characters).

Field positions follow the CFONB specification (1-based in the comments, 0-based slices in
the code). Every record shares the account block::

    1-2 record code (01 ancien solde, 04 mouvement, 05 complément, 07 nouveau solde)
    3-7 code banque   8-11 code opération interne (04/05)   12-16 code guichet
    17-19 code devise   20 nombre de décimales   22-32 numéro de compte
    33-34 code opération interbancaire (04/05)   35-40 date (JJMMAA)

then 01/07: 91-104 solde; 04: 41-42 motif de rejet (a returned operation: ``reversal``),
43-48 date de valeur, 49-79 libellé,
82-88 numéro d'écriture, 89 indice d'exonération, 90 indice d'indisponibilité, 91-104 montant,
105-120 zone référence; 05: 46-48 qualifiant, 49-118 informations complémentaires.

Amounts are 13 digits and a signed last digit: ``{`` and ``A``..``I`` are 0..9 positive,
``}`` and ``J``..``R`` are 0..9 negative; the number of decimals is given by the record.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from cashapp.domain.money import AmountError, minor_units
from cashapp.extractors.statements.fixed_width import ddmmyy

RECORD_LENGTH = 120
RECORD_CODES = frozenset({"01", "04", "05", "07"})

_KNOWN_CURRENCIES = frozenset({"EUR", "USD", "GBP", "CHF", "JPY", "XPF"})
_DECIMALS: dict[str, int | None] = {str(d): d for d in range(10)} | {" ": None}
_EXPONENTS: dict[str, Decimal] = {}
_POSITIVE = {c: d for d, c in enumerate("{ABCDEFGHI")}
_NEGATIVE = {c: d for d, c in enumerate("}JKLMNOPQR")}


class FieldError(ValueError):
    """A field that cannot be read; ``field`` names it (the reader adds file and line)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Record(NamedTuple):
    """One 120-character record with the account block read; the rest stays as text.

    A named tuple: a file has a record per 120 bytes, and a frozen dataclass costs several
    times more to build."""

    line: int
    code: str
    bank: str
    internal_code: str
    branch: str
    currency: str
    decimals: int | None
    account: str
    interbank_code: str
    date: date | None
    text: str


def read_record(text: str, line: int, *, strict: bool) -> Record:
    """The account block of one record, checking the record code and the shared fields."""
    code = text[0:2]
    if code not in RECORD_CODES:
        raise FieldError("record code", f"unknown CFONB120 record code {code!r}")
    currency = text[16:19]
    if currency not in _KNOWN_CURRENCIES:
        currency = currency.strip()
        if currency and not (currency.isascii() and currency.isalpha() and currency.isupper()):
            raise FieldError("code devise", f"not a currency code: {text[16:19]!r}")
        if strict and not currency:
            raise FieldError("code devise", "currency code is blank")
    decimals = _DECIMALS.get(text[19], -1)
    if decimals == -1:
        raise FieldError("nombre de décimales", f"not a number of decimals: {text[19]!r}")
    if decimals is None and strict:
        raise FieldError("nombre de décimales", "number of decimals is blank")
    account = text[21:32].strip()
    if not account:
        raise FieldError("numéro de compte", "account number is blank")
    try:
        when = ddmmyy(text[34:40])
    except ValueError as exc:
        raise FieldError("date", str(exc)) from None
    if when is None and code != "05":
        raise FieldError("date", "date is missing")
    return Record(
        line=line,
        code=code,
        bank=text[2:7].strip(),
        internal_code=text[7:11].strip(),
        branch=text[11:16].strip(),
        currency=currency,
        decimals=decimals,
        account=account,
        interbank_code=text[32:34].strip(),
        date=when,
        text=text,
    )


def signed_amount(field: str, decimals: int, currency: str, name: str = "montant") -> Decimal:
    """A 14-character CFONB amount with its signed last digit, exactly."""
    digits, last = field[:-1], field[-1:]
    if not (digits.isascii() and digits.isdigit()):
        raise FieldError(name, f"amount digits expected, found {field!r}")
    if last in _POSITIVE:
        negative, unit = False, _POSITIVE[last]
    elif last in _NEGATIVE:
        negative, unit = True, _NEGATIVE[last]
    else:
        raise FieldError(name, f"last character {last!r} is not a CFONB signed digit")
    value = Decimal(int(digits) * 10 + unit).scaleb(-decimals)
    return exact(-value if negative and value else value, currency, name)


def unsigned_amount(field: str, decimals: int, currency: str, name: str) -> Decimal:
    """An amount written with plain digits (05 ``MMO``/``FEE``)."""
    digits = field.strip()
    if not (digits.isascii() and digits.isdigit()):
        raise FieldError(name, f"amount digits expected, found {field!r}")
    return exact(Decimal(int(digits)).scaleb(-decimals), currency, name)


def exact(value: Decimal, currency: str, name: str) -> Decimal:
    """``value`` in the currency's minor units, refusing to drop a non-zero digit."""
    exponent = _EXPONENTS.get(currency)
    if exponent is None:
        try:
            exponent = Decimal(1).scaleb(-minor_units(currency))
        except AmountError as exc:
            raise FieldError(name, str(exc)) from None
        _EXPONENTS[currency] = exponent  # at most 26**3 keys: codes are checked first
    quantized = value.quantize(exponent)
    if quantized != value:
        raise FieldError(name, f"{value} has more decimals than {currency} allows")
    return quantized


def record_date(text: str, name: str) -> date | None:
    try:
        return ddmmyy(text)
    except ValueError as exc:
        raise FieldError(name, str(exc)) from None
