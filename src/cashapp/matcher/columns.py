"""The open items as columns: what the matcher reads per line, one flat buffer per field.

A forked worker shares its parent's pages only as long as nobody writes to them, and
CPython writes a reference count into every object it reads: a worker that reads
``OpenItem`` objects (and their Decimals, dates and strings) ends up with a private copy of
every page of them. These columns are flat ``array`` buffers (and one string per text
field), so reading a value writes nothing shared: open and invoiced amounts in minor units
(ints, never float), due and issue dates as day ordinals, customer and currency as small
integer codes, and the invoice numbers and references as one text with offsets.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cashapp.domain.ledger import OpenItem
from cashapp.domain.money import minor_units


class TextColumn:
    """Strings as one text and ``offsets`` (``n + 1`` of them): item ``p`` is
    ``text[offsets[p]:offsets[p + 1]]``, a new string each time (nothing shared is touched)."""

    __slots__ = ("offsets", "text")

    def __init__(self, values: Iterable[str]) -> None:
        parts = list(values)
        self.text = "".join(parts)
        offsets = array("I" if len(self.text) < 1 << 32 else "q", [0])
        at = 0
        for part in parts:
            at += len(part)
            offsets.append(at)
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, position: int) -> str:
        offsets = self.offsets
        return self.text[offsets[position] : offsets[position + 1]]


@dataclass(slots=True)
class ItemColumns:
    """One row per open item, in the index's order (customer, due date, invoice number)."""

    open_minor: array[int]  # open amount in minor units
    amount_minor: array[int]  # invoiced amount in minor units
    due_day: array[int]  # due date as a day ordinal (``date.toordinal``)
    issue_day: array[int]
    customer: array[int]  # customer code (``matcher.customer_codes``), ascending
    currency: array[int]  # code into ``currencies``
    currencies: list[str]
    currency_code: dict[str, int]
    numbers: TextColumn  # invoice numbers as written
    payment_refs: TextColumn  # "" when none
    pos: TextColumn  # PO numbers, "" when none


def item_columns(items: Sequence[OpenItem], customer_code: Mapping[str, int]) -> ItemColumns:
    """The columns of ``items`` (already in the index's order)."""
    open_minor, amount_minor = array("q"), array("q")
    due_day, issue_day = array("i"), array("i")
    customer, currency = array("i"), array("h")
    currencies: list[str] = []
    currency_code: dict[str, int] = {}
    places: list[int] = []
    last: str | None = None
    code_of_last = -1
    for item in items:
        code = currency_code.get(item.currency)
        if code is None:
            code = currency_code[item.currency] = len(currencies)
            currencies.append(item.currency)
            places.append(minor_units(item.currency))
        currency.append(code)
        scale = places[code]
        open_minor.append(int(item.open_amount.scaleb(scale)))
        amount_minor.append(int(item.amount.scaleb(scale)))
        due_day.append(item.due_date.toordinal())
        issue_day.append(item.issue_date.toordinal())
        if item.customer_id != last:
            last = item.customer_id
            code_of_last = customer_code[last]
        customer.append(code_of_last)
    return ItemColumns(
        open_minor=open_minor, amount_minor=amount_minor, due_day=due_day,
        issue_day=issue_day, customer=customer, currency=currency,
        currencies=currencies, currency_code=currency_code,
        numbers=TextColumn(i.invoice_number for i in items),
        payment_refs=TextColumn(i.payment_reference or "" for i in items),
        pos=TextColumn(i.po_number or "" for i in items),
    )
