"""Deduction reasons from the words of a remittance table, in six languages.

A small keyword map for the reason column of advices (the free-text extractor in
``extractors.nlp`` does the same for arbitrary text). Codes first: an ISO 20022 or X12
code in a code column is mapped by ``domain.reasons``.
"""

from __future__ import annotations

from functools import lru_cache

from cashapp.domain.reasons import ReasonCode, reason_from_iso20022, reason_from_x12
from cashapp.extractors.remittance.amount_columns import fold

_WORDS: tuple[tuple[ReasonCode, tuple[str, ...]], ...] = (
    (
        ReasonCode.DISCOUNT,
        (
            "discount",
            "escompte",
            "skonto",
            "descuento",
            "pronto pago",
            "sconto",
            "korting",
            "remise",
        ),
    ),
    (
        ReasonCode.DAMAGED,
        (
            "damage",
            "damaged",
            "broken",
            "endommage",
            "abime",
            "casse",
            "beschadigt",
            "beschaedigt",
            "defekt",
            "danado",
            "danada",
            "roto",
            "danneggiat",
            "rotto",
            "beschadigd",
            "kapot",
        ),
    ),
    (
        ReasonCode.PRICING,
        (
            "price",
            "pricing",
            "prix",
            "tarif",
            "preis",
            "preisdifferenz",
            "precio",
            "prezzo",
            "prijs",
            "prijsverschil",
        ),
    ),
    (
        ReasonCode.SHORT_SHIPMENT,
        (
            "short shipment",
            "short delivery",
            "missing",
            "quantity",
            "manquant",
            "livraison incomplete",
            "fehlmenge",
            "unvollstandig",
            "minderlieferung",
            "faltante",
            "mancante",
            "ontbrekend",
            "te weinig geleverd",
        ),
    ),
    (
        ReasonCode.PROMOTION,
        (
            "promotion",
            "promo",
            "co op",
            "coop",
            "allowance",
            "promocion",
            "promozione",
            "aktion",
            "werbekostenzuschuss",
            "actie",
        ),
    ),
    (
        ReasonCode.FREIGHT,
        (
            "freight",
            "shipping",
            "transport",
            "fret",
            "frais de port",
            "fracht",
            "versand",
            "flete",
            "porte",
            "trasporto",
            "vracht",
            "verzendkosten",
        ),
    ),
    (
        ReasonCode.BANK_CHARGES,
        (
            "bank charge",
            "bank fee",
            "frais bancaire",
            "bankgebuhr",
            "bankspesen",
            "comision bancaria",
            "commissioni bancarie",
            "spese bancarie",
            "bankkosten",
        ),
    ),
    (
        ReasonCode.TAX,
        (
            "tax",
            "vat",
            "tva",
            "mwst",
            "ust",
            "iva",
            "btw",
            "withholding",
            "retenue a la source",
            "quellensteuer",
            "ritenuta",
        ),
    ),
    (
        ReasonCode.DUPLICATE,
        ("duplica", "double", "doublon", "doppelt", "dubbel"),
    ),
    (
        ReasonCode.RETURNS,
        (
            "return",
            "returned",
            "retour",
            "retoure",
            "rucksendung",
            "devolucion",
            "devuelto",
            "reso",
            "restituzione",
            "retour",
            "teruggestuurd",
        ),
    ),
)


@lru_cache(maxsize=4096)
def reason_from_words(code: str | None, text: str | None) -> ReasonCode | None:
    """The canonical reason for a code and/or free text; ``other`` when given but not known."""
    if code:
        mapped = reason_from_iso20022(code) or reason_from_x12(code)
        if mapped:
            return mapped
    for candidate in (text, code):
        if not candidate:
            continue
        padded = f" {fold(candidate)} "
        for reason, words in _WORDS:
            if any(f" {word}" in padded for word in words):
                return reason
    if code or text:
        return ReasonCode.OTHER
    return None
