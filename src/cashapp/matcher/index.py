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
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cashapp.domain.history import CustomerHistory
from cashapp.domain.ledger import OpenItem
from cashapp.matcher.api import LedgerView
from cashapp.matcher.columns import ItemColumns, item_columns
from cashapp.matcher.normalize import (
    compact_name,
    digits_key,
    iban_key,
    name_key,
    name_words,
    reference_key,
)

NAME_PREFIX = 8  # characters of the compact name used to find truncated payer names


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

    Per open item only compact columns are kept (reference keys as hash columns, open
    amounts as an ``array``, customers as contiguous position ranges: ``items`` is sorted
    by customer); per customer, small dicts of names and accounts.
    """

    items: list[OpenItem]
    columns: ItemColumns
    open_minor: array[int]  # open amount of each item in minor units (``columns.open_minor``)
    by_number: KeyTable
    by_digits: KeyTable
    by_payment_ref: KeyTable
    by_po: KeyTable
    customer_ranges: dict[str, tuple[int, int]]  # customer id -> its items' positions [a, b)
    customer_names: dict[str, str] = field(default_factory=dict)
    customer_keys: dict[str, str] = field(default_factory=dict)
    by_account: dict[str, tuple[str, ...]] = field(default_factory=dict)
    learned_accounts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_name: dict[str, tuple[str, ...]] = field(default_factory=dict)
    learned_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_name_prefix: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_name_word: dict[str, tuple[str, ...]] = field(default_factory=dict)
    amounts: dict[str, AmountIndex] = field(default_factory=dict)
    # payer name -> what ``customers.match_name`` found for it (a cache, filled while matching)
    name_matches: dict[str, tuple[tuple[str, float, str], ...]] = field(default_factory=dict)
    history: Mapping[str, CustomerHistory] = field(default_factory=dict)

    def customer_of(self, position: int) -> str:
        """The customer id of the item at ``position``."""
        columns = self.columns
        return columns.customer_ids[columns.customer[position]]

    def customer_items(self, customer_id: str) -> range:
        """Positions of the customer's open items, in (due date, invoice number) order."""
        start, stop = self.customer_ranges.get(customer_id, (0, 0))
        return range(start, stop)

    def customer_amount_items(self, customer_id: str, amount_minor: int) -> list[int]:
        """The customer's open items whose open amount is exactly ``amount_minor``."""
        start, stop = self.customer_ranges.get(customer_id, (0, 0))
        open_minor = self.open_minor
        return [p for p in range(start, stop) if open_minor[p] == amount_minor]


def build_index(ledger: LedgerView) -> LedgerIndex:
    """Index the open items (positive open amounts) and customers of ``ledger``."""
    items = [item for item in ledger.open_items if item.open_amount > 0]
    items.sort(key=lambda it: (it.customer_id, it.due_date, it.invoice_number))
    columns = item_columns(items)
    numbers, refs, pos = columns.numbers, columns.payment_refs, columns.pos
    keys: dict[str, tuple[array[int], array[int]]] = {
        kind: (array("q"), array("q")) for kind in ("number", "digits", "payment_ref", "po")}
    # the columns' appends bound once (this loop runs once per open item)
    number_hash, number_pos = keys["number"][0].append, keys["number"][1].append
    digits_hash, digits_pos = keys["digits"][0].append, keys["digits"][1].append
    ref_hash, ref_pos = keys["payment_ref"][0].append, keys["payment_ref"][1].append
    po_hash, po_pos = keys["po"][0].append, keys["po"][1].append

    ranges: dict[str, tuple[int, int]] = {}
    names: dict[str, str] = {}
    accounts: dict[str, set[str]] = defaultdict(set)
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
            accounts[iban_key(iban)].add(cid)
    index = LedgerIndex(
        items=items,
        columns=columns,
        open_minor=columns.open_minor,
        # a hit is confirmed from the columns (a new string), not from the item
        by_number=KeyTable(*keys["number"], lambda p: reference_key(numbers[p])),
        by_digits=KeyTable(*keys["digits"], lambda p: digits_key(numbers[p])),
        by_payment_ref=KeyTable(*keys["payment_ref"], lambda p: reference_key(refs[p])),
        by_po=KeyTable(*keys["po"], lambda p: reference_key(pos[p])),
        customer_ranges=ranges,
        customer_names=names,
        history=ledger.customer_history,
    )
    for customer in ledger.customers:
        index.customer_names[customer.customer_id] = customer.name
        for iban in customer.ibans:
            accounts[iban_key(iban)].add(customer.customer_id)
    by_name: dict[str, set[str]] = defaultdict(set)
    by_prefix: dict[str, set[str]] = defaultdict(set)
    by_word: dict[str, set[str]] = defaultdict(set)
    for customer_id, name in index.customer_names.items():
        key = name_key(name)
        index.customer_keys[customer_id] = key
        by_name[key].add(customer_id)
        by_prefix[compact_name(name)[:NAME_PREFIX]].add(customer_id)
        for word in name_words(name):
            if len(word) >= 3:
                by_word[word].add(customer_id)
    index.by_account = _frozen(accounts)
    index.by_name = _frozen(by_name)
    index.by_name_prefix = _frozen(by_prefix)
    index.by_name_word = _frozen(by_word)
    index.learned_accounts = _learned(ledger.learned_accounts, iban_key)
    index.learned_names = _learned(ledger.learned_names, name_key)
    _index_amounts(index)
    return index


def _column(values: array[int]) -> npt.NDArray[np.int64]:
    """An ``array('q')`` as a numpy column (a copy-free view when not empty)."""
    return np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, np.int64)


def _frozen(table: Mapping[str, set[str]]) -> dict[str, tuple[str, ...]]:
    """Sets as sorted tuples (a fifth of the memory). Sorted, not in the sets' own order:
    a set of strings iterates in an order Python randomises per process (PYTHONHASHSEED),
    and these orders decide candidate order and tie-breaks downstream."""
    return {key: tuple(sorted(members)) for key, members in table.items()}


def _learned(
    learned: Mapping[str, tuple[str, ...]], key: Callable[[str], str]
) -> dict[str, tuple[str, ...]]:
    table: dict[str, set[str]] = defaultdict(set)
    for raw, customers in learned.items():
        table[key(raw)].update(customers)
    return _frozen(table)


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
