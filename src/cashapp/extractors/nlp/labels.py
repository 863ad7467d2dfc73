"""The words payers write before a number, in English, French, German, Dutch, Spanish and
Italian: what tells an invoice number from a purchase order or a customer number.

Matched on upper-cased text, so the patterns are upper case. A label is followed by the usual
``no``/``nr``/``n°``/``#``/``:`` before the number.
"""

from __future__ import annotations

import re

_NUMBER_WORD = r"(?:\s*(?:NO\.?|NR\.?|N°|Nº|NUM\.?|NUMMER|NUMBER|NUMERO|NÚMERO|#)\s*)?"

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
    r"(?:\s+D'ACQUISTO)?|\bODA\b|\bOC\b)"
    + _NUMBER_WORD + r"[:.#/\s]*$"
)

CUSTOMER_LABEL = re.compile(
    r"(?:\bCUSTOMER|\bCUST\.?|\bACCOUNT|\bACCT\.?|\bCLIENT|\bKUNDE(?:N)?(?:-?NR\.?)?|\bKD\.?-?NR\.?"
    r"|\bKUNDENNUMMER|\bKLANT(?:NUMMER|NR\.?)?|\bCLIENTE|\bDEBITEUR(?:NUMMER)?|\bDEBITOR)"
    + _NUMBER_WORD + r"[:.#/\s]*$"
)

LOOKBACK = 28  # characters before a number in which its label is looked for


def label_before(text: str, start: int) -> str | None:
    """``"invoice"``, ``"po"``, ``"customer"`` or None: the label written just before ``start``."""
    window = text[max(0, start - LOOKBACK):start].upper()
    if not window.strip():
        return None
    if PO_LABEL.search(window):
        return "po"
    if CUSTOMER_LABEL.search(window):
        return "customer"
    if INVOICE_LABEL.search(window):
        return "invoice"
    return None
