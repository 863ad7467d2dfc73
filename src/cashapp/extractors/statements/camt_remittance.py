"""``RmtInf``: the remittance of one camt transaction, unstructured and structured, kept whole.

- ``Ustrd`` occurrences are joined: with nothing between two pieces when the first was cut
  at the 140-character limit (a text split by length), with a space otherwise.
- Each ``Strd`` gives its ``CdtrRefInf/Ref`` as a structured reference and one
  ``ReferredDocument`` per ``RfrdDocInf`` (type ``Tp/CdOrPrtry/Cd|Prtry``, ``Nb``,
  ``RltdDt``), with the block's ``RfrdDocAmt`` (``DuePyblAmt``, ``DscntApldAmt``,
  ``CdtNoteAmt``, ``TaxAmt``, ``AdjstmntAmtAndRsn`` with ``Rsn``/``AddtlInf``,
  ``RmtdAmt``) when the block names exactly one document. A block with amounts but no
  ``RfrdDocInf`` (common with a creditor reference only) becomes a document numbered by
  that reference.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from lxml import etree

from cashapp.domain.statements import Adjustment, ReferredDocument
from cashapp.extractors.statements.camt_values import Kids, Values, first, first_text, text_of
from cashapp.extractors.statements.line_builder import referred_document

USTRD_MAX = 140


class Remittance(NamedTuple):
    text: str
    references: tuple[str, ...]
    documents: tuple[ReferredDocument, ...]


EMPTY = Remittance("", (), ())


def join_unstructured(pieces: list[str]) -> str:
    """Rejoin ``Ustrd`` pieces (raw texts): no space after a piece cut at 140 characters."""
    out: list[str] = []
    for index, raw in enumerate(pieces):
        piece = raw.strip()
        if not piece:
            continue
        if out and len(pieces[index - 1]) < USTRD_MAX:
            out.append(" ")
        out.append(piece)
    return "".join(out)


def read_remittance(
    values: Values, ustrd: list[etree._Element], strd: list[etree._Element], tx_path: str
) -> Remittance:
    """The ``RmtInf`` of one transaction (``tx_path``, named in errors), from its ``Ustrd``
    and ``Strd`` elements."""
    if not strd:  # the common case: unstructured text only
        if not ustrd:
            return EMPTY
        if len(ustrd) == 1:
            return Remittance((ustrd[0].text or "").strip(), (), ())
    pieces = [u.text or "" for u in ustrd]
    references: list[str] = []
    documents: list[ReferredDocument] = []
    for n, block in enumerate(strd):
        ref, docs = _structured(values, block, tx_path, n)
        if ref and ref not in references:
            references.append(ref)
        documents.extend(docs)
    if not pieces and not references and not documents:
        return EMPTY
    return Remittance(join_unstructured(pieces), tuple(references), tuple(documents))


def _structured(
    values: Values, strd: etree._Element, tx_path: str, n: int
) -> tuple[str | None, list[ReferredDocument]]:
    """The ``n``-th ``Strd`` block (0-based) of the transaction at ``tx_path``."""
    kids = values.kids(strd)
    reference = text_of(values.child(first(kids, "CdtrRefInf"), "Ref"))
    amounts_node = first(kids, "RfrdDocAmt")
    amounts: dict[str, Any] = {}
    if amounts_node is not None:
        amounts = _amounts(values, amounts_node, f"{_strd_path(tx_path, n)}/RfrdDocAmt")
    infos = kids.get("RfrdDocInf", [])
    documents: list[ReferredDocument] = []
    for d, info in enumerate(infos):
        info_kids = values.kids(info)
        number = first_text(info_kids, "Nb")
        if number is None:
            continue
        documents.append(
            referred_document(
                number=number,
                type=_document_type(values, first(info_kids, "Tp")),
                date=values.date_of(
                    first(info_kids, "RltdDt"),
                    _strd_path(tx_path, n),
                    f"RfrdDocInf[{d + 1}]/RltdDt",
                )
                if "RltdDt" in info_kids
                else None,
                **(amounts if len(infos) == 1 else {}),
            )
        )
    if not infos and amounts and reference:
        documents.append(referred_document(number=reference, **amounts))
    return reference, documents


def _strd_path(tx_path: str, n: int) -> str:
    """The ``n``-th ``Strd`` block's path (0-based), for error messages."""
    return f"{tx_path}/RmtInf/Strd[{n + 1}]"


def _document_type(values: Values, tp: etree._Element | None) -> str | None:
    choice = values.child(tp, "CdOrPrtry")
    return text_of(values.child(choice, "Cd")) or text_of(values.child(choice, "Prtry"))


def _amounts(values: Values, element: etree._Element | None, path: str) -> dict[str, Any]:
    if element is None:
        return {}
    kids = values.kids(element)
    found: dict[str, Any] = {}
    for name, field in (
        ("DuePyblAmt", "due_amount"),
        ("CdtNoteAmt", "credit_note_amount"),
        ("RmtdAmt", "remitted_amount"),
    ):
        node = first(kids, name)
        if node is not None:
            found[field] = values.amount(node, f"{path}/{name}")[0]
    for name, field in (("DscntApldAmt", "discount_amount"), ("TaxAmt", "tax_amount")):
        total = _sum_typed(values, kids.get(name, []), f"{path}/{name}")
        if total is not None:
            found[field] = total
    adjustments = [
        _adjustment(values, node, f"{path}/AdjstmntAmtAndRsn[{n + 1}]")
        for n, node in enumerate(kids.get("AdjstmntAmtAndRsn", []))
    ]
    if adjustments:
        found["adjustments"] = tuple(adjustments)
    return found


def _sum_typed(values: Values, nodes: list[etree._Element], path: str) -> Decimal | None:
    """``DscntApldAmt`` / ``TaxAmt``: a bare amount (v02) or ``Tp`` + ``Amt`` blocks (v04+)."""
    total: Decimal | None = None
    for n, node in enumerate(nodes):
        if node.get("Ccy") is not None:
            value = values.amount(node, f"{path}[{n + 1}]")[0]
        else:
            inner = first(values.kids(node), "Amt")
            if inner is None:
                continue
            value = values.amount(inner, f"{path}[{n + 1}]/Amt")[0]
        total = value if total is None else total + value
    return total


def _adjustment(values: Values, node: etree._Element, path: str) -> Adjustment:
    kids: Kids = values.kids(node)
    amount_node = first(kids, "Amt")
    if amount_node is None:
        raise values.error("adjustment without Amt", node, path)
    amount = values.amount(amount_node, f"{path}/Amt")[0]
    indicator = first(kids, "CdtDbtInd")
    credit = text_of(indicator) == "CRDT"
    return Adjustment(
        amount=amount,
        reason=first_text(kids, "Rsn"),
        text=first_text(kids, "AddtlInf"),
        credit=credit,
    )
