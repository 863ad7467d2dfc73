"""CODA movements to bank lines: globalisation, communications and the line's identity.

One movement (a sequence number) is one bank entry. Its lines are:

- the movement itself, unless the bank globalised it: a total (type 1 or 2, or a
  globalisation code on the 0000 record) followed by details of type 5, 6 or 7. Then each
  detail that is not itself a sub-total (the globalisation codes open and close levels, as
  Febelfin describes) is a line, and the lines must add up to the total;
- details of type 8 and 9 describe the movement (gross, charges, exchange) and are kept in
  ``additional_info`` of the line they follow.

A structured communication of type 101 or 102 (Belgian OGM/VCS ``+++123/4567/89002+++``) is
a creditor reference: its 12 digits go to ``structured_references``.
"""

from __future__ import annotations

from decimal import Decimal

from cashapp.domain.statements import BankLine
from cashapp.extractors.statements.coda_records import Movement
from cashapp.extractors.statements.fixed_width import is_digits, squeeze

_LINE_DETAILS = frozenset("567")
_OGM_TYPES = frozenset({"101", "102"})


def movement_lines(
    group: list[Movement], *, entry: int, statement_id: str, currency: str
) -> tuple[list[BankLine], str | None]:
    """The bank lines of one movement group and, when its details do not add up, why."""
    head = group[0]
    described: dict[int, list[str]] = {id(m): [] for m in group}
    carriers: list[Movement] = [head]
    for detail in group[1:]:
        if detail.type in _LINE_DETAILS:
            carriers.append(detail)
        else:
            text = squeeze(_plain_communication(detail))
            described[id(carriers[-1])].append(
                f"{detail.code}: {detail.amount}" + (f" {text}" if text else "")
            )
    leaves = _leaves(head, carriers[1:])
    problem = None
    if leaves and sum((m.amount for m in leaves), Decimal(0)) != head.amount:
        problem = (
            f"line {head.line}: the details of movement {head.sequence} do not add up to "
            f"its amount {head.amount}; kept as one line"
        )
        leaves = []
    if not leaves:
        info = list(described[id(head)])
        for carrier in carriers[1:]:
            text = squeeze(_plain_communication(carrier))
            info.append(f"{carrier.code}: {carrier.amount}" + (f" {text}" if text else ""))
            info.extend(described[id(carrier)])
        return [_line(head, head, info, entry, statement_id, currency, batch=False)], problem
    lines = [
        _line(leaf, head, described[id(leaf)], entry, statement_id, currency, batch=True)
        for leaf in leaves
    ]
    return lines, problem


def _leaves(head: Movement, details: list[Movement]) -> list[Movement]:
    """The details that carry money (not sub-totals), following the globalisation codes."""
    if not details:
        return []
    levels = [0, head.globalisation] if head.globalisation else [0]
    leaves = []
    for detail in details:
        code = detail.globalisation
        if code and code != levels[-1]:
            levels.append(code)  # opens a deeper level: a sub-total
            continue
        if code:
            levels.pop()
        leaves.append(detail)
    return leaves


def _line(
    item: Movement,
    head: Movement,
    info: list[str],
    entry: int,
    statement_id: str,
    currency: str,
    *,
    batch: bool,
) -> BankLine:
    references: tuple[str, ...] = ()
    comm_type = item.communication[:3] if item.structured else ""
    if comm_type in _OGM_TYPES and is_digits(item.communication[3:15]):
        references = (item.communication[3:15],)
        remittance = squeeze(item.communication[15:])
    else:
        remittance = squeeze(_plain_communication(item))
    extra = dict(item.extra)
    extra["coda_sequence"] = f"{item.sequence}/{item.detail}"
    if comm_type:
        extra["communication_type"] = comm_type
    information = [squeeze(piece) for piece in item.information] + info
    return BankLine(
        bank_ref=_bank_ref(item, head, statement_id, batch=batch),
        entry=entry,
        amount=item.amount,
        currency=currency,
        booking_date=item.entry_date or head.entry_date,
        value_date=item.value_date,
        reversal="r_transaction" in item.extra,  # 2.2 pos. 113: reject, return, refund, reversal
        counterparty_name=item.counterparty_name or None,
        counterparty_account=item.counterparty_account or None,
        counterparty_bic=item.bic or None,
        end_to_end_id=item.customer_ref or None,
        remittance_text=remittance,
        structured_references=references,
        bank_transaction_code=item.code,
        entry_amount=head.amount if batch else None,
        additional_info=" | ".join(p for p in information if p) or None,
        extra=extra,
    )


def _plain_communication(item: Movement) -> str:
    """The communication text; a structured one without its 3-digit type."""
    return item.communication[3:] if item.structured else item.communication


def _bank_ref(item: Movement, head: Movement, statement_id: str, *, batch: bool) -> str:
    if not batch:
        return item.bank_ref or f"{statement_id}:{item.sequence}"
    if item.bank_ref and item.bank_ref != head.bank_ref:
        return item.bank_ref
    base = head.bank_ref or f"{statement_id}:{head.sequence}"
    return f"{base}/{item.detail}"
