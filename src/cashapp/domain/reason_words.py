"""The one lexicon of deduction reasons as payers write them (English, French, German, Dutch,
Spanish, Italian), mapped to the canonical codes of CONTRACT.md.

Word stems per code, matched on accent-folded lower-case text with word boundaries. Strong
terms (``Skonto``, ``frais bancaires``) weigh more than weak ones (``prix``, ``port``) that
also appear outside a deduction. ``find_reason_hits`` lists every reason word (the text
extractor scores them), ``reason_from_text`` gives the one code a text names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cashapp.domain.reasons import ReasonCode

# (pattern, weight). Patterns are regex fragments on folded text; \b is added around them.
_LEXICON: dict[ReasonCode, list[tuple[str, float]]] = {
    ReasonCode.DISCOUNT: [
        (r"(?:early|prompt)[ -]payment(?: discount)?|cash discount|discount(?:ed)?|disc", 1.0),
        (r"escompte|remise (?:pour )?paiement (?:anticipe|comptant)|remise", 0.9),
        (r"skonto(?:abzug)?|abzugl(?:ich)? skonto|rabatt", 1.0),
        (r"korting|betalingskorting|kredietbeperking", 1.0),
        (r"descuento(?: por)?(?: pronto pago)?|pronto pago|dto\.?", 1.0),
        (r"sconto(?: pronto pagamento)?|abbuono", 1.0),
        (r"\d+(?:[.,]\d+)? ?%", 0.4),
    ],
    ReasonCode.DAMAGED: [
        (r"damaged?|damages|broken|defective|breakage", 1.2),
        (r"endommage(?:e|s|es)?|abime(?:e|s)?|casse(?:e|s)?|avarie(?:e|s)?|defectueu(?:x|se)", 1.2),
        (r"beschae?digt(?:e[nmrs]?)?|beschae?digung|bruch|defekt|transportschaden", 1.2),
        (r"beschadigd|schade|kapot|defect", 1.2),
        (r"danad[oa]s?|danos?|averiad[oa]s?|rot[oa]s?|defectuos[oa]s?", 1.2),
        (r"danneggiat[oaie]|rott[oaie]|difettos[oaie]|guast[oaie]", 1.2),
    ],
    ReasonCode.PRICING: [
        (r"pric(?:e|ing)(?: difference| error| discrepancy| adjustment)?|wrong price"
         r"|overcharged?", 1.1),
        (r"(?:ecart|difference|erreur) de prix|prix|tarif", 1.0),
        (r"preis(?:differenz|abweichung|fehler|korrektur)?|falscher preis", 1.1),
        (r"prijs(?:verschil|fout|correctie)?", 1.1),
        (r"(?:diferencia|error) de precio|precio", 1.0),
        (r"(?:differenza|errore) (?:di )?prezzo|prezzo(?: errato)?", 1.0),
    ],
    ReasonCode.SHORT_SHIPMENT: [
        (r"short[ -]?(?:shipment|shipped|delivery|ship)|shortage|missing(?: items?| goods)?"
         r"|not received|quantity short|short qty|undelivered", 1.2),
        (r"manquants?|manque|livraison (?:incomplete|partielle)|quantite manquante"
         r"|non livre(?:e|s)?", 1.2),
        (r"fehlmenge|mindermenge|minderlieferung|fehlende ware|nicht geliefert|teillieferung"
         r"|unvollstandige? lieferung", 1.2),
        (r"tekort|ontbrekend(?:e)?|te weinig geleverd|niet geleverd|manco", 1.2),
        (r"faltantes?|falta(?: de)? (?:mercancia|material)|no recibid[oa]s?|envio incompleto", 1.2),
        (r"mancant[ei]|merce mancante|ammanco|consegna parziale|non consegnat[oa]", 1.2),
    ],
    ReasonCode.PROMOTION: [
        (r"promo(?:tion(?:al)?)?(?: allowance)?|co-?op(?: advertising)?|advertising allowance"
         r"|marketing(?: allowance| fee)?|trade allowance|listing fee", 1.3),
        (r"remise promotionnelle|cooperation commerciale|participation publicitaire", 1.5),
        (r"publicite|ristourne", 1.3),
        (r"werbekostenzuschuss|wkz|aktion(?:srabatt)?|werbezuschuss", 1.4),
        (r"promotie(?:bijdrage|actie)?|actie(?:korting)?|reclamebijdrage", 1.3),
        (r"promocion(?:al)?|campana|publicidad", 1.3),
        (r"promozion(?:e|ale)|contributo (?:promozionale|pubblicitario)|pubblicita", 1.3),
    ],
    ReasonCode.FREIGHT: [
        (r"freight|shipping(?: cost| costs| charges?)?|carriage"
         r"|delivery (?:charge|fee|cost)s?", 1.2),
        (r"frais de (?:port|transport|livraison)|transport|port|fret", 1.0),
        (r"fracht(?:kosten)?|versand(?:kosten)?|transportkosten|lieferkosten", 1.2),
        (r"vracht(?:kosten)?|verzendkosten|transportkosten", 1.2),
        (r"flete|portes|gastos de (?:envio|transporte)", 1.2),
        (r"trasporto|spese di (?:spedizione|trasporto)|nolo", 1.2),
    ],
    ReasonCode.BANK_CHARGES: [
        (r"bank (?:charges?|fees?|costs?)|transfer fees?|wire fees?|remittance fees?", 1.6),
        (r"frais bancaires|commissions? bancaires?|frais de virement", 1.6),
        (r"bankgebuhren?|bankspesen|bankkosten|uberweisungsgebuhr|spesen", 1.6),
        (r"bankkosten|transactiekosten|overboekingskosten", 1.6),
        (r"comision(?:es)? bancarias?|gastos bancarios|comisiones", 1.6),
        (r"commission[ei] bancari[ea]|spese bancarie", 1.6),
    ],
    ReasonCode.TAX: [
        (r"tax(?:es)?|vat|withholding(?: tax)?|sales tax", 1.0),
        (r"tva|taxes?|retenue a la source", 1.0),
        (r"mwst|ust|umsatzsteuer|mehrwertsteuer|quellensteuer|steuer", 1.0),
        (r"btw|belasting", 1.0),
        (r"iva|retencion|impuestos?|irpf", 1.0),
        (r"ritenuta(?: d'acconto)?|imposta|iva", 1.0),
    ],
    ReasonCode.DUPLICATE: [
        (r"duplicate(?: billing| invoice| payment)?|double (?:payment|billing|invoice)"
         r"|paid twice|already paid|billed twice", 1.5),
        (r"doublon|double (?:paiement|facturation)|deja paye(?:e)?|facture en double", 1.5),
        (r"doppelzahlung|doppelt(?: berechnet| bezahlt)?|bereits bezahlt|doppelberechnung", 1.5),
        (r"dubbele? (?:betaling|factuur|facturering)|dubbel (?:gefactureerd|betaald)"
         r"|reeds betaald|al betaald", 1.5),
        (r"duplicad[oa]|pago doble|doble (?:pago|factura)|ya pagad[oa]", 1.5),
        (r"duplicat[oa]|doppio pagamento|doppia fattura|gia pagat[oa]", 1.5),
    ],
    ReasonCode.RETURNS: [
        (r"returns?|returned(?: goods)?|rma|goods back", 1.2),
        (r"retours?|retourne(?:e|s)?|marchandises? retournee?s?|avoir retour", 1.2),
        (r"retoure|rucksendung|zuruckgesandt|ruckgabe|retourware", 1.2),
        (r"retour(?:zending|nering)?|teruggestuurd|retourgoederen", 1.2),
        (r"devolucion(?:es)?|devuelt[oa]s?|mercancia devuelta", 1.2),
        (r"reso|resi|restituit[oa]|restituzione|merce resa", 1.2),
    ],
    ReasonCode.OTHER: [
        (r"deduct(?:ion|ed)?|adjustment|short[ -]?paid|withheld|dispute[d]?|claim", 0.5),
        (r"deduction|retenue|ajustement|litige|reclamation", 0.5),
        (r"abzug|kurzung|gekurzt|einbehalt(?:en)?|reklamation", 0.5),
        (r"aftrek|inhouding|ingehouden|verrekening|claim", 0.5),
        (r"deduccion|retenid[oa]|ajuste|reclamacion", 0.5),
        (r"deduzione|trattenut[oa]|rettifica|reclamo|contestazione", 0.5),
    ],
}


def _top_level_alternatives(fragment: str) -> list[str]:
    """``"a|b(?:c|d)"`` -> ``["a", "b(?:c|d)"]``."""
    out, depth, current = [], 0, ""
    for ch in fragment:
        if ch == "|" and depth == 0:
            out.append(current)
            current = ""
            continue
        depth += (ch == "(") - (ch == ")")
        current += ch
    return [*out, current]


# Alternatives are bucketed by their first letter and tried only at word starts with that
# letter (one small regex per letter instead of one pass of every phrase over the text).
# Within a bucket the weightiest phrases come first, so "remise promotionnelle" (promotion)
# is taken before "remise" (discount); each alternative is a named group telling its code.
_ENTRIES = sorted(
    (
        (code, alternative, weight)
        for code, entries in _LEXICON.items()
        for frag, weight in entries
        for alternative in _top_level_alternatives(frag)
    ),
    key=lambda e: -e[2],
)
_GROUPS: dict[str, tuple[ReasonCode, float]] = {
    f"r{i}": (code, weight) for i, (code, _, weight) in enumerate(_ENTRIES)
}


def _bucket_patterns() -> dict[str, re.Pattern[str]]:
    buckets: dict[str, list[str]] = {}
    for i, (_, alternative, _) in enumerate(_ENTRIES):
        first = alternative[0]
        keys = [first] if first.isalpha() else list("abcdefghijklmnopqrstuvwxyz0123456789")
        for key in keys:
            buckets.setdefault(key, []).append(f"(?P<r{i}>{alternative})")
    return {k: re.compile("(?:" + "|".join(v) + r")(?![a-z])") for k, v in buckets.items()}


_BY_FIRST = _bucket_patterns()
_WORD_START = re.compile(r"(?<![a-z0-9])[a-z0-9]")


@dataclass(frozen=True, slots=True)
class ReasonHit:
    code: ReasonCode
    start: int
    end: int
    weight: float


def _accent_table() -> dict[int, str]:
    table = {}
    for code in range(0xC0, 0x250):
        base = "".join(
            ch for ch in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(ch)
        )
        if len(base) == 1 and base != chr(code):
            table[code] = base
    return table


_ACCENTS = _accent_table()


def fold(text: str) -> str:
    """Lower case without accents, one character for one (``ß`` stays ``ß``): positions in
    the folded text are positions in ``text``."""
    lowered = text.lower()
    return lowered if lowered.isascii() else lowered.translate(_ACCENTS)


def find_reason_hits(text: str) -> list[ReasonHit]:
    """Every reason word in ``text``; positions refer to the folded text.

    A word cut by a line break (an MT940 subfield: ``Fracht\nkosten``) is read too: the text
    is also read with its line breaks removed, keeping the words found only that way."""
    hits = _hits(fold(text))
    if "\n" not in text:
        return hits
    kept = [i for i, ch in enumerate(text) if ch != "\n"]
    kept.append(len(text))
    for hit in _hits(fold(text.replace("\n", ""))):
        start, end = kept[hit.start], kept[hit.end - 1] + 1
        if "\n" in text[start:end] and not any(h.start < end and start < h.end for h in hits):
            hits.append(ReasonHit(hit.code, start, end, hit.weight))
    return hits


def _hits(folded: str) -> list[ReasonHit]:
    hits: list[ReasonHit] = []
    resume = 0
    for start in _WORD_START.finditer(folded):
        pos = start.start()
        pattern = _BY_FIRST.get(folded[pos])
        if pattern is None or pos < resume:
            continue
        match = pattern.match(folded, pos)
        if match is not None:
            code, weight = _GROUPS[match.lastgroup or ""]
            hits.append(ReasonHit(code, pos, match.end(), weight))
            resume = match.end()
    return hits


def reason_from_text(text: str | None) -> ReasonCode | None:
    """The reason ``text`` names: the weightiest specific code (the first found on a tie);
    ``other`` when it only says "deduction"; ``None`` without any reason word."""
    if not text:
        return None
    scores: dict[ReasonCode, float] = {}
    for hit in find_reason_hits(text):
        scores[hit.code] = scores.get(hit.code, 0.0) + hit.weight
    specific = [(code, score) for code, score in scores.items() if code is not ReasonCode.OTHER]
    if specific:
        return max(specific, key=lambda cs: cs[1])[0]
    return ReasonCode.OTHER if scores else None
