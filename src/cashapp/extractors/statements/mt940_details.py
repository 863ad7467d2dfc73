"""The dialects of MT940 field ``:86:`` (information to account owner), read into bank-line facts.

``:86:`` is free text (6*65x) that many banks structure their own way:

- German (DK/ZKA "Strukturierter Verwendungszweck") and Polish: a 3-digit business
  transaction code (GVC) then subfields ``?00`` posting text, ``?10`` primanota,
  ``?20..?29`` and ``?60..?63`` purpose, ``?30`` BIC or bank code (BLZ: the account is
  then ``BLZ/account``), ``?31`` account,
  ``?32``/``?33`` name, ``?34`` SEPA return reason, ``?38`` IBAN (Polish). The subfield mark is
  ``?`` (DK), ``>``, ``^``, ``<`` or ``~`` (Polish banks). The purpose carries SEPA keys
  ``EREF+ KREF+ MREF+ CRED+ DEBT+ SVWZ+ ABWA+ ABWE+ ...``; text split across subfields
  is rejoined (a subfield holds 27 characters: a full one continues in the next).
- Dutch (ING, Rabobank, ABN AMRO, Knab, ASN, bunq) and SWIFT-style: ``/KEY/value`` pairs,
  ``/EREF/ /REMI/ /NAME/ /IBAN/ /BIC/ /ORDP/ /BENM/ /CNTP/ /MARF/ /CSID/ ...``.
- Anything else (Swiss, Nordic, mBank's ``;``-separated text, plain text): kept as the
  remittance text, lines rejoined.

Nothing here ever evaluates or formats the text (it is untrusted).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

# A German/Polish subfield: mark + two digits. The text must open with one within its first 4
# characters (after the GVC) for the dialect to apply.
_SUBFIELD_START = re.compile(r"^\s*(?:\d{3})?\s*([?>^<~])\d\d")
# The SEPA keys, each followed by "+" (BIC is the only 3-letter one).
_SEPA_KEYS4 = frozenset(
    {"EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "COAM", "OAMT", "BREF"}
    | {"RREF", "PURP", "IBAN"}
)
_EXTRA_KEYS = frozenset({"KREF", "CRED", "DEBT", "COAM", "OAMT", "BREF", "RREF", "PURP"})
_NOT_PROVIDED = frozenset({"", "NOTPROVIDED", "NONREF", "NOREF", "NONE"})

_DUTCH_KEYS = (
    "EREF|REMI|NAME|IBAN|BIC|ORDP|BENM|CNTP|MARF|CSID|PREF|RTRN|TRCD|TRTP|ISDT|PURP|ULTC|ULTD"
    "|ULTB|ADDR|SUM|ACCW|BUSP|EXCH|OCMT|CHGS|IREF|RTYP|ORIG|BBAN|SVCL|FEES|CDTRREF|CDTRREFTP"
)
_DUTCH_START = re.compile(rf"^\s*/({_DUTCH_KEYS})/")
_DUTCH_SPLIT = re.compile(rf"/({_DUTCH_KEYS})/")
_PARTY_KEYS = frozenset({"ORDP", "BENM", "CNTP"})
_ULTIMATE_KEYS = frozenset({"ULTC", "ULTD", "ULTB"})
_SPACES = re.compile(r"\s+")

# A full SWIFT line is 65 characters: a line that long was wrapped, not ended.
_FULL_LINE = 65
_FULL_SUBFIELD = 27


def join_lines(lines: list[str]) -> str:
    """Free-text lines rejoined: a full-width line continues without a space."""
    if len(lines) == 1:
        return lines[0]
    out = [lines[0]]
    for previous, line in itertools.pairwise(lines):
        if len(previous) < _FULL_LINE and not previous.endswith(" "):
            out.append(" ")
        out.append(line)
    return "".join(out)


def _clean(text: str) -> str:
    return " ".join(text.split())


def parse_details(raw: str) -> dict[str, Any]:
    """The facts of one ``:86:`` (its text, physical lines joined by newlines), as
    ``BankLine`` keyword arguments.

    Always sets ``remittance_text``; the other keys only when the text carries them. Never
    ``additional_info`` (read as free text downstream: the raw text would give every
    reference twice, and its subfield marks and line breaks cut references apart); a
    structured text is kept as written in ``extra["raw_details"]``, for inspection only.
    """
    # the common German layout first (it opens "GVC?00", which _SUBFIELD_START matches)
    common = _COMMON_GERMAN.fullmatch(raw.replace("\n", "")) if raw[3:6] == "?00" else None
    subfields = None if common else _SUBFIELD_START.match(raw)
    if common:
        facts = _common_details(common)
    elif subfields:
        facts = _subfield_details(raw.replace("\n", ""), subfields.group(1))
    elif _DUTCH_START.match(raw):
        facts = _dutch_details(raw.replace("\n", ""))
    else:
        return _free_text_details(raw.split("\n"))
    facts.setdefault("extra", {})["raw_details"] = raw
    return facts


# Free-text layouts that still name the counterparty: Knab/SNS "REK: ... NAAM: ...", and ABN
# AMRO's classic layout (account, then the name up to a run of spaces).
_REK = re.compile(r"\bREK:\s*([A-Z]{2}\d{2}[A-Z0-9]{8,30}|\d{5,12})")
_ABN_CLASSIC = re.compile(r"(?:GIRO\s+(\d+)|(\d\d\.\d\d\.\d\d\.\d{3}))\s+(\S.*?)(?:\s{2,}|$)")


def _free_text_details(lines: list[str]) -> dict[str, Any]:
    text = join_lines(lines)
    facts: dict[str, Any] = {"remittance_text": _clean(text)}
    name = next((line.split("NAAM:", 1)[1] for line in lines if "NAAM:" in line), None)
    if name is not None and name.strip():
        facts["counterparty_name"] = _clean(name)
    account = _REK.search(text)
    if account:
        facts["counterparty_account"] = account.group(1)
    classic = _ABN_CLASSIC.match(lines[0])
    if classic and not name:
        facts["counterparty_account"] = (classic.group(1) or classic.group(2)).replace(".", "")
        facts["counterparty_name"] = _clean(classic.group(3))
    return facts


# What each DK subfield number holds ("purpose" and "name" pieces are rejoined).
_SUBFIELD_ROLE: dict[str, str] = {
    **{f"{n:02d}": "purpose" for n in (*range(20, 30), *range(60, 64))},
    "32": "name",
    "33": "name",
    "00": "posting_text",
    "10": "primanota",
    "30": "bic",
    "31": "account",
    "34": "return_reason",
    "38": "iban",
}


# The layout most German banks write, subfields in order: GVC ?00 [?10] ?2x... [?30] [?31]
# [?32] [?33] [?34]. Read by one regex (``_common_details``), as ``_subfield_details`` reads
# it: that loop over the subfields was the costliest part of a German line.
_COMMON_GERMAN = re.compile(
    r"(\d{3})\?00([^?]*)(?:\?10([^?]*))?((?:\?2[0-9][^?]*)+)"
    r"(?:\?30([^?]*))?(?:\?31([^?]*))?(?:\?32([^?]*))?(?:\?33([^?]*))?(?:\?34([^?]*))?",
    re.ASCII,
)


# The purpose most often: [EREF+...] SVWZ+..., no other "+" (so no other key).
_EREF_SVWZ = re.compile(r"(?:EREF\+([^+]*))?SVWZ\+([^+]*)")


def _common_details(match: re.Match[str]) -> dict[str, Any]:
    gvc, posting, primanota, purpose, bank, account, name, name_more, reason = match.groups()
    extra: dict[str, str] = {"gvc": gvc}
    purpose_text = _rejoin([piece[2:] for piece in purpose[1:].split("?")])
    facts: dict[str, Any]
    sepa = _EREF_SVWZ.fullmatch(purpose_text)
    if sepa:  # what _sepa_keys reads from these two keys alone
        eref, svwz = sepa.groups()
        facts = {"remittance_text": _clean(svwz)}
        if eref is not None and (eref := eref.strip()).upper() not in _NOT_PROVIDED:
            facts["end_to_end_id"] = eref
    else:
        keyed = _sepa_keys(purpose_text, extra) if "+" in purpose_text else None
        facts = keyed or {"remittance_text": _clean(purpose_text)}
    if name is not None or name_more is not None:
        names = [name] if name_more is None else [name_more] if name is None else [name, name_more]
        facts["counterparty_name"] = _clean(_rejoin(names)) or None
    _account_facts(account.strip() if account else "", bank.strip() if bank else "", facts)
    extra["posting_text"] = posting.strip()
    if primanota is not None:
        extra["primanota"] = primanota.strip()
    if reason is not None:
        extra["return_reason"] = reason.strip()
    facts["extra"] = extra
    return facts


def _subfield_details(text: str, mark: str) -> dict[str, Any]:
    # The hot path of a German file (half of an MT940 read): one split, one pass over the
    # subfields with a dict lookup each, the rejoining inlined.
    head, *parts = text.split(mark)
    extra: dict[str, str] = {}
    code = head.strip()
    if code:
        extra["gvc"] = code
    purpose: list[str] = []
    name: list[str] = []
    found: dict[str, str] = {}
    role_of = _SUBFIELD_ROLE.get
    for part in parts:
        number = part[:2]
        role = role_of(number)
        if role == "purpose":
            purpose.append(part[2:])
        elif role == "name":
            name.append(part[2:])
        elif role is not None:
            found[role] = part[2:].strip()
        elif number.isdigit():
            extra[f"subfield_{number}"] = part[2:].strip()
        elif purpose:  # a stray mark inside the text belongs to the previous subfield
            purpose[-1] += mark + part
    purpose_text = _rejoin(purpose)
    keyed = _sepa_keys(purpose_text, extra) if "+" in purpose_text else None
    facts: dict[str, Any] = keyed or {"remittance_text": _clean(purpose_text)}
    if name:
        facts["counterparty_name"] = _clean(_rejoin(name)) or None
    if found:
        _found_facts(found, facts, extra)
    if extra:
        facts["extra"] = extra
    return facts


def _account_facts(account: str, bank: str, facts: dict[str, Any]) -> None:
    """The payer's account and bank into the facts: a German bank code (BLZ), not a BIC,
    makes "BLZ/account" as in ``:25:``."""
    if bank.isdigit():
        account = f"{bank}/{account}" if account and not account[:2].isalpha() else account
        account = account or bank
    elif bank:
        facts["counterparty_bic"] = bank
    if account:
        facts["counterparty_account"] = account


def _found_facts(found: dict[str, str], facts: dict[str, Any], extra: dict[str, str]) -> None:
    """The account, bank and posting subfields (``?30 ?31 ?38 ?00 ?10 ?34``) into the facts."""
    _account_facts(found.get("iban") or found.get("account") or "", found.get("bic", ""), facts)
    for key in ("posting_text", "primanota", "return_reason"):
        if key in found:
            extra[key] = found[key]


def _rejoin(pieces: list[str]) -> str:
    """Subfield texts rejoined: a full 27-character subfield continues without a space."""
    if len(pieces) < 2:
        return pieces[0] if pieces else ""
    out = [pieces[0]]
    for previous, piece in itertools.pairwise(pieces):
        if previous and len(previous) < _FULL_SUBFIELD and previous[-1] != " ":
            out.append(" ")
        out.append(piece)
    return "".join(out)


def _sepa_keys(purpose: str, extra: dict[str, str]) -> dict[str, Any] | None:
    """``EREF+... SVWZ+...`` in the purpose text: the facts (``None`` without keys); the
    keys that are not facts go to ``extra``."""
    pieces = _split_sepa(purpose)
    if len(pieces) < 3:
        return None
    values: dict[str, str] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        if key not in values:
            values[key] = value.strip()
    get = values.get
    text = _clean(get("SVWZ", ""))
    before = pieces[0].strip()
    if before:
        text = f"{_clean(before)} {text}".strip()
    facts: dict[str, Any] = {"remittance_text": text}
    eref = get("EREF", "")
    if eref.upper() not in _NOT_PROVIDED:
        facts["end_to_end_id"] = eref
    if get("MREF"):
        facts["mandate_id"] = values["MREF"]
    ultimate = get("ABWA") or get("ABWE")
    if ultimate:
        facts["ultimate_party"] = ultimate
    if get("IBAN"):
        facts["counterparty_account"] = values["IBAN"]
    if get("BIC"):
        facts["counterparty_bic"] = values["BIC"]
    if len(values) > len(facts):
        for key, value in values.items():
            if key in _EXTRA_KEYS:
                extra[f"sepa_{key.lower()}"] = value
    return facts


def _split_sepa(purpose: str) -> list[str]:
    r"""``re.split(r"(EREF|KREF|...|BIC)\+", purpose)``, from the ``+`` signs (a regex tries
    every position and was a fifth of a German line's reading): a key is the 4 letters (or
    ``BIC``) just before a ``+``; a ``+`` after anything else stays in the text. Linear: the
    pieces are sliced from ``purpose``, never grown."""
    pieces: list[str] = []
    start = 0  # where the text after the last key starts
    at = -1  # the "+" sign looked at
    for segment in purpose.split("+")[:-1]:
        at += len(segment) + 1
        if purpose[max(start, at - 4) : at] in _SEPA_KEYS4:
            pieces += (purpose[start : at - 4], purpose[at - 4 : at])
        elif purpose[max(start, at - 3) : at] == "BIC":
            pieces += (purpose[start : at - 3], "BIC")
        else:
            continue
        start = at + 1
    pieces.append(purpose[start:])
    return pieces


def _dutch_details(text: str) -> dict[str, Any]:
    pieces = _DUTCH_SPLIT.split(text)
    facts: dict[str, Any] = {}
    extra: dict[str, str] = {}
    party = ""
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        value = value.strip().strip("/").strip()
        if key in _PARTY_KEYS or key in _ULTIMATE_KEYS:
            party = key
            if key == "CNTP" and value:
                _cntp(value, facts)
            elif value and key in _ULTIMATE_KEYS:
                facts.setdefault("ultimate_party", _clean(value.split("/")[0]))
            continue
        if key == "NAME":
            target = "ultimate_party" if party in _ULTIMATE_KEYS else "counterparty_name"
            if value:
                facts.setdefault(target, _clean(value))
        elif key in ("IBAN", "BBAN"):
            if value and party not in _ULTIMATE_KEYS:
                facts.setdefault("counterparty_account", value)
        elif key == "BIC":
            if value and party not in _ULTIMATE_KEYS:
                facts.setdefault("counterparty_bic", value)
        elif key == "EREF":
            if value.upper() not in _NOT_PROVIDED:
                facts.setdefault("end_to_end_id", value)
        elif key == "REMI":
            _remi(value, facts)
        elif key == "MARF":
            facts.setdefault("mandate_id", value)
        elif value:
            extra.setdefault(key.lower(), value)
    facts.setdefault("remittance_text", "")
    if extra:
        facts["extra"] = extra
    return facts


def _cntp(value: str, facts: dict[str, Any]) -> None:
    """ING ``/CNTP/account/bic/name/city/``."""
    fields = value.split("/")
    if fields[0]:
        facts.setdefault("counterparty_account", fields[0])
    if len(fields) > 1 and fields[1]:
        facts.setdefault("counterparty_bic", fields[1])
    if len(fields) > 2 and fields[2]:
        facts.setdefault("counterparty_name", _clean(fields[2]))


def _remi(value: str, facts: dict[str, Any]) -> None:
    """``/REMI/`` text, or ``USTD//text``, or ``STRD/CUR/reference`` (a structured reference)."""
    if value.startswith("USTD/"):
        value = value[5:].lstrip("/")
    elif value.startswith("STRD/"):
        _, _, rest = value[5:].partition("/")
        reference = rest.strip("/").strip()
        if reference:
            facts["structured_references"] = (reference,)
        value = reference
    text = _clean(value)
    if text:
        previous = facts.get("remittance_text")
        facts["remittance_text"] = f"{previous} {text}" if previous else text
