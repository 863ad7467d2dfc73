"""Reference blocking: which open items a bank line names, and where it names them.

Reads the extractor's candidates, the structured references, the referred documents, the
linked remittance advices and the free text (token windows, so ``INV 2025 0042`` and
``RF18 5390 0754 7034`` are found), and looks each key up in the ledger indexes.
Also the other way round: the invoice numbers the line names that are shaped like the
ledger's numbering but match no open item (``unknown_invoice_numbers``), and how that
reads for a reviewer when the allocation leaves money on account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from cashapp.domain.proposals import Evidence
from cashapp.domain.reasons import ReasonCode, reason_from_iso20022
from cashapp.domain.references import ReferenceKind
from cashapp.domain.statements import ReferredDocument
from cashapp.matcher.api import LineToMatch
from cashapp.matcher.index import LedgerIndex
from cashapp.matcher.normalize import digits_key, reference_key
from cashapp.matcher.reason_words import reason_in_text

_TOKEN = re.compile(r"[^\s,;:()\[\]{}<>\"'+]+")
MAX_WINDOW = 7  # tokens joined to find spaced references (RF in groups of four)

# How strongly each way of finding a reference names the item (a prior, not a probability).
STRENGTH = {"payment_reference": 1.0, "number": 1.0, "po": 0.7, "digits": 0.6}


# The extractor's confidence in an invoice number that fits the learned numbering but is not
# open (``extractors.nlp.invoices``, edit ``unknown``): 0.45 written as the numbering writes
# it, 0.35-0.40 with zeros dropped, cut in two or labelled without its prefix; 0.25 or less
# when the prefix had to be invented (a phone number, an order number read as the numbering).
UNKNOWN_MIN_CONFIDENCE = 0.3


@dataclass(frozen=True, slots=True)
class ReferenceHit:
    """One open item named by the line: how, where, and with what amount or reason nearby."""

    item: int
    method: str  # number | payment_reference | po | digits | fuzzy
    source: str  # remittance_text | structured | referred_document | remittance | extractor ...
    strength: float
    written: str
    amount: Decimal | None = None  # what the payer says it pays on this item
    deducted: Decimal | None = None  # what the payer says it took off this item
    reason: ReasonCode | None = None
    trusted: bool = True


def find_references(task: LineToMatch, index: LedgerIndex) -> dict[int, ReferenceHit]:
    """The items the line names, best hit per item."""
    hits: dict[int, ReferenceHit] = {}

    def add(new: ReferenceHit) -> None:
        old = hits.get(new.item)
        if old is None:
            hits[new.item] = new
            return
        best, other = (new, old) if _rank(new) > _rank(old) else (old, new)
        hits[new.item] = replace(
            best,
            amount=best.amount if best.amount is not None else other.amount,
            deducted=best.deducted if best.deducted is not None else other.deducted,
            reason=best.reason or other.reason,
        )

    line = task.line
    for candidate in task.references:
        kinds = _kinds_for(candidate.kind)
        for hit in _lookup(index, candidate.normalized or candidate.text, kinds):
            item, method = hit
            add(ReferenceHit(item, method, f"extractor:{candidate.source}",
                             STRENGTH[method] * max(candidate.confidence, 0.5), candidate.text,
                             amount=candidate.amount, reason=candidate.reason))
    for ref in line.structured_references:
        for item, method in _lookup(index, ref, ("payment_reference", "number")):
            add(ReferenceHit(item, method, "structured", STRENGTH[method], ref))
    for doc in line.referred_documents:
        paid, deducted, reason = _document_amounts(doc)
        for item, method in _lookup(index, doc.number, ("number", "payment_reference", "digits")):
            add(ReferenceHit(item, method, "referred_document", STRENGTH[method], doc.number,
                             amount=paid, deducted=deducted, reason=reason))
    for remittance in task.remittances:
        for rline in remittance.lines:
            reason = rline.reason_code or reason_in_text(rline.reason_text)
            deducted = _sum_present(rline.deduction, rline.discount)
            if reason is None and rline.discount:
                reason = ReasonCode.DISCOUNT
            kinds = ("number", "payment_reference", "po", "digits")
            for item, method in _lookup(index, rline.reference, kinds):
                add(ReferenceHit(item, method, "remittance", STRENGTH[method], rline.reference,
                                 amount=rline.paid, deducted=deducted, reason=reason,
                                 trusted=remittance.trusted))
    for source, text in (("remittance_text", line.remittance_text),
                         ("end_to_end_id", line.end_to_end_id or ""),
                         ("additional_info", line.additional_info or "")):
        for item, method, written in scan_text(index, text):
            add(ReferenceHit(item, method, source, STRENGTH[method], written))
    return hits


def unknown_invoice_numbers(task: LineToMatch, index: LedgerIndex) -> tuple[str, ...]:
    """The invoice numbers the line's text names that have the ledger's numbering but no
    open item: what the extractor read as of the learned shape and ``unknown``, written
    with its prefix (or labelled an invoice), and that no index finds either. An ERP that
    exports invoices late: the ledger will know them tomorrow."""
    found: list[str] = []
    for candidate in task.references:
        number = candidate.normalized or candidate.text
        if (candidate.kind is ReferenceKind.INVOICE and "unknown" in candidate.evidence
                and candidate.confidence >= UNKNOWN_MIN_CONFIDENCE and number not in found
                and not _lookup(index, number, _kinds_for(candidate.kind))):
            found.append(number)
    return tuple(found)


def unknown_invoices_evidence(numbers: Iterable[str], on_account: Decimal) -> Evidence:
    """Why a line that names invoices the ledger does not know is not applied: the money
    the allocation leaves on account is probably theirs."""
    return Evidence(name="reference_unknown", detail=(
        f"names {', '.join(numbers)} not in the ledger: the {on_account} left on account "
        "may pay them (an invoice exported late?)"))


def scan_text(index: LedgerIndex, text: str) -> Iterable[tuple[int, str, str]]:
    """Items named in free text: windows of 1..7 tokens looked up as whole references,
    then single tokens by their digits."""
    tokens = _TOKEN.findall(text)
    keys = [reference_key(token) for token in tokens]
    seen: set[int] = set()
    # most windows name nothing: the tables' bitmaps answer that without a call
    refs, numbers, pos = index.by_payment_ref, index.by_number, index.by_po
    bits_r, bits_n, bits_p = refs.bits, numbers.bits, pos.bits
    mask_r, mask_n, mask_p = refs.mask, numbers.mask, pos.mask
    for start in range(len(tokens)):
        key = ""
        for stop in range(start, min(start + MAX_WINDOW, len(tokens))):
            key += keys[stop]
            if len(key) < 4:
                continue
            wanted = hash(key)
            low = wanted & 7  # the bit within its byte (every mask keeps the low 3 bits)
            if not (bits_n[(wanted & mask_n) >> 3] >> low & 1
                    or bits_r[(wanted & mask_r) >> 3] >> low & 1
                    or bits_p[(wanted & mask_p) >> 3] >> low & 1):
                continue
            # ``key`` is already a reference key (one is its own key): looked up as is
            found = _lookup_key(index, key, key, _WINDOW_KINDS)
            if found:
                written = " ".join(tokens[start : stop + 1])
                for item, method in found:
                    if item not in seen:
                        seen.add(item)
                        yield item, method, written
    for token, key in zip(tokens, keys, strict=True):
        for item, method in _lookup_key(index, key, token, ("digits",)):
            if item not in seen:
                seen.add(item)
                yield item, method, token


_WINDOW_KINDS = ("payment_reference", "number", "po")


def _lookup(index: LedgerIndex, text: str, kinds: Iterable[str]) -> list[tuple[int, str]]:
    return _lookup_key(index, reference_key(text), text, kinds)


def _lookup_key(
    index: LedgerIndex, key: str, text: str, kinds: Iterable[str]
) -> list[tuple[int, str]]:
    """``_lookup`` with ``key = reference_key(text)`` already computed."""
    found: list[tuple[int, str]] = []
    if not key:
        return found
    for kind in kinds:
        if kind == "digits":
            digits = digits_key(text)
            # digit-only lookups only for tokens that look like a number, not a word
            if digits and len(digits) >= 4 and len(digits) >= len(key) - 4:
                found.extend((i, "digits") for i in index.by_digits.get(digits, ()))
            continue
        table = (index.by_number if kind == "number" else index.by_payment_ref
                 if kind == "payment_reference" else index.by_po)
        positions = table.get(key, ())
        if positions:
            found.extend((i, kind) for i in positions)
    return found


def _kinds_for(kind: ReferenceKind) -> tuple[str, ...]:
    if kind is ReferenceKind.STRUCTURED:
        return ("payment_reference", "number")
    if kind is ReferenceKind.PO:
        return ("po",)
    if kind is ReferenceKind.CUSTOMER:
        return ()
    return ("number", "payment_reference", "digits")


def _rank(hit: ReferenceHit) -> tuple[float, int, int]:
    return (hit.strength, hit.amount is not None, hit.reason is not None)


def _sum_present(*values: Decimal | None) -> Decimal | None:
    present = [v for v in values if v]
    return sum(present, Decimal(0)) if present else None


def _document_amounts(
    doc: ReferredDocument,
) -> tuple[Decimal | None, Decimal | None, ReasonCode | None]:
    """What a referred document says was paid, taken off, and why."""
    reason: ReasonCode | None = None
    taken = Decimal(0)
    for adjustment in doc.adjustments:
        if not adjustment.credit:
            taken += adjustment.amount
        reason = reason or reason_from_iso20022(adjustment.reason) or reason_in_text(
            adjustment.text) or (ReasonCode.OTHER if adjustment.reason or adjustment.text else None)
    if doc.discount_amount:
        taken += doc.discount_amount
        reason = reason or ReasonCode.DISCOUNT
    if doc.credit_note_amount:
        taken += doc.credit_note_amount
        reason = reason or ReasonCode.RETURNS
    paid = doc.remitted_amount
    if paid is None and doc.due_amount is not None:
        paid = doc.due_amount - taken
    return paid, (taken or None), reason
