"""The words payers write before a number, in English, French, German, Dutch, Spanish and
Italian: what tells an invoice number from a purchase order or a customer number.

Matched on upper-cased text, so the patterns are upper case. A label is followed by the usual
``no``/``nr``/``n°``/``#``/``:`` before the number.
"""

from __future__ import annotations

import re

_NUMBER_WORD = (
    r"(?:\s*(?:NO\.?|NR\.?|N\s?°|N\s?º|N\.|NUM\.?|NUMMER|NUMBER|NUMERO|NÚMERO|NUMÉRO|#)\s*)?"
)

INVOICE_LABEL = re.compile(
    r"(?:\bINVOICES?|\bINV\b|\bINVS\b|\bFACTURES?|\bFACT\b|\bFACT\.|\bFAC\b|\bRECHNUNG(?:EN)?"
    r"|\bRECHN\.?|\bRG\b|\bRG\.|\bRE\b|\bRE\.|\bFACTU(?:U|)R(?:EN)?|\bFACTURAS?|\bFRA\b"
    r"|\bFATTUR[AE]|\bFATT\.?|\bFT\b|\bBILL\b|\bDOC\b|\bBELEG|\bREF\b|\bREF\.|\bREFERENCE"
    r"|\bRÉFÉRENCE|\bREFERENZ|\bREFERENTIE|\bREFERENCIA|\bRIFERIMENTO)"
    + _NUMBER_WORD + r"[:.#/\s]*$"
)

PO_LABEL = re.compile(
    r"(?:\bP\.?\s?O\.?|\bPURCHASE\s+ORDER|\bORDER|\bBC\b|\bBON\s+DE\s+COMMANDE|\bCOMMANDE|\bCDE\b"
    r"|\bBESTELLUNG|\bBESTELL-?NR\.?|\bBESTELLNUMMER|\bAUFTRAG(?:S-?NR\.?)?|\bBESTELLING"
    r"|\bBESTELNUMMER|\bINKOOPORDER|\bORDERNUMMER|\bPEDIDO|\bORDEN\s+DE\s+COMPRA|\bORDINE"
    r"(?:\s+D'ACQUISTO)?|\bODA\b|\bOC\b|\bORDERNUMMER|\bAUFTRAGSNUMMER)"
    + _NUMBER_WORD + r"[:.#/\s]*$"
)

CUSTOMER_LABEL = re.compile(
    r"(?:\bCUSTOMER|\bCUST\.?|\bACCOUNT|\bACCT\.?|\bCLIENT|\bKUNDE(?:N)?(?:-?NR\.?)?|\bKD\.?-?NR\.?"
    r"|\bKUNDENNUMMER|\bKUNDENNR\.?|\bKLANT(?:NUMMER|NR\.?)?|\bCLIENTE|\bDEBITEUR(?:NUMMER)?"
    r"|\bDEBITOR|\bCODE\s+CLIENT|\bCODICE\s+CLIENTE|\bC[OÓ]DIGO\s+(?:DE\s+)?CLIENTE"
    r"|\bCOD\.\s*CLIENTE)"
    + _NUMBER_WORD + r"[:.#/\s]*$"
)

LOOKBACK = 28  # characters before a number in which its label is looked for


def label_before(text: str, start: int) -> str | None:
    """``"invoice"``, ``"po"``, ``"customer"`` or None: the label written just before ``start``."""
    window = text[max(0, start - LOOKBACK):start].replace("\n", "").upper()
    if not window.strip():
        return None
    if PO_LABEL.search(window):
        return "po"
    if CUSTOMER_LABEL.search(window):
        return "customer"
    if INVOICE_LABEL.search(window):
        return "invoice"
    return None


# Label words as payers mistype them ("Odrine", "Cleinte", "vitie"): matched fuzzily, only on
# words of five letters or more, and only where no exact label was found.
_FUZZY_LABELS: dict[str, str] = {
    **dict.fromkeys(("ORDER", "ORDERNUMMER", "PURCHASE", "COMMANDE", "BESTELLUNG",
                     "BESTELLNUMMER", "BESTELNUMMER", "BESTELLING", "PEDIDO", "ORDINE",
                     "AUFTRAG", "INKOOPORDER", "ACQUISTO"), "po"),
    **dict.fromkeys(("CUSTOMER", "CLIENT", "CLIENTE", "KUNDENNUMMER", "KUNDENNR", "DEBITOR",
                     "DEBITEUR", "DEBITEURNUMMER", "KLANTNUMMER", "KLANTNR"), "customer"),
    **dict.fromkeys(("VIITE", "VIITENUMERO", "VIITENRO"), "fi"),
}
_LABEL_WORDS = tuple(_FUZZY_LABELS)
_WORDS_BEFORE = re.compile(r"([^\W\d_]{5,})[^\w]*(?:[^\W\d_]{1,3}[.°º]?\s*)?[:#.\s]*$")


def fuzzy_label_before(text: str, start: int) -> str | None:
    """Like ``label_before`` for a mistyped label: ``"po"``, ``"customer"``, ``"fi"`` or None."""
    from rapidfuzz import fuzz, process

    match = _WORDS_BEFORE.search(text[max(0, start - LOOKBACK):start].replace("\n", ""))
    if match is None:
        return None
    word = match.group(1).upper()
    # typos keep the first letter far more often than not ("Odrine", "Cleinte"), and this
    # keeps "Border" from being read as "Order"
    choices = [w for w in _LABEL_WORDS if w[0] == word[0] and abs(len(w) - len(word)) <= 2]
    best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=78)
    return _FUZZY_LABELS[best[0]] if best else None
