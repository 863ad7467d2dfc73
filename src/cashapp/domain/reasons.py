"""The canonical deduction reason codes of CONTRACT.md, and the standard codes that map to them.

Customer wording (any language) is mapped by ``extractors.nlp``; the ISO 20022
``AdjstmntAmtAndRsn/Rsn`` codes and X12 820 ``ADX`` / CARC adjustment codes map here.
"""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    """Why a customer paid less (or why a small difference was closed)."""

    DISCOUNT = "discount"
    DAMAGED = "damaged"
    PRICING = "pricing"
    SHORT_SHIPMENT = "short_shipment"
    PROMOTION = "promotion"
    FREIGHT = "freight"
    BANK_CHARGES = "bank_charges"
    TAX = "tax"
    DUPLICATE = "duplicate"
    RETURNS = "returns"
    OTHER = "other"


# ISO 20022 DocumentAdjustment reason (external code list, plus the common proprietary ones).
ISO20022_ADJUSTMENT: dict[str, ReasonCode] = {
    "DISC": ReasonCode.DISCOUNT,
    "CASHDISCOUNT": ReasonCode.DISCOUNT,
    "DAMG": ReasonCode.DAMAGED,
    "PRIC": ReasonCode.PRICING,
    "UPRC": ReasonCode.PRICING,
    "SHRT": ReasonCode.SHORT_SHIPMENT,
    "QNTY": ReasonCode.SHORT_SHIPMENT,
    "PROM": ReasonCode.PROMOTION,
    "FRGT": ReasonCode.FREIGHT,
    "CHRG": ReasonCode.BANK_CHARGES,
    "BKCH": ReasonCode.BANK_CHARGES,
    "TAXS": ReasonCode.TAX,
    "VATA": ReasonCode.TAX,
    "DUPL": ReasonCode.DUPLICATE,
    "RETN": ReasonCode.RETURNS,
    "RTRN": ReasonCode.RETURNS,
}

# X12 820 ADX02 adjustment reason codes (X12 code list 426), the frequent ones.
X12_ADJUSTMENT: dict[str, ReasonCode] = {
    "01": ReasonCode.PRICING,  # pricing error
    "03": ReasonCode.SHORT_SHIPMENT,  # quantity short
    "04": ReasonCode.PRICING,  # pricing terms
    "05": ReasonCode.DAMAGED,  # damaged goods
    "06": ReasonCode.DUPLICATE,  # duplicate billing
    "07": ReasonCode.RETURNS,  # returned goods
    "11": ReasonCode.RETURNS,  # returns, damaged
    "12": ReasonCode.SHORT_SHIPMENT,  # not received
    "19": ReasonCode.PROMOTION,  # advertising allowance
    "22": ReasonCode.PROMOTION,  # promotional allowance
    "23": ReasonCode.DISCOUNT,  # payment discount
    "24": ReasonCode.DISCOUNT,  # early payment allowance
    "59": ReasonCode.FREIGHT,  # freight deduction
    "72": ReasonCode.BANK_CHARGES,  # bank charges
    "75": ReasonCode.TAX,  # tax adjustment
    "AX": ReasonCode.PROMOTION,  # co-op advertising
    "CS": ReasonCode.OTHER,  # adjustment
}


def reason_from_iso20022(code: str | None) -> ReasonCode | None:
    """Map an ISO 20022 adjustment reason code; ``None`` when absent or unknown."""
    if not code:
        return None
    return ISO20022_ADJUSTMENT.get(code.strip().upper())


def reason_from_x12(code: str | None) -> ReasonCode | None:
    """Map an X12 820 ADX adjustment reason code; ``None`` when absent or unknown."""
    if not code:
        return None
    return X12_ADJUSTMENT.get(code.strip().upper())
