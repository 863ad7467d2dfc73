"""The customers as codes: every customer id the index knows, sorted, numbered by its rank,
with per-code columns (item ranges, name keys, payment habits) and string-keyed tables
(accounts, names, name prefixes and words) that give codes.

Same reason as ``matcher.columns``: a forked worker that reads dicts of tuples of id strings
and ``CustomerHistory`` objects writes reference counts into them and ends up with private
copies of their pages (spread over the whole heap). Codes in flat buffers are read without
writing anything shared; an id or a name key is a new string sliced from one text. Codes
follow the sorted ids, so codes in ascending order are ids in sorted order: the order the
tuples of ids had.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cashapp.domain.history import CustomerHistory
from cashapp.matcher.columns import TextColumn


class CodeTable:
    """String keys -> customer codes (ascending), as numpy hashes sorted, the codes, and the
    keys themselves in the same order to confirm a hit (a hash collision never gives a code).
    """

    __slots__ = ("codes", "collided", "hash_of", "hashes", "keys")

    def __init__(self, entries: Iterable[tuple[str, int]],
                 hash_of: Callable[[str], int] = hash) -> None:
        pairs = list(set(entries))  # a customer listed twice under one key counts once
        self.hash_of = hash_of  # ``hash``; another only in tests (to force collisions)
        hashes = np.fromiter((hash_of(k) for k, _ in pairs), dtype=np.int64, count=len(pairs))
        codes = np.fromiter((c for _, c in pairs), dtype=np.int64, count=len(pairs))
        order = np.lexsort((codes, hashes))  # by hash, then by code
        self.hashes: npt.NDArray[np.int64] = hashes[order]
        self.codes = array("q", codes[order].tobytes())
        ordered = [pairs[n][0] for n in order.tolist()]
        self.keys = TextColumn(ordered)
        # hashes shared by different keys (as good as never): only those are confirmed one
        # entry at a time; any other run of one hash is one key, confirmed once
        repeated = (np.flatnonzero(self.hashes[1:] == self.hashes[:-1]) + 1).tolist()
        sorted_hashes = self.hashes.tolist()
        self.collided = frozenset(
            sorted_hashes[n] for n in repeated if ordered[n] != ordered[n - 1])

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, key: str) -> list[int]:
        """The codes filed under ``key``, ascending (empty when none)."""
        hashes = self.hashes
        if not len(hashes):  # e.g. no learned accounts or names yet
            return []
        wanted = self.hash_of(key)
        start = int(hashes.searchsorted(wanted))
        if start == len(hashes) or hashes[start] != wanted:
            return []
        stop = int(hashes.searchsorted(wanted, side="right"))
        keys, codes = self.keys, self.codes
        if wanted not in self.collided:
            return codes[start:stop].tolist() if keys[start] == key else []
        return [codes[s] for s in range(start, stop) if keys[s] == key]


_HABIT_FLOATS = ("delay_median", "delay_spread", "deduction_share", "deduction_rate",
                 "bundle_share", "bundle_size")


@dataclass(slots=True)
class CustomerColumns:
    """One row per customer code."""

    ids: TextColumn  # the customer ids, sorted: code = rank
    by_id: CodeTable
    first: array[int]  # its open items are the index positions [first, stop)
    stop: array[int]
    keys: TextColumn  # ``normalize.name_key`` of its name ("" when no name is known)
    # payment habits (``CustomerHistory``), NaN where it has none
    has_history: array[int]
    payments: array[int]
    habits: dict[str, array[float]]
    oldest_first_share: array[float]  # NaN: None
    usual_reason: TextColumn  # "": None

    def code(self, customer_id: str) -> int:
        """The customer's code, -1 when unknown."""
        found = self.by_id.get(customer_id)
        return found[0] if found else -1

    def history(self, code: int) -> CustomerHistory | None:
        """The customer's ``CustomerHistory`` rebuilt from the columns (a new object, the
        same values), None for a new customer or an unknown code."""
        if code < 0 or not self.has_history[code]:
            return None
        oldest = self.oldest_first_share[code]
        habits = self.habits
        return CustomerHistory(
            payments=self.payments[code],
            **{name: habits[name][code] for name in _HABIT_FLOATS},
            usual_reason=self.usual_reason[code] or None,
            oldest_first_share=None if math.isnan(oldest) else oldest,
        )


def customer_columns(
    ids: list[str],
    ranges: Mapping[str, tuple[int, int]],
    keys: Mapping[str, str],
    history: Mapping[str, CustomerHistory],
) -> CustomerColumns:
    """The columns of the customers ``ids`` (sorted)."""
    first, stop = array("q"), array("q")
    has_history, payments = array("b"), array("q")
    habits = {name: array("d") for name in _HABIT_FLOATS}
    oldest = array("d")
    reasons: list[str] = []
    for cid in ids:
        a, b = ranges.get(cid, (0, 0))
        first.append(a)
        stop.append(b)
        known = history.get(cid)
        has_history.append(known is not None)
        payments.append(known.payments if known else 0)
        for name in _HABIT_FLOATS:
            habits[name].append(getattr(known, name) if known else math.nan)
        share = known.oldest_first_share if known else None
        oldest.append(math.nan if share is None else share)
        reasons.append((known.usual_reason or "") if known else "")
    return CustomerColumns(
        ids=TextColumn(ids), by_id=CodeTable((cid, code) for code, cid in enumerate(ids)),
        first=first, stop=stop, keys=TextColumn(keys.get(cid, "") for cid in ids),
        has_history=has_history, payments=payments, habits=habits, oldest_first_share=oldest,
        usual_reason=TextColumn(reasons))
