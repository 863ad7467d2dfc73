"""The ledger as lookup tables, built once per run: open items by reference key, by digits,
by structured payment reference, by PO number, by customer and by amount; customers by
account, by name and by name prefix. Blocking reads these indexes, never scans the ledger.

Sized for millions of open items: per item only numpy/``array`` columns (hashed reference
keys, sorted amounts, and ``matcher.columns``: amounts in minor units, dates as day
ordinals, customer and currency codes, invoice numbers as one text), no Python object per
item, so the index is small and forked workers share it copy-on-write. Matching a line reads
these columns, never the ``OpenItem`` objects (``items``, kept for the rules matcher).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cashapp.domain.history import CustomerHistory
from cashapp.domain.ledger import OpenItem
from cashapp.matcher.api import LedgerView
from cashapp.matcher.columns import ItemColumns, item_columns
from cashapp.matcher.customer_codes import CodeTable, CustomerColumns, customer_columns
from cashapp.matcher.normalize import (
    compact_name,
    digits_key,
    iban_key,
    name_key,
    name_words,
    reference_key,
)

NAME_PREFIX = 8  # characters of the compact name used to find truncated payer names
CUSTOMERS_MET = 100_000  # customer ids and codes remembered per index (then forgotten at once)


@dataclass(slots=True)
class AmountIndex:
    """Open amounts of one currency in minor units, sorted, with the items they belong to."""

    minor: npt.NDArray[np.int64]
    items: npt.NDArray[np.int64]

    def between(self, low: int, high: int, limit: int) -> list[int]:
        """Items whose open amount (minor units) lies in ``[low, high]``, at most ``limit``."""
        start = int(np.searchsorted(self.minor, low, side="left"))
        stop = int(np.searchsorted(self.minor, high, side="right"))
        return [int(i) for i in self.items[start : min(stop, start + limit)]]


class KeyTable:
    """String keys -> open-item positions as two numpy columns sorted by the key's hash
    (16 bytes per item instead of a dict entry, a string and a list: ~200 bytes). A hit is
    confirmed against the item's own key, so a hash collision can never name a wrong item.
    A bitmap of the hashes (one byte per key) answers most misses (free-text windows
    mostly miss) without a binary search.
    """

    __slots__ = ("bits", "hashes", "key_of", "mask", "positions")

    def __init__(self, hashes: array[int], positions: array[int],
                 key_of: Callable[[int], str]) -> None:
        column, found = _column(hashes), _column(positions)
        order = np.argsort(column, kind="stable")  # stable: positions ascending within a key
        self.hashes: npt.NDArray[np.int64] = column[order]
        self.positions: npt.NDArray[np.int64] = found[order]
        self.key_of = key_of
        size = 1 << max(10, (8 * len(column)).bit_length())  # bits: 1/8 to 1/16 of them set
        self.mask = size - 1
        present = np.zeros(size, dtype=bool)
        present[column & self.mask] = True
        self.bits = np.packbits(present, bitorder="little").tobytes()

    def __len__(self) -> int:
        return len(self.hashes)

    def get(self, key: str, default: Sequence[int] = ()) -> Sequence[int]:
        """Positions (ascending) of the items whose key is ``key``, else ``default``."""
        wanted = hash(key)
        bit = wanted & self.mask
        if not self.bits[bit >> 3] & (1 << (bit & 7)):
            return default
        hashes = self.hashes
        start = int(hashes.searchsorted(wanted))
        if start == len(hashes) or hashes[start] != wanted:
            return default
        stop = int(hashes.searchsorted(wanted, side="right"))
        found = [p for p in self.positions[start:stop].tolist() if self.key_of(p) == key]
        return found or default


@dataclass(slots=True)
class LedgerIndex:
    """Everything the matcher looks up, keyed for constant-time or logarithmic access.

    Per open item only compact columns are kept (reference keys as hash columns, the item
    columns, customers as contiguous position ranges: ``items`` is sorted by customer); per
    customer, the columns and code tables of ``matcher.customer_codes``.
    """

    items: list[OpenItem]
    columns: ItemColumns
    open_minor: array[int]  # open amount of each item in minor units (``columns.open_minor``)
    by_number: KeyTable
    by_digits: KeyTable
    by_payment_ref: KeyTable
    by_po: KeyTable
    customers: CustomerColumns
    # string keys -> customer codes
    by_account: CodeTable
    learned_accounts: CodeTable
    by_name: CodeTable
    learned_names: CodeTable
    by_name_prefix: CodeTable
    by_name_word: CodeTable
    amounts: dict[str, AmountIndex] = field(default_factory=dict)
    # payer name -> what ``customers.match_name`` found for it (a cache, filled while matching)
    name_matches: dict[str, tuple[tuple[str, float, str], ...]] = field(default_factory=dict)
    # customer id <-> code for the customers met while matching (caches of this process,
    # bounded: the same payers come back all night; a string hashes once)
    codes_met: dict[str, int] = field(default_factory=dict)
    ids_met: dict[int, str] = field(default_factory=dict)
    history: Mapping[str, CustomerHistory] = field(default_factory=dict)

    def customer_of(self, position: int) -> str:
        """The customer id of the item at ``position``."""
        code = self.columns.customer[position]
        found = self.ids_met.get(code)
        if found is None:
            if len(self.ids_met) >= CUSTOMERS_MET:
                self.ids_met.clear()
            found = self.ids_met[code] = self.customers.ids[code]
        return found

    def customer_code(self, customer_id: str) -> int:
        """The customer's code, -1 when unknown."""
        code = self.codes_met.get(customer_id)
        if code is None:
            if len(self.codes_met) >= CUSTOMERS_MET:
                self.codes_met.clear()
            code = self.codes_met[customer_id] = self.customers.code(customer_id)
        return code

    def customer_items(self, customer_id: str) -> range:
        """Positions of the customer's open items, in (due date, invoice number) order."""
        customers = self.customers
        code = self.customer_code(customer_id)
        return range(customers.first[code], customers.stop[code]) if code >= 0 else range(0)

    def customer_amount_items(self, customer_id: str, amount_minor: int) -> list[int]:
        """The customer's open items whose open amount is exactly ``amount_minor``."""
        open_minor = self.open_minor
        return [p for p in self.customer_items(customer_id) if open_minor[p] == amount_minor]

    def customer_history(self, customer_id: str) -> CustomerHistory | None:
        """How the customer usually pays (from the columns), None for a new customer."""
        return self.customers.history(self.customer_code(customer_id))


def build_index(ledger: LedgerView) -> LedgerIndex:
    """Index the open items (positive open amounts) and customers of ``ledger``."""
    items = [item for item in ledger.open_items if item.open_amount > 0]
    items.sort(key=lambda it: (it.customer_id, it.due_date, it.invoice_number))
    keys: dict[str, tuple[array[int], array[int]]] = {
        kind: (array("q"), array("q")) for kind in ("number", "digits", "payment_ref", "po")}
    # the columns' appends bound once (this loop runs once per open item)
    number_hash, number_pos = keys["number"][0].append, keys["number"][1].append
    digits_hash, digits_pos = keys["digits"][0].append, keys["digits"][1].append
    ref_hash, ref_pos = keys["payment_ref"][0].append, keys["payment_ref"][1].append
    po_hash, po_pos = keys["po"][0].append, keys["po"][1].append

    ranges: dict[str, tuple[int, int]] = {}
    names: dict[str, str] = {}
    accounts: list[tuple[str, str]] = []  # (account key, customer id)
    current: str | None = None  # the customer whose items the loop is in
    iban: str | None = None
    first = 0
    for position, item in enumerate(items):
        number_hash(hash(reference_key(item.invoice_number)))
        number_pos(position)
        digits = digits_key(item.invoice_number)
        if digits:
            digits_hash(hash(digits))
            digits_pos(position)
        if item.payment_reference:
            ref_hash(hash(reference_key(item.payment_reference)))
            ref_pos(position)
        if item.po_number:
            po_hash(hash(reference_key(item.po_number)))
            po_pos(position)
        cid = item.customer_id
        if cid != current:  # items are sorted by customer: a new range
            current, first, iban = cid, position, None
            names.setdefault(cid, item.customer_name)
        ranges[cid] = (first, position + 1)
        if item.customer_iban and item.customer_iban != iban:
            iban = item.customer_iban  # the same account item after item: added once
            accounts.append((iban_key(iban), cid))
    for customer in ledger.customers:
        names[customer.customer_id] = customer.name
        accounts.extend((iban_key(iban), customer.customer_id) for iban in customer.ibans)
    learned_accounts = _learned(ledger.learned_accounts, iban_key)
    learned_names = _learned(ledger.learned_names, name_key)
    ids = sorted(set(ranges) | set(names) | {c for _, c in accounts}
                 | {c for _, c in learned_accounts} | {c for _, c in learned_names})
    code = {cid: n for n, cid in enumerate(ids)}
    name_keys = {cid: name_key(name) for cid, name in names.items()}
    by_prefix: list[tuple[str, int]] = []
    by_word: list[tuple[str, int]] = []
    for cid, name in names.items():
        by_prefix.append((compact_name(name)[:NAME_PREFIX], code[cid]))
        by_word.extend((word, code[cid]) for word in name_words(name) if len(word) >= 3)
    columns = item_columns(items, code)
    numbers, refs, pos = columns.numbers, columns.payment_refs, columns.pos
    index = LedgerIndex(
        items=items,
        columns=columns,
        open_minor=columns.open_minor,
        # a hit is confirmed from the columns (a new string), not from the item
        by_number=KeyTable(*keys["number"], lambda p: reference_key(numbers[p])),
        by_digits=KeyTable(*keys["digits"], lambda p: digits_key(numbers[p])),
        by_payment_ref=KeyTable(*keys["payment_ref"], lambda p: reference_key(refs[p])),
        by_po=KeyTable(*keys["po"], lambda p: reference_key(pos[p])),
        customers=customer_columns(ids, ranges, name_keys, ledger.customer_history),
        by_account=CodeTable((key, code[c]) for key, c in accounts),
        learned_accounts=CodeTable((key, code[c]) for key, c in learned_accounts),
        by_name=CodeTable((key, code[c]) for c, key in name_keys.items()),
        learned_names=CodeTable((key, code[c]) for key, c in learned_names),
        by_name_prefix=CodeTable(by_prefix),
        by_name_word=CodeTable(by_word),
        history=ledger.customer_history,
    )
    _index_amounts(index)
    return index


def _column(values: array[int]) -> npt.NDArray[np.int64]:
    """An ``array('q')`` as a numpy column (a copy-free view when not empty)."""
    return np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, np.int64)


def _learned(
    learned: Mapping[str, tuple[str, ...]], key: Callable[[str], str]
) -> list[tuple[str, str]]:
    """(normalised key, customer id) for every learned payer account or name."""
    return [(key(raw), cid) for raw, customers in learned.items() for cid in customers]


def _index_amounts(index: LedgerIndex) -> None:
    columns = index.columns
    currency = np.frombuffer(columns.currency, dtype=np.int16) if len(columns.currency) else (
        np.zeros(0, np.int16))
    every = _column(index.open_minor)
    for name, code in columns.currency_code.items():
        pos = np.flatnonzero(currency == code).astype(np.int64)
        minor = every[pos]
        order = np.argsort(minor, kind="stable")
        index.amounts[name] = AmountIndex(minor=minor[order], items=pos[order])
