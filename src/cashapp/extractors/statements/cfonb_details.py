"""CFONB120 movements: one 04 record and its 05 complements, turned into a bank line.

The 05 qualifiers (positions 46-48) read here, per the CFONB "Evolutions du relevé de compte
120 caractères" (2007) and what banks send:

=====  =================================================================================
LIB    libellé complémentaire (free text, appended to the 04 libellé)
NPY    nom du payeur (debtor name)          NBE  nom du bénéficiaire (creditor name)
NPO    nom du tiers débiteur (ultimate debtor) NBU nom du tiers créancier (ultimate creditor)
IPY    identifiant du payeur (35) + type    IBE  identifiant du bénéficiaire (35) + type
RCN    référence client / end-to-end (35) + nature (purpose, 35)
REF    référence de l'opération attribuée par la banque (the line's ``bank_ref``)
LCC    libellé client (remittance information, first 70) LC2 its continuation (next 70)
LCS    libellé structuré (a structured creditor reference, 36)
MMO    montant d'origine: devise (3), décimales (1), montant (14) — the instructed amount
FEE    frais: devise (3), décimales (1), montant (14) — the charges
RUM    référence unique du mandat (SEPA direct debit mandate)
=====  =================================================================================

Any other qualifier is kept in ``extra`` under ``05_<qualifier>`` so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from cashapp.domain.statements import BankLine
from cashapp.extractors.statements.cfonb_records import (
    FieldError,
    Record,
    record_date,
    signed_amount,
    unsigned_amount,
)
from cashapp.extractors.statements.fixed_width import is_digits, squeeze

_APPEND_TEXT = {"LIB", "NPY", "NBE", "NPO", "NBU", "IPY", "IBE", "RCN", "REF", "LCC", "LC2"}


@dataclass(slots=True)
class Movement:
    """A 04 record being completed by its 05 records."""

    record: Record
    amount: Decimal
    currency: str
    texts: dict[str, list[str]] = field(default_factory=dict)
    instructed_amount: Decimal | None = None
    instructed_currency: str | None = None
    charges: Decimal | None = None
    structured: list[str] = field(default_factory=list)
    complements: int = 0  # 05 records read

    @classmethod
    def from_record(cls, record: Record, currency: str, decimals: int) -> Movement:
        amount = signed_amount(record.text[90:104], decimals, currency)
        record_date(record.text[42:48], "date de valeur")
        return cls(record=record, amount=amount, currency=currency)

    def add_text(self, text: str) -> None:
        """Apply one 05 record (its 120 characters)."""
        self.complements += 1
        qualifier = text[45:48]
        info = text[48:118]
        if not qualifier.strip():
            qualifier = "LIB"  # banks that leave the qualifier blank send free text
        if qualifier == "MMO":
            self.instructed_currency, self.instructed_amount = _currency_amount(info, "MMO")
        elif qualifier == "FEE":
            _, self.charges = _currency_amount(info, "FEE")
        elif qualifier == "LCS":
            reference = info[:36].strip()
            if reference:
                self.structured.append(reference)
        else:
            self.texts.setdefault(qualifier, []).append(info)

    def _text(self, qualifier: str, width: int | None = None) -> str | None:
        parts = self.texts.get(qualifier)
        if not parts:
            return None
        pieces = [p[:width] if width else p for p in parts]
        joined = squeeze(" ".join(pieces))
        return joined or None

    def to_line(self, *, entry: int, fallback_ref: str, strict: bool) -> BankLine:
        """The bank line; ``fallback_ref`` is used when the bank gives no reference."""
        text = self.record.text
        credit = self.amount > 0
        debtor, creditor = self._text("NPY"), self._text("NBE")
        ultimate = self._text("NPO") if credit else self._text("NBU")
        reference_zone = text[104:120].strip()
        bank_ref = self._text("REF") or reference_zone or fallback_ref
        remittance = [text[48:79]]
        remittance.extend(self.texts.get("LIB", []))
        lcc = "".join(self.texts.get("LCC", []) + self.texts.get("LC2", []))
        if lcc.strip():
            remittance.append(lcc)
        rcn = self.texts.get("RCN", [])
        end_to_end = squeeze(rcn[0][:35]) if rcn else ""
        extra = self._extra(text, strict=strict)
        if rcn and rcn[0][35:].strip():
            extra["purpose"] = squeeze(rcn[0][35:])
        return BankLine(
            bank_ref=bank_ref,
            entry=entry,
            amount=self.amount,
            currency=self.currency,
            booking_date=self.record.date,
            value_date=record_date(text[42:48], "date de valeur"),
            reversal=bool(text[40:42].strip()),  # a motif de rejet: the return of an operation
            counterparty_name=(debtor if credit else creditor) or debtor or creditor,
            ultimate_party=ultimate,
            end_to_end_id=end_to_end or None,
            mandate_id=self._text("RUM"),
            remittance_text=squeeze(" ".join(remittance)),
            structured_references=tuple(self.structured),
            bank_transaction_code=self.record.interbank_code or None,
            instructed_amount=self.instructed_amount,
            instructed_currency=self.instructed_currency,
            charges=self.charges,
            extra=extra,
        )

    def _extra(self, text: str, *, strict: bool) -> dict[str, str]:
        extra: dict[str, str] = {}
        if self.record.internal_code:
            extra["internal_code"] = self.record.internal_code
        if text[40:42].strip():
            extra["reject_code"] = text[40:42].strip()
        entry_number = text[81:88]
        if entry_number.strip():
            if not is_digits(entry_number):
                raise FieldError("numéro d'écriture", f"not digits: {entry_number!r}")
            if entry_number.strip("0"):
                extra["entry_number"] = entry_number
        elif strict:
            raise FieldError("numéro d'écriture", "entry number is blank")
        if text[88] not in " 0":
            extra["commission_exemption"] = text[88]
        if text[89] not in " 0":
            extra["unavailability"] = text[89]
        for qualifier in ("IPY", "IBE"):
            parts = self.texts.get(qualifier)
            if parts:
                extra[f"{qualifier.lower()}"] = squeeze(parts[0][:35])
                if parts[0][35:].strip():
                    extra[f"{qualifier.lower()}_type"] = squeeze(parts[0][35:])
        for qualifier, parts in self.texts.items():
            if qualifier not in _APPEND_TEXT and qualifier != "RUM":
                extra[f"05_{qualifier}"] = squeeze(" ".join(parts))
        return extra


def _currency_amount(info: str, qualifier: str) -> tuple[str, Decimal]:
    currency = info[0:3]
    if not (currency.isascii() and currency.isalpha() and currency.isupper()):
        raise FieldError(qualifier, f"not a currency code: {currency!r}")
    if not is_digits(info[3]):
        raise FieldError(qualifier, f"not a number of decimals: {info[3]!r}")
    return currency, unsigned_amount(info[4:18], int(info[3]), currency, qualifier)
