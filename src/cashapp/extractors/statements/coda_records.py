"""CODA (Febelfin "Coded statement of account", versions 1 and 2): the 128-character records.

Positions are those of the Febelfin standard (1-based in comments, 0-based slices in code):

- ``0`` header: 6-11 creation date, 128 version code (1 or 2).
- ``1`` old balance: 2 account structure (0 Belgian BBAN, 1 foreign BBAN, 2 Belgian IBAN,
  3 foreign IBAN), 3-5 paper statement number, 6-42 account and currency, 43 sign
  (0 credit, 1 debit), 44-58 balance (12 + 3 decimals), 59-64 date, 65-90 holder name.
- ``21`` movement: 3-6 sequence number, 7-10 detail number, 11-31 bank reference, 32 sign,
  33-47 amount, 48-53 value date, 54-61 transaction code (54 = type), 62 communication type
  (1 structured), 63-115 communication, 116-121 entry date, 125 globalisation code.
- ``22``: 11-63 communication (continued), 64-98 customer reference, 99-109 counterparty BIC,
  113 R-transaction type, 114-117 return reason, 118-121 category purpose, 122-125 purpose.
- ``23``: 11-47 counterparty account (and currency), 48-82 name, 83-125 communication (v1:
  11-22 account, 48-125 name).
- ``31`` information: 3-10 sequence/detail, 11-31 bank reference, 32-39 transaction code,
  40 communication type, 41-113 communication; ``32`` 11-115 and ``33`` 11-100 continue it.
- ``4`` free communication 33-112. ``8`` new balance: 42 sign, 43-57 balance, 58-63 date.
- ``9`` trailer: 17-22 number of records, 23-37 debit total, 38-52 credit total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cashapp.domain.money import AmountError, quantize_exact
from cashapp.extractors.statements.fixed_width import ddmmyy, is_digits

RECORD_LENGTH = 128


class FieldError(ValueError):
    """A field that cannot be read; ``field`` names it (the reader adds file and line)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def digits(text: str, name: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise FieldError(name, f"digits expected, found {text!r}")
    return int(text)


def amount(sign: str, text: str, currency: str, name: str) -> Decimal:
    """A CODA amount: sign ``0`` credit / ``1`` debit and 15 digits with 3 implied decimals."""
    if sign not in ("0", "1"):
        raise FieldError(f"{name} sign", f"sign must be 0 (credit) or 1 (debit), found {sign!r}")
    value = Decimal(digits(text, name)).scaleb(-3)
    try:
        value = quantize_exact(value, currency)
    except AmountError as exc:
        raise FieldError(name, str(exc)) from None
    return -value if sign == "1" and value else value


def when(text: str, name: str) -> date | None:
    try:
        return ddmmyy(text)
    except ValueError as exc:
        raise FieldError(name, str(exc)) from None


@dataclass(frozen=True, slots=True)
class OldBalance:
    line: int
    account: str
    currency: str
    balance: Decimal
    date: date | None
    paper_sequence: str
    holder: str


def old_balance(text: str, line: int, version: str) -> OldBalance:
    structure = text[1]
    if version == "1" or structure == "0":
        account, currency = text[5:17], text[18:21]
    elif structure == "2":
        account, currency = text[5:21], text[39:42]
    elif structure in ("1", "3"):
        account, currency = text[5:39], text[39:42]
    else:
        raise FieldError("account structure", f"unknown account structure {structure!r}")
    currency = currency.strip() or "EUR"
    if not (currency.isascii() and currency.isalpha() and currency.isupper()):
        raise FieldError("currency", f"not a currency code: {currency!r}")
    return OldBalance(
        line=line,
        account=account.strip(),
        currency=currency,
        balance=amount(text[42], text[43:58], currency, "old balance"),
        date=when(text[58:64], "old balance date"),
        paper_sequence=text[2:5],
        holder=text[64:90].strip(),
    )


@dataclass(slots=True)
class Movement:
    """A 2.1 record with what its 2.2, 2.3 and information records add."""

    line: int
    sequence: str
    detail: str
    bank_ref: str
    amount: Decimal
    value_date: date | None
    entry_date: date | None
    code: str
    structured: bool
    communication: str
    globalisation: int
    customer_ref: str = ""
    bic: str = ""
    counterparty_account: str = ""
    counterparty_name: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    information: list[str] = field(default_factory=list)

    @property
    def type(self) -> str:
        """Transaction type (position 54): 0 simple, 1/2 globalised total, 3 with details,
        5/6/7 details of a globalisation, 8/9 informative details."""
        return self.code[0]


def movement(text: str, line: int, currency: str) -> Movement:
    return Movement(
        line=line,
        sequence=text[2:6],
        detail=text[6:10],
        bank_ref=text[10:31].strip(),
        amount=amount(text[31], text[32:47], currency, "amount"),
        value_date=when(text[47:53], "value date"),
        entry_date=when(text[115:121], "entry date"),
        code=_code(text[53:61]),
        structured=_comm_type(text[61]),
        communication=text[62:115],
        globalisation=digits(text[124], "globalisation code"),
    )


def add_22(target: Movement, text: str) -> None:
    target.communication += text[10:63]
    target.customer_ref = text[63:98].strip()
    target.bic = text[98:109].strip()
    for key, piece in (
        ("r_transaction", text[112]),
        ("return_reason", text[113:117]),
        ("category_purpose", text[117:121]),
        ("purpose", text[121:125]),
    ):
        if piece.strip():
            target.extra[key] = piece.strip()


def add_23(target: Movement, text: str, version: str) -> None:
    if version == "1":
        target.counterparty_account = text[10:22].strip()
        target.counterparty_name = " ".join(text[47:125].split())
        return
    if text[22] == " " and is_digits(text[10:22].strip()):  # Belgian BBAN, then currency
        target.counterparty_account = text[10:22].strip()
    else:
        target.counterparty_account = text[10:44].strip()
    target.counterparty_name = " ".join(text[47:82].split())
    target.communication += text[82:125]


def _code(text: str) -> str:
    digits(text, "transaction code")
    return text


def _comm_type(flag: str) -> bool:
    if flag not in ("0", "1"):
        raise FieldError("communication type", f"must be 0 or 1, found {flag!r}")
    return flag == "1"
