"""The ledger as lookup tables, built once per run: open items by reference key, by digits,
by structured payment reference, by PO number, by customer and by amount; customers by
account, by name and by name prefix. Blocking reads these indexes, never scans the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cashapp.domain.history import CustomerHistory
from cashapp.domain.ledger import OpenItem
from cashapp.domain.money import minor_units
from cashapp.matcher.api import LedgerView
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


@dataclass(slots=True)
class LedgerIndex:
    """Everything the matcher looks up, keyed for constant-time or logarithmic access."""

    items: list[OpenItem]
    open_minor: list[int]
    by_number: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_digits: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_payment_ref: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_po: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_customer: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    customer_names: dict[str, str] = field(default_factory=dict)
    customer_keys: dict[str, str] = field(default_factory=dict)
    by_account: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    learned_accounts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_name: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    learned_names: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_name_prefix: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_name_word: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    amounts: dict[str, AmountIndex] = field(default_factory=dict)
    by_customer_amount: dict[tuple[str, int], list[int]] = field(
        default_factory=lambda: defaultdict(list))
    history: Mapping[str, CustomerHistory] = field(default_factory=dict)

    def customer_items(self, customer_id: str) -> list[int]:
        return self.by_customer.get(customer_id, [])


def build_index(ledger: LedgerView) -> LedgerIndex:
    """Index the open items (positive open amounts) and customers of ``ledger``."""
    items = [item for item in ledger.open_items if item.open_amount > 0]
    items.sort(key=lambda it: (it.customer_id, it.due_date, it.invoice_number))
    places: dict[str, int] = {}
    open_minor = [
        int(i.open_amount.scaleb(places.get(i.currency) or places.setdefault(
            i.currency, minor_units(i.currency))))
        for i in items
    ]
    index = LedgerIndex(items=items, open_minor=open_minor, history=ledger.customer_history)
    for position, item in enumerate(items):
        index.by_number[reference_key(item.invoice_number)].append(position)
        digits = digits_key(item.invoice_number)
        if digits:
            index.by_digits[digits].append(position)
        if item.payment_reference:
            index.by_payment_ref[reference_key(item.payment_reference)].append(position)
        if item.po_number:
            index.by_po[reference_key(item.po_number)].append(position)
        index.by_customer[item.customer_id].append(position)
        index.by_customer_amount[(item.customer_id, open_minor[position])].append(position)
        index.customer_names.setdefault(item.customer_id, item.customer_name)
        if item.customer_iban:
            index.by_account[iban_key(item.customer_iban)].add(item.customer_id)
    for customer in ledger.customers:
        index.customer_names[customer.customer_id] = customer.name
        for iban in customer.ibans:
            index.by_account[iban_key(iban)].add(customer.customer_id)
    for customer_id, name in index.customer_names.items():
        _index_name(index, customer_id, name)
    _add_learned(index.learned_accounts, ledger.learned_accounts, iban_key)
    _add_learned(index.learned_names, ledger.learned_names, name_key)
    _index_amounts(index)
    return index


def _index_name(index: LedgerIndex, customer_id: str, name: str) -> None:
    key = name_key(name)
    index.customer_keys[customer_id] = key
    index.by_name[key].add(customer_id)
    index.by_name_prefix[compact_name(name)[:NAME_PREFIX]].add(customer_id)
    for word in name_words(name):
        if len(word) >= 3:
            index.by_name_word[word].add(customer_id)


def _add_learned(
    target: dict[str, set[str]],
    learned: Mapping[str, tuple[str, ...]],
    key: Callable[[str], str],
) -> None:
    for raw, customers in learned.items():
        target[key(raw)].update(customers)


def _index_amounts(index: LedgerIndex) -> None:
    by_currency: dict[str, list[int]] = defaultdict(list)
    for position, item in enumerate(index.items):
        by_currency[item.currency].append(position)
    for currency, positions in by_currency.items():
        pos = np.asarray(positions, dtype=np.int64)
        minor = np.asarray([index.open_minor[p] for p in positions], dtype=np.int64)
        order = np.argsort(minor, kind="stable")
        index.amounts[currency] = AmountIndex(minor=minor[order], items=pos[order])
