"""ANSI X12 820 (Payment Order / Remittance Advice): one remittance per ST/SE transaction set.

Separators come from the ISA header: the element separator is the 4th character, the
component separator follows the 16th element separator and the segment terminator follows
that (a newline terminator is fine; indentation and trailing blanks are ignored).

- ``BPR02`` payment total, ``BPR09`` the payer's account, ``BPR16`` the effective date
  (else a header ``DTM``); ``CUR02`` the currency (X12 is a US standard: USD when absent).
- ``TRN02`` the trace number (the payment identifier), ``N1*PR`` the payer.
- ``RMR`` one document line: RMR01 qualifier, RMR02 reference, RMR04 paid, RMR05 gross
  (invoice amount), RMR06 discount taken, RMR07/RMR08 an adjustment code and amount.
- ``ADX`` an adjustment: ADX01 amount (negative reduces the payment), ADX02 reason code
  (X12 element 426, mapped by ``reason_from_x12``), ADX03/ADX04 a reference. Inside an RMR
  loop it adjusts that document; before any RMR of its ENT loop it is a line of its own.
- ``NTE`` and ``REF*UQ`` text following an adjustment become its reason text.

Amounts that are not decimals (template files) are recorded as defects, not guessed.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal

from cashapp.core.errors import RemittanceParseError
from cashapp.domain.money import AmountError, parse_amount
from cashapp.domain.reasons import ReasonCode, reason_from_x12
from cashapp.domain.remittances import Remittance, RemittanceFile, RemittanceLine
from cashapp.extractors.remittance.totals import checked

name = "x12.820"

_REASON_TEXT = {
    "01": "Pricing Error",
    "02": "Allowance/Charge Error",
    "04": "Item Not Accepted - Damaged",
    "05": "Item Not Accepted - Quality",
    "06": "Quantity Contested",
    "07": "Incorrect Product",
    "11": "Returns - Damage",
    "19": "Duplicate Billing",
    "22": "Weight Error",
    "24": "Incorrect Discount",
    "43": "Missing Discount",
    "52": "Credit for Previous Overpayment",
    "53": "Remittance for Previous Underpayment",
    "54": "Freight Deducted",
    "55": "Tax Deducted",
}
_HEADER_DATE_QUALIFIERS = ("097", "007", "009", "020", "234")


def _lstrip_head(head: bytes) -> bytes:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")


def identify(head: bytes) -> bool:
    """An interchange (``ISA``) holding a transaction set 820."""
    stripped = _lstrip_head(head)
    if not stripped.startswith(b"ISA") or len(stripped) < 4:
        return False
    sep = stripped[3:4]
    return re.search(rb"ST" + re.escape(sep) + rb"820", stripped) is not None


@dataclasses.dataclass
class _Segment:
    number: int  # 1-based position in the interchange
    tag: str
    elements: list[str]

    def get(self, index: int) -> str:
        """Element ``index`` (1-based, as in ``BPR02``) or ``""``."""
        return self.elements[index] if index < len(self.elements) else ""


def _segments(data: bytes, source: str) -> list[_Segment]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = text.lstrip(" \t\r\n\ufeff")
    if not text.startswith("ISA") or len(text) < 4:
        raise RemittanceParseError("not an X12 interchange (no ISA header)", file=source, line=1)
    element_sep = text[3]
    seen = 0
    terminator = None
    for position, char in enumerate(text):
        if char == element_sep:
            seen += 1
            if seen == 16:
                if position + 2 >= len(text):
                    break
                terminator = text[position + 2]
                break
    if terminator is None:
        raise RemittanceParseError("ISA header is truncated", file=source, element="ISA")
    raw_segments = re.split(r"[\r\n]+", text) if terminator in "\r\n" else text.split(terminator)
    segments: list[_Segment] = []
    for raw in raw_segments:
        stripped = raw.strip()
        if not stripped:
            continue
        elements = [e.strip() for e in stripped.split(element_sep)]
        segments.append(_Segment(len(segments) + 1, elements[0].upper(), elements))
    return segments


def _x12_date(text: str) -> date | None:
    digits = text.strip()
    try:
        if re.fullmatch(r"\d{8}", digits):
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        if re.fullmatch(r"\d{6}", digits):
            year = int(digits[:2])
            return date(
                2000 + year if year < 50 else 1900 + year, int(digits[2:4]), int(digits[4:])
            )
    except ValueError:
        return None
    return None


class _Builder:
    """Collects one ST/SE transaction set."""

    def __init__(self, source: str, start: _Segment) -> None:
        self.source = source
        self.start = start
        self.defects: list[str] = []
        self.total: Decimal | None = None
        self.payer: str | None = None
        self.account: str | None = None
        self.trace: str | None = None
        self.currency = "USD"
        self.bpr_date: date | None = None
        self.header_date: date | None = None
        self.lines: list[RemittanceLine] = []
        self.rmr_open = False  # an RMR of the current ENT loop is open (ADX/NTE attach to it)
        self.last_adjusted: int | None = None  # line whose reason text NTE / REF*UQ extends
        self.in_entity = False
        self.n1_qualifier = ""

    def amount(self, segment: _Segment, index: int) -> Decimal | None:
        text = segment.get(index)
        if not text:
            return None
        try:
            return parse_amount(text)
        except AmountError:
            self.defects.append(
                f"segment {segment.number} {segment.tag}{index:02d}: not an amount: {text!r}"
            )
            return None

    def take(self, segment: _Segment) -> None:
        handler = getattr(self, f"_on_{segment.tag.lower()}", None)
        if handler is not None:
            handler(segment)

    def _on_bpr(self, segment: _Segment) -> None:
        self.total = self.amount(segment, 2)
        if segment.get(9):
            self.account = segment.get(9)
        self.bpr_date = _x12_date(segment.get(16))

    def _on_trn(self, segment: _Segment) -> None:
        self.trace = segment.get(2) or None

    def _on_cur(self, segment: _Segment) -> None:
        if re.fullmatch(r"[A-Z]{3}", segment.get(2)):
            self.currency = segment.get(2)

    def _on_dtm(self, segment: _Segment) -> None:
        if not self.in_entity and segment.get(1) in _HEADER_DATE_QUALIFIERS:
            self.header_date = self.header_date or _x12_date(segment.get(2))

    def _on_n1(self, segment: _Segment) -> None:
        self.n1_qualifier = segment.get(1)
        if self.n1_qualifier == "PR" and segment.get(2):
            self.payer = segment.get(2)

    def _on_ent(self, segment: _Segment) -> None:
        self.in_entity = True
        self.rmr_open = False
        self.last_adjusted = None

    def _on_rmr(self, segment: _Segment) -> None:
        deduction = None
        reason_code = None
        reason_text = None
        adjustment = self.amount(segment, 8)
        if adjustment:
            deduction = -adjustment
            reason_code, reason_text = _reason(segment.get(7))
        self.lines.append(
            RemittanceLine(
                reference=segment.get(2),
                document_type=segment.get(1) or None,
                paid=self.amount(segment, 4),
                gross=self.amount(segment, 5),
                discount=self.amount(segment, 6),
                deduction=deduction,
                reason_code=reason_code,
                reason_text=reason_text,
            )
        )
        self.rmr_open = True
        self.last_adjusted = len(self.lines) - 1 if deduction is not None else None

    def _on_adx(self, segment: _Segment) -> None:
        amount = self.amount(segment, 1)
        if amount is None:
            return
        reason_code, reason_text = _reason(segment.get(2))
        if self.rmr_open and self.lines:
            line = self.lines[-1]
            deduction = (line.deduction or Decimal(0)) - amount
            self.lines[-1] = dataclasses.replace(
                line,
                deduction=deduction,
                reason_code=line.reason_code or reason_code,
                reason_text=_join(line.reason_text, reason_text),
            )
        else:
            self.lines.append(
                RemittanceLine(
                    reference=segment.get(4),
                    document_type="ADX",
                    deduction=-amount,
                    paid=amount,
                    reason_code=reason_code,
                    reason_text=reason_text,
                )
            )
        self.last_adjusted = len(self.lines) - 1

    def _on_nte(self, segment: _Segment) -> None:
        self._add_text(segment.get(2))

    def _on_ref(self, segment: _Segment) -> None:
        if segment.get(1) == "UQ":
            self._add_text(segment.get(2))

    def _add_text(self, text: str) -> None:
        if self.last_adjusted is None or not text:
            return
        line = self.lines[self.last_adjusted]
        self.lines[self.last_adjusted] = dataclasses.replace(
            line, reason_text=_join(line.reason_text, text)
        )

    def build(self) -> Remittance:
        remittance = Remittance(
            format=name,
            payer=self.payer,
            payer_account=self.account,
            payment_id=self.trace,
            date=self.bpr_date or self.header_date,
            currency=self.currency,
            total=self.total,
            lines=tuple(self.lines),
            source=f"ST {self.start.get(2)}".strip(),
        )
        return checked(remittance, extra_defects=tuple(self.defects))


def _reason(code: str) -> tuple[ReasonCode | None, str | None]:
    if not code:
        return None, None
    mapped = reason_from_x12(code) or ReasonCode.OTHER
    described = _REASON_TEXT.get(code)
    return mapped, f"{code} {described}" if described else code


def _join(first: str | None, second: str | None) -> str | None:
    if first and second:
        return f"{first}; {second}"
    return first or second


def extract(data: bytes, *, source: str) -> RemittanceFile:
    """Every 820 transaction set of the interchange, as canonical remittances."""
    remittances: list[Remittance] = []
    builder: _Builder | None = None
    for segment in _segments(data, source):
        if segment.tag == "ST":
            if builder is not None:
                raise RemittanceParseError(
                    "ST before the previous transaction set ended (no SE)",
                    file=source,
                    element=f"segment {segment.number} ST",
                )
            if segment.get(1) != "820":
                raise RemittanceParseError(
                    f"transaction set {segment.get(1)!r} is not an 820",
                    file=source,
                    element=f"segment {segment.number} ST01",
                )
            builder = _Builder(source, segment)
        elif segment.tag == "SE":
            if builder is None:
                raise RemittanceParseError(
                    "SE without ST", file=source, element=f"segment {segment.number} SE"
                )
            remittances.append(builder.build())
            builder = None
        elif builder is not None:
            builder.take(segment)
    if builder is not None:
        raise RemittanceParseError(
            "transaction set not closed (no SE): truncated file?", file=source, element="SE"
        )
    if not remittances:
        raise RemittanceParseError("no 820 transaction set (ST*820)", file=source, element="ST")
    return RemittanceFile(format=name, remittances=remittances)
