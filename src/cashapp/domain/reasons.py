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

# X12 820 adjustment reason codes (data element 426, used in ADX02 and RMR07), the ones that
# say why money was withheld. Codes that only say "an error" without a kind map to ``other``.
X12_ADJUSTMENT: dict[str, ReasonCode] = {
    "01": ReasonCode.PRICING,  # pricing error
    "02": ReasonCode.PROMOTION,  # allowance/charge error
    "03": ReasonCode.PRICING,  # extension error
    "04": ReasonCode.DAMAGED,  # item not accepted - damaged
    "05": ReasonCode.DAMAGED,  # item not accepted - quality
    "06": ReasonCode.SHORT_SHIPMENT,  # quantity contested
    "07": ReasonCode.RETURNS,  # incorrect product
    "09": ReasonCode.PRICING,  # terms of sale error
    "11": ReasonCode.RETURNS,  # returns - damage
    "12": ReasonCode.RETURNS,  # returns - quality
    "13": ReasonCode.RETURNS,  # returns - dating
    "14": ReasonCode.RETURNS,  # returns - promotion
    "15": ReasonCode.RETURNS,  # returns - recall
    "16": ReasonCode.PROMOTION,  # non-invoice related allowance/charge
    "19": ReasonCode.DUPLICATE,  # duplicate billing
    "22": ReasonCode.SHORT_SHIPMENT,  # weight error
    "24": ReasonCode.DISCOUNT,  # incorrect discount
    "25": ReasonCode.RETURNS,  # item not accepted
    "30": ReasonCode.FREIGHT,  # delivery charge incorrect
    "41": ReasonCode.SHORT_SHIPMENT,  # item not accepted - delay
    "42": ReasonCode.SHORT_SHIPMENT,  # item not accepted - loss
    "43": ReasonCode.DISCOUNT,  # missing discount
    "46": ReasonCode.FREIGHT,  # transportation charge incorrect
    "54": ReasonCode.FREIGHT,  # freight deducted
    "55": ReasonCode.TAX,  # tax deducted
    "AX": ReasonCode.PROMOTION,  # co-op advertising
    "CS": ReasonCode.OTHER,  # adjustment
    "ZZ": ReasonCode.OTHER,  # mutually defined
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
