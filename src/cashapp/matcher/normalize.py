"""Canonical forms for the matcher's lookups: references (invoice numbers, structured
references) and party names (accents, case, punctuation and legal forms removed).

Pure functions on strings; every index and comparator uses the same forms so that a
reference written ``inv 2025/0042`` finds the invoice ``INV-2025-0042``.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
_DIGIT_RUNS = re.compile(r"\d+")
_WORD = re.compile(r"[0-9a-z]+")
# "Müller" is written MUELLER by some banks and MULLER by others: both become "muller".
_UMLAUT_PAIRS = re.compile(r"[aou]e")

# Legal forms dropped from names (as written, lower case, punctuation removed), spelled out
# forms included: banks truncate and rewrite them freely.
_LEGAL_FORMS_TEXT = """
    gmbh mbh ag kg ohg ug se sa sas sarl sasu eurl sca scs snc sprl bv bvba nv cv vof
    ltd limited plc llc llp lp inc incorporated corp corporation co company cie
    spa srl sapa oy oyj ab asa as aps a/s kft zrt sro doo ooo pty pte bhd
    gesellschaft beschrankter haftung aktiengesellschaft kommanditgesellschaft
    societe anonyme responsabilite limitee naamloze vennootschap besloten
    et und and mit the of de du la le les des van der den cia
"""
LEGAL_FORMS = frozenset(_LEGAL_FORMS_TEXT.split())


# Letters Unicode does not decompose into a base letter and an accent, as banks whose
# charset lacks them (CP1252 in OFX, the SWIFT set in MT940) write them: ``Łukasz`` arrives
# as ``LUKASZ``.
_UNDECOMPOSED = str.maketrans({"ß": "ss", "ẞ": "ss", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o",
                               "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Æ": "AE",
                               "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th"})


def fold(text: str) -> str:
    """Lower case, accents removed (``Müller`` -> ``muller``, ``ß`` -> ``ss``, ``Ł`` -> ``l``)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def reference_key(text: str) -> str:
    """A reference as a lookup key: upper case, letters and digits only.

    ``"inv 2025/0042"`` -> ``"INV20250042"``; ``"RF18 5390 0754 7034"`` -> ``"RF18539007547034"``.
    """
    if text.isascii():
        return _NON_ALNUM.sub("", text.upper())
    return _NON_ALNUM.sub("", fold(text).upper())


def digits_key(text: str) -> str:
    """The digits of a reference without leading zeros (``"INV-000123"`` -> ``"123"``);
    empty when it has fewer than three significant digits (too ambiguous to look up)."""
    digits = "".join(_DIGIT_RUNS.findall(text)).lstrip("0")
    return digits if len(digits) >= 3 else ""


def name_words(name: str) -> list[str]:
    """The significant words of a party name: folded, legal forms and fillers dropped."""
    folded = _UMLAUT_PAIRS.sub(lambda m: m.group(0)[0], fold(name))
    words = _WORD.findall(folded.replace("&", " and "))
    kept = [w for w in words if w not in LEGAL_FORMS]
    return kept or words


def name_key(name: str) -> str:
    """A party name as a comparable string: significant words joined by single spaces."""
    return " ".join(name_words(name))


def compact_name(name: str) -> str:
    """Significant words with the spaces removed; banks truncate names at 18/27/35
    characters, so a truncated payer name is a prefix of this form of the full name."""
    return "".join(name_words(name))


def iban_key(account: str | None) -> str:
    """An account number as a lookup key (IBAN spaces and case removed)."""
    return reference_key(account) if account else ""
