"""What the columns and labels of a remittance table mean, in six languages, and amount cells.

Headers are compared after folding case and accents and dropping punctuation; the longest
matching phrase wins, so ``Invoice amount`` is a gross amount, not an invoice number, and
``Montant payé`` is what was paid, not a generic amount.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from cashapp.domain.money import AmountError, parse_locale_amount
from cashapp.extractors.remittance.header_words import COLUMN_WORDS, LABEL_WORDS, TOTAL_ROW_WORDS

_CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "fr.": "CHF", "sfr": "CHF"}
_CURRENCY_CODE = re.compile(r"\b([A-Z]{3})\b")
_DIGIT = re.compile(r"\d")
_FOLD_DROP = re.compile(r"[^a-z0-9 ]+")


@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Lower case, no accents, no punctuation, blanks collapsed: ``N° Facture`` -> ``n facture``."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("ß", "ss")
    return " ".join(_FOLD_DROP.sub(" ", plain).split())


# Little words that do not change what a header means ("numero de factura" = "numero factura").
_FILLERS = frozenset(
    "de du des la le l d der die das di del della dello van het of the el".split()  # noqa: SIM905
)


def _meaningful(text: str) -> str:
    return " ".join(word for word in fold(text).split() if word not in _FILLERS)


def _without_fillers(vocabulary: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {
        role: tuple(" ".join(w for w in p.split() if w not in _FILLERS) for p in phrases)
        for role, phrases in vocabulary.items()
    }


_COLUMNS = _without_fillers(COLUMN_WORDS)
_LABELS = _without_fillers(LABEL_WORDS)


def _best(text: str, vocabulary: dict[str, tuple[str, ...]]) -> tuple[str | None, int]:
    folded = _meaningful(text)
    if not folded or len(folded) > 60:
        return None, 0
    padded = f" {folded} "
    best_role, best_length = None, 0
    for role, phrases in vocabulary.items():
        for phrase in phrases:
            if f" {phrase} " in padded and len(phrase) > best_length:
                best_role, best_length = role, len(phrase)
    return best_role, best_length


@lru_cache(maxsize=8192)
def column_role(header: str) -> str | None:
    """The role of a table column from its header text, or ``None``."""
    if _DIGIT.search(header):  # header words have no digits; data cells mostly do
        return None
    role, length = _best(header, _COLUMNS)
    # a header is short: most of it must be the matched phrase ("Total amount due" is not "due")
    if role is None or length * 2 < len(_meaningful(header)):
        return None
    return role


@lru_cache(maxsize=8192)
def label_role(label: str) -> str | None:
    """What a ``Label: value`` pair gives (payer, payment_id, date, total, currency, account)."""
    role, length = _best(label, _LABELS)
    if role is None or length * 2 < len(_meaningful(label)):
        return None
    return role


def is_total_label(text: str) -> bool:
    folded = fold(text)
    return bool(folded) and any(
        folded == word or folded.startswith(word + " ") for word in TOTAL_ROW_WORDS
    )


def amount_cell(text: str) -> tuple[Decimal | None, str | None]:
    """An amount cell in any locale format, with the currency written beside it if any.

    ``"1.234,56 €"`` -> ``(Decimal("1234.56"), "EUR")``; ``""`` -> ``(None, None)``.
    Raises ``AmountError`` when the cell holds something else.
    """
    raw = text.strip()
    if not raw or raw in {"-", "–", "—"}:
        return None, None
    currency = None
    lowered = raw.lower()
    for sign, code in _CURRENCY_SIGNS.items():
        if sign in lowered:
            currency = code
            index = lowered.index(sign)
            raw = (raw[:index] + raw[index + len(sign) :]).strip()
            lowered = raw.lower()
    match = _CURRENCY_CODE.search(raw)
    if match:
        currency = match.group(1)
        raw = (raw[: match.start()] + raw[match.end() :]).strip()
    return parse_locale_amount(raw), currency


def looks_like_amount(text: str) -> bool:
    try:
        value, _ = amount_cell(text)
    except AmountError:
        return False
    return value is not None
