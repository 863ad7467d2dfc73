"""A keyword fallback for deduction reasons written in remittance text, used when the text
extractor gave none. Words in English, German, French, Dutch and Spanish, matched on the
folded text; the first reason found in the text wins.
"""

from __future__ import annotations

import re

from cashapp.domain.reasons import ReasonCode
from cashapp.matcher.normalize import fold

_KEYWORDS: dict[ReasonCode, tuple[str, ...]] = {
    ReasonCode.DISCOUNT: (
        "skonto", "discount", "escompte", "remise", "korting", "descuento", "early pay",
    ),
    ReasonCode.DAMAGED: (
        "damage", "damaged", "broken", "beschadig", "beschaedigt", "beschadigt", "defekt",
        "endommage", "casse", "danado", "kaputt",
    ),
    ReasonCode.PRICING: (
        "price diff", "pricing", "price error", "wrong price", "preisdifferenz", "preis",
        "ecart de prix", "prijsverschil", "precio",
    ),
    ReasonCode.SHORT_SHIPMENT: (
        "short ship", "shortage", "short delivery", "missing item", "not received",
        "fehlmenge", "minderlieferung", "manquant", "manque", "tekort", "faltante",
    ),
    ReasonCode.PROMOTION: (
        "promo", "promotion", "co-op", "coop", "allowance", "werbekosten", "werbezuschuss",
        "aktion", "publicite", "ristourne",
    ),
    ReasonCode.FREIGHT: ("freight", "shipping", "fracht", "transport", "porto", "vracht", "flete"),
    ReasonCode.BANK_CHARGES: (
        "bank charge", "bank fee", "charges", "bankgebuhr", "spesen", "frais bancaire",
        "bankkosten", "comision",
    ),
    ReasonCode.TAX: (
        "withholding", "vat", "tax", "mwst", "ust", "tva", "btw", "iva", "quellensteuer",
    ),
    ReasonCode.DUPLICATE: ("duplicate", "double billed", "doppelt", "doublon", "dubbel"),
    ReasonCode.RETURNS: (
        "return", "returned", "retoure", "rucksendung", "retour", "devolucion",
        "credit note",
    ),
}

_PATTERNS: list[tuple[re.Pattern[str], ReasonCode]] = [
    (re.compile(r"(?<![a-z])" + re.escape(word)), code)
    for code, words in _KEYWORDS.items()
    for word in words
]


def reason_in_text(text: str | None) -> ReasonCode | None:
    """The deduction reason written in ``text``, or ``None``."""
    if not text:
        return None
    folded = fold(text)
    best: tuple[int, ReasonCode] | None = None
    for pattern, code in _PATTERNS:
        found = pattern.search(folded)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), code)
    return best[1] if best else None
