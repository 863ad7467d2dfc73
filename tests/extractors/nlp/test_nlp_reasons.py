"""Deduction reasons in six languages map to the canonical codes."""

import pytest

from cashapp.domain.reasons import ReasonCode
from cashapp.extractors.nlp.api import find_reason

CASES = [
    # English
    ("less 2% early payment discount", ReasonCode.DISCOUNT),
    ("goods damaged in transit", ReasonCode.DAMAGED),
    ("price difference vs PO", ReasonCode.PRICING),
    ("short shipment 3 cartons", ReasonCode.SHORT_SHIPMENT),
    ("co-op advertising deduction", ReasonCode.PROMOTION),
    ("freight deducted", ReasonCode.FREIGHT),
    ("bank charges", ReasonCode.BANK_CHARGES),
    ("withholding tax", ReasonCode.TAX),
    ("duplicate invoice, already paid", ReasonCode.DUPLICATE),
    ("returned goods RMA 5521", ReasonCode.RETURNS),
    # French
    ("escompte 2%", ReasonCode.DISCOUNT),
    ("marchandise endommagée", ReasonCode.DAMAGED),
    ("écart de prix", ReasonCode.PRICING),
    ("articles manquants", ReasonCode.SHORT_SHIPMENT),
    ("remise promotionnelle", ReasonCode.PROMOTION),
    ("frais de port", ReasonCode.FREIGHT),
    ("frais bancaires", ReasonCode.BANK_CHARGES),
    ("TVA", ReasonCode.TAX),
    ("doublon facture", ReasonCode.DUPLICATE),
    ("retour marchandise", ReasonCode.RETURNS),
    # German
    ("abzüglich Skonto", ReasonCode.DISCOUNT),
    ("Ware beschädigt", ReasonCode.DAMAGED),
    ("Preisdifferenz", ReasonCode.PRICING),
    ("Fehlmenge lt. Lieferschein", ReasonCode.SHORT_SHIPMENT),
    ("Werbekostenzuschuss", ReasonCode.PROMOTION),
    ("Frachtkosten", ReasonCode.FREIGHT),
    ("Bankgebühren", ReasonCode.BANK_CHARGES),
    ("MwSt Differenz", ReasonCode.TAX),
    ("Doppelzahlung", ReasonCode.DUPLICATE),
    ("Retoure", ReasonCode.RETURNS),
    # Dutch
    ("betalingskorting", ReasonCode.DISCOUNT),
    ("beschadigd geleverd", ReasonCode.DAMAGED),
    ("prijsverschil", ReasonCode.PRICING),
    ("tekort in levering", ReasonCode.SHORT_SHIPMENT),
    ("promotie bijdrage", ReasonCode.PROMOTION),
    ("vrachtkosten", ReasonCode.FREIGHT),
    ("bankkosten", ReasonCode.BANK_CHARGES),
    ("BTW verschil", ReasonCode.TAX),
    ("dubbele betaling", ReasonCode.DUPLICATE),
    ("retourzending", ReasonCode.RETURNS),
    # Spanish
    ("descuento pronto pago", ReasonCode.DISCOUNT),
    ("mercancía dañada", ReasonCode.DAMAGED),
    ("diferencia de precio", ReasonCode.PRICING),
    ("material faltante", ReasonCode.SHORT_SHIPMENT),
    ("promoción", ReasonCode.PROMOTION),
    ("portes", ReasonCode.FREIGHT),
    ("gastos bancarios", ReasonCode.BANK_CHARGES),
    ("retención IRPF", ReasonCode.TAX),
    ("pago duplicado", ReasonCode.DUPLICATE),
    ("devolución", ReasonCode.RETURNS),
    # Italian
    ("sconto 2%", ReasonCode.DISCOUNT),
    ("merce danneggiata", ReasonCode.DAMAGED),
    ("differenza prezzo", ReasonCode.PRICING),
    ("merce mancante", ReasonCode.SHORT_SHIPMENT),
    ("contributo promozionale", ReasonCode.PROMOTION),
    ("spese di trasporto", ReasonCode.FREIGHT),
    ("spese bancarie", ReasonCode.BANK_CHARGES),
    ("ritenuta d'acconto", ReasonCode.TAX),
    ("doppio pagamento", ReasonCode.DUPLICATE),
    ("merce resa", ReasonCode.RETURNS),
    # no specific word: other
    ("Abzug lt. Reklamation", ReasonCode.OTHER),
]


@pytest.mark.parametrize(("text", "code"), CASES)
def test_reason_words(text: str, code: ReasonCode) -> None:
    found = find_reason(text.upper() if len(text) % 2 else text)
    assert found is not None
    assert found[0] is code
    assert 0.5 <= found[1] <= 1.0


@pytest.mark.parametrize("text", ["INV-2024-00123", "Zahlung Rechnung 4711", "", "merci"])
def test_no_reason(text: str) -> None:
    assert find_reason(text) is None
