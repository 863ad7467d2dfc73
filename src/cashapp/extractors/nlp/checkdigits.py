"""Check digits of the structured creditor references (LANDSCAPE.md section 5.4).

- RF creditor reference, ISO 11649: ISO 7064 MOD 97-10 (``stdnum.iso11649``).
- Belgian OGM/VCS: first ten digits mod 97, 0 -> 97 (``stdnum.be.ogm_vcs``).
- Swiss QR reference (QRR, ex ESR/ISR): 27 digits, MOD 10 recursive (``stdnum.ch.esr``).
- Finnish reference (viitenumero): weights 7, 3, 1 from the right (not in python-stdnum).
- Norwegian KID: MOD 10 (Luhn) or MOD 11, per creditor agreement (not in python-stdnum).

Every ``is_valid_*`` takes the compact form (digits, or RF + alphanumerics) and never raises.
"""

from __future__ import annotations

from stdnum import iso11649, luhn
from stdnum.be import ogm_vcs
from stdnum.ch import esr
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_97_10


def compact(text: str) -> str:
    """Upper case, without spaces and the usual separators (``+ / - . *``)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


# --- RF, ISO 11649 -------------------------------------------------------------------------


def is_valid_rf(ref: str) -> bool:
    """``RF`` + 2 check digits + 1-21 alphanumerics, MOD 97-10."""
    if not (5 <= len(ref) <= 25 and ref[:2] == "RF" and ref[2:4].isdigit() and ref.isalnum()
            and ref.isascii()):
        return False
    # a quick arithmetic check first (stdnum's validate is ~20x slower), stdnum confirms
    if int("".join(str(int(ch, 36)) for ch in ref[4:] + ref[:4])) % 97 != 1:
        return False
    try:
        return bool(iso11649.validate(ref))
    except ValidationError:
        return False


def make_rf(body: str) -> str:
    """The RF reference wrapping ``body`` (``"1234512345"`` -> ``"RF451234512345"``)."""
    body = compact(body)
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


# --- Belgian OGM/VCS -----------------------------------------------------------------------


def is_valid_ogm(ref: str) -> bool:
    """12 digits, the last two being the first ten mod 97 (0 -> 97)."""
    if len(ref) != 12 or not ref.isdigit():
        return False
    try:
        return bool(ogm_vcs.validate(ref))
    except ValidationError:
        return False


def make_ogm(base: str) -> str:
    """The 12-digit OGM/VCS for a 10-digit base."""
    return base + ogm_vcs.calc_check_digits(base + "00")


def format_ogm(ref: str) -> str:
    """``+++010/8068/17183+++``: how Belgian invoices print it."""
    return f"+++{ref[:3]}/{ref[3:7]}/{ref[7:]}+++"


# --- Swiss QR reference --------------------------------------------------------------------


def is_valid_qrr(ref: str) -> bool:
    """27 digits, MOD 10 recursive over the first 26."""
    if len(ref) != 27 or not ref.isdigit():
        return False
    return esr.calc_check_digit(ref[:26]) == ref[26]


def make_qrr(base: str) -> str:
    """The 27-digit QR reference for a base of up to 26 digits (left-padded with zeros)."""
    base = base.zfill(26)
    return base + esr.calc_check_digit(base)


# --- Finnish reference ---------------------------------------------------------------------

_FI_WEIGHTS = (7, 3, 1)


def finnish_check_digit(base: str) -> str:
    """Weights 7, 3, 1 repeating from the rightmost base digit; (10 - sum mod 10) mod 10."""
    total = sum(int(d) * _FI_WEIGHTS[i % 3] for i, d in enumerate(reversed(base)))
    return str((10 - total % 10) % 10)


def is_valid_finnish(ref: str) -> bool:
    """4-20 digits including the check digit (leading zeros tolerated)."""
    stripped = ref.lstrip("0")
    if not ref.isdigit() or not 4 <= len(stripped) <= 20:
        return False
    return finnish_check_digit(stripped[:-1]) == stripped[-1]


def make_finnish(base: str) -> str:
    return base + finnish_check_digit(base)


# --- Norwegian KID -------------------------------------------------------------------------


def kid_mod11_check_digit(base: str) -> str | None:
    """Weights 2..7 repeating from the right; 11 -> 0; 10 -> ``"-"`` (returned as None)."""
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(base)))
    check = 11 - total % 11
    if check == 11:
        return "0"
    if check == 10:
        return None
    return str(check)


def is_valid_kid(ref: str) -> bool:
    """2-25 digits, valid under MOD 10 (Luhn) or MOD 11."""
    if not ref.isdigit() or not 2 <= len(ref) <= 25:
        return False
    return luhn.is_valid(ref) or kid_mod11_check_digit(ref[:-1]) == ref[-1]


def make_kid(base: str, *, mod11: bool = False) -> str:
    if mod11:
        check = kid_mod11_check_digit(base)
        if check is None:
            raise ValueError(f"no MOD 11 KID exists for base {base!r}")
        return base + check
    return base + luhn.calc_check_digit(base)
