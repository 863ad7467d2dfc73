"""Building blocks for generated, annotated remittance text (training set and evaluation set).

A text is a list of ``Piece``s, some of them entities (INVOICE, PO, CUSTOMER, STRUCT_REF,
AMOUNT, REASON) with their gold value. Noise is applied to pieces (how a payer mistypes an
invoice number) and then to the joined text (upper case, MT940 subfield breaks, truncation
at 140 characters) while the character offsets of the entities are kept right.

The numbering styles, the ledgers of open invoices and the structured references are shared
by the training generator (``nlp_templates``) and the evaluation generator
(``fixtures/nlp/make_eval.py``), which uses its own templates and seeds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cashapp.extractors.nlp import checkdigits as cd

LABELS = ("INVOICE", "PO", "CUSTOMER", "STRUCT_REF", "AMOUNT", "REASON")


# --- the seller's numbering ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberingStyle:
    """How one seller numbers invoices: ``fmt`` gets ``year``, ``yy`` and ``seq``."""

    name: str
    fmt: str
    seq_max: int
    prefix: str = ""  # the letters a payer may leave out
    padded: bool = True

    def render(self, year: int, seq: int) -> str:
        return self.fmt.format(year=year, yy=year % 100, seq=seq)


STYLES: dict[str, NumberingStyle] = {
    s.name: s
    for s in (
        NumberingStyle("inv_year_seq", "INV-{year}-{seq:05d}", 99_999, "INV"),
        NumberingStyle("fa_padded", "FA{seq:06d}", 999_999, "FA"),
        NumberingStyle("re_plain", "RE-{seq}", 99_999, "RE", padded=False),
        NumberingStyle("year_slash", "{year}/{seq:05d}", 99_999),
        NumberingStyle("f_yy", "F{yy}-{seq:05d}", 99_999, "F"),
        NumberingStyle("inv_compact", "INV{seq:07d}", 9_999_999, "INV"),
        NumberingStyle("ft_padded", "FT-{seq:06d}", 999_999, "FT"),
        NumberingStyle("numeric8", "9{seq:07d}", 9_999_999, padded=False),
        NumberingStyle("rg_year", "RG{year}{seq:04d}", 9_999, "RG"),
        NumberingStyle("vf_dot", "VF.{yy}.{seq:04d}", 9_999, "VF"),
    )
}


@dataclass(slots=True)
class Ledger:
    """One seller's open invoice numbers and the structured references printed on some."""

    seller: str
    style: NumberingStyle
    invoices: list[str]
    payment_references: list[str] = field(default_factory=list)  # compact, printed on invoices

    def as_json(self) -> dict[str, Any]:
        return {"seller": self.seller, "style": self.style.name, "invoices": self.invoices,
                "payment_references": sorted(self.payment_references)}


def make_ledger(rng: random.Random, seller: str, style: NumberingStyle, size: int) -> Ledger:
    """``size`` open invoices sampled from a much larger issued range (open items are sparse)."""
    seen: set[str] = set()
    while len(seen) < size:
        year = rng.choice((2023, 2024, 2025))
        low = 1 if style.padded else 10 ** (len(str(style.seq_max)) - 1)
        seen.add(style.render(year, rng.randint(low, style.seq_max)))
    return Ledger(seller, style, sorted(seen))


# --- how a payer writes an invoice number ---------------------------------------------------

_CONFUSE = {"0": "O", "1": "l", "5": "S", "8": "B", "2": "Z"}
_CONFUSE_ALT = {"1": "I", "0": "o"}


def write_invoice(rng: random.Random, number: str, style: NumberingStyle, known: set[str],
                  weights: dict[str, float]) -> tuple[str, str]:
    """(written form, noise kind). The written form never equals another open number."""
    for _ in range(10):
        kind = rng.choices(list(weights), weights=list(weights.values()))[0]
        written = _apply_noise(rng, number, style, kind)
        if written is not None and (written == number or written not in known):
            return written, kind
    return number, "exact"


def _apply_noise(rng: random.Random, number: str, style: NumberingStyle, kind: str) -> str | None:
    if kind == "exact":
        return number
    if kind == "lower":
        return number.lower()
    if kind == "separators":
        seps = [c for c in number if not c.isalnum()]
        new = rng.choice(["", " ", "/", ".", "-"])
        if seps:
            return "".join(new if not c.isalnum() else c for c in number)
        if style.prefix and number.startswith(style.prefix):
            return style.prefix + rng.choice([" ", "-", "/"]) + number[len(style.prefix):]
        return None
    if kind == "prefix_missing":
        if not style.prefix or not number.startswith(style.prefix):
            return None
        rest = number[len(style.prefix):].lstrip("-./ ")
        return rest if sum(c.isdigit() for c in rest) >= 5 else None
    if kind == "zeros_dropped":
        if not style.padded:
            return None
        head = number.rstrip("0123456789")
        tail = number[len(head):]
        stripped = tail.lstrip("0")
        if stripped == tail or len(stripped) < 3 or (not head and len(stripped) < 5):
            return None
        return head + stripped
    if kind == "confusion":
        positions = [i for i, c in enumerate(number) if c in _CONFUSE]
        if not positions:
            return None
        i = rng.choice(positions)
        table = _CONFUSE_ALT if number[i] in _CONFUSE_ALT and rng.random() < 0.4 else _CONFUSE
        return number[:i] + table[number[i]] + number[i + 1:]
    if kind == "transposition":
        pairs = [i for i in range(len(number) - 1)
                 if number[i].isdigit() and number[i + 1].isdigit() and number[i] != number[i + 1]]
        if not pairs:
            return None
        i = rng.choice(pairs)
        return number[:i] + number[i + 1] + number[i] + number[i + 2:]
    if kind == "split":
        digits = [i for i in range(2, len(number) - 1) if number[i].isalnum()]
        if not digits:
            return None
        i = rng.choice(digits)
        return number[:i] + rng.choice([" ", "\n"]) + number[i:]
    raise ValueError(kind)


# --- structured references -----------------------------------------------------------------


def make_structured(rng: random.Random, scheme: str) -> tuple[str, str]:
    """(compact reference, printed form) of a valid reference of ``scheme``."""
    if scheme == "rf":
        body = str(rng.randint(10**5, 10**15))
        if rng.random() < 0.2:
            body = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10))
        ref = cd.make_rf(body)
        if rng.random() < 0.6:
            return ref, " ".join(ref[i:i + 4] for i in range(0, len(ref), 4))
        return ref, ref
    if scheme == "ogm":
        ref = cd.make_ogm(str(rng.randint(10**8, 10**10 - 1)).zfill(10))
        form = rng.random()
        if form < 0.5:
            return ref, cd.format_ogm(ref)
        if form < 0.7:
            return ref, "***" + cd.format_ogm(ref)[3:-3] + "***"
        if form < 0.9:
            return ref, cd.format_ogm(ref)[3:-3]
        return ref, ref
    if scheme == "qrr":
        ref = cd.make_qrr(str(rng.randint(10**18, 10**26 - 1)))
        if rng.random() < 0.6:
            return ref, ref[:2] + " " + " ".join(ref[i:i + 5] for i in range(2, 27, 5))
        return ref, ref
    if scheme == "fi":
        ref = cd.make_finnish(str(rng.randint(100, 10**12)))
        if rng.random() < 0.4 and len(ref) > 5:
            rev = ref[::-1]
            return ref, " ".join(rev[i:i + 5] for i in range(0, len(rev), 5))[::-1]
        return ref, ref
    if scheme == "kid":
        base = str(rng.randint(10**4, 10**14))
        if rng.random() < 0.5:
            return cd.make_kid(base), cd.make_kid(base)
        try:
            ref = cd.make_kid(base, mod11=True)
        except ValueError:
            ref = cd.make_kid(base)
        return ref, ref
    raise ValueError(scheme)


def break_check_digit(ref: str) -> str:
    """The same reference with its last digit changed (a payer's typo)."""
    last = ref[-1]
    return ref[:-1] + str((int(last) + 3) % 10) if last.isdigit() else ref[:-1] + "0"


# --- amounts ---------------------------------------------------------------------------------


def random_amount(rng: random.Random, high: int = 20_000) -> Decimal:
    cents = rng.randint(100, high * 100)
    return Decimal(cents).scaleb(-2)


def format_amount(rng: random.Random, value: Decimal, lang: str) -> str:
    """A locale rendering: ``1.234,56`` (de/nl/es/it), ``1 234,56`` (fr), ``1,234.56`` (en)."""
    integer, _, decimals = f"{value:.2f}".partition(".")
    groups: list[str] = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    grouped = rng.random() < 0.6
    if lang == "en" or (lang in ("nl", "de") and rng.random() < 0.1):
        return (",".join(groups) if grouped else "".join(groups)) + "." + decimals
    if lang == "fr":
        sep = rng.choice([" ", "\u00a0", "."]) if grouped else ""
        return sep.join(groups) + "," + decimals
    return (".".join(groups) if grouped else "".join(groups)) + "," + decimals


# --- pieces, noise on the joined text, and the record ----------------------------------------


@dataclass(slots=True)
class Piece:
    text: str
    label: str | None = None
    gold: dict[str, Any] | None = None


@dataclass(slots=True)
class Sample:
    text: str
    spans: list[tuple[int, int, str]]
    references: list[dict[str, Any]]
    amounts: list[str]
    reason: str | None
    meta: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "spans": [list(s) for s in self.spans],
                "references": self.references, "amounts": self.amounts,
                "reason": self.reason, **self.meta}


def assemble(rng: random.Random, pieces: list[Piece], *, reason: str | None, upper: float,
             split_every: float, truncate: float, typo: float) -> Sample:
    """Join pieces with single spaces, then apply whole-text noise, keeping spans right."""
    if rng.random() < typo:
        pieces = [_typo(rng, p) if p.label is None else p for p in pieces]
    text, spans = "", []
    golds: list[tuple[int, int, dict[str, Any] | None, str | None]] = []
    for piece in pieces:
        if text and not text.endswith(("\n", " ")) and not piece.text.startswith(("\n", " ")):
            text += " "
        start = len(text)
        text += piece.text
        if piece.label:
            golds.append((start, len(text), piece.gold, piece.label))
    if rng.random() < upper:
        text = text.replace("ß", "s").upper()
    if rng.random() < split_every:
        width = rng.choice((27, 35))
        positions = list(range(width, len(text), width))
        for pos in reversed(positions):
            text = text[:pos] + "\n" + text[pos:]
            golds = [(s + (s >= pos), e + (e > pos), g, lab) for s, e, g, lab in golds]
    if rng.random() < truncate and len(text) > 140:
        cut = 140
        for s, e, _, _ in golds:
            if s < cut < e:
                cut = s
        text = text[:cut].rstrip()
        golds = [x for x in golds if x[1] <= len(text)]
        if not any(label == "REASON" for _, _, _, label in golds):
            reason = None
    references, amounts = [], []
    for s, e, gold, label in golds:
        assert label is not None
        spans.append((s, e, label))
        if gold is None:
            continue
        if label in ("INVOICE", "PO", "CUSTOMER", "STRUCT_REF"):
            references.append(gold)
        elif label == "AMOUNT":
            amounts.append(gold["amount"])
    return Sample(text, spans, references, amounts, reason)


def _typo(rng: random.Random, piece: Piece) -> Piece:
    words = piece.text.split(" ")
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 4 and w.isalpha():
        j = rng.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return Piece(" ".join(words), piece.label, piece.gold)
