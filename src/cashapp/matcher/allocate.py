"""Allocation as a bounded search: which subsets of a customer's open items a payment can
settle, with open totals inside given windows (the paid amount exactly, plus the windows a
discount, a tolerated difference or the bank's charges would explain). Depth-first over
amounts in minor units, pruned from above and below, capped in nodes, so a customer with
hundreds of open items costs milliseconds, never a combinatorial blow-up.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

MAX_SIZE = 5  # invoices in one payment found without a list
MAX_ITEMS = 32  # open items of one customer searched (the oldest first)
MAX_NODES = 3_000
MAX_RESULTS = 8

Window = tuple[int, int]


def subsets_within(
    amounts: Sequence[int],
    windows: Sequence[Window],
    *,
    max_size: int = MAX_SIZE,
    max_nodes: int = MAX_NODES,
    max_results: int = MAX_RESULTS,
) -> list[tuple[int, ...]]:
    """Index tuples of ``amounts`` (positive, minor units) whose sum falls in one of the
    ``windows``; ranked by the window's order (first = most plausible), then by distance to
    the window's low end, then fewer items; at most ``max_results``."""
    if not windows or not amounts:
        return []
    order = sorted(range(len(amounts)), key=lambda n: amounts[n])
    values = [amounts[n] for n in order]
    lowest = min(w[0] for w in windows)
    highest = max(w[1] for w in windows)
    # best[k]: the sum of the k largest values, an upper bound on what k more items can add
    best = [0]
    for value in reversed(values):
        best.append(best[-1] + value)
    ordered = sorted((low, high, rank) for rank, (low, high) in enumerate(windows))
    lows = [w[0] for w in ordered]
    widest = max(high - low for low, high, _ in ordered)
    found: list[tuple[int, int, int, tuple[int, ...]]] = []
    nodes = 0
    chosen: list[int] = []

    def window_of(total: int) -> tuple[int, int] | None:
        """(rank, low) of the most plausible window holding ``total``."""
        best: tuple[int, int] | None = None
        j = bisect_right(lows, total) - 1
        while j >= 0:  # windows may overlap: look back as far as the widest window reaches
            low, high, rank = ordered[j]
            if total - low > widest:
                break
            if total <= high and (best is None or rank < best[0]):
                best = (rank, low)
            j -= 1
        return best

    size = len(values)

    def walk(start: int, total: int) -> None:
        nonlocal nodes
        room = max_size - len(chosen)
        if total + best[min(room, size)] < lowest:
            return
        if room == 1:
            # the last item: the values that fit are one ascending run, found by bisection;
            # the nodes counted and the subsets found are those of the loop below
            stop = bisect_right(values, highest - total, start)
            allowed = max_nodes - nodes  # positions visited before the cap
            nodes += stop - start + (stop < size)
            first = bisect_left(values, lowest - total, start, stop)
            for pos in range(first, min(stop, start + allowed)):
                new_total = total + values[pos]
                hit = window_of(new_total)
                if hit is not None:
                    found.append((hit[0], new_total - hit[1], len(chosen) + 1, (*chosen, pos)))
            return
        for pos in range(start, size):
            nodes += 1
            if nodes > max_nodes:
                return
            new_total = total + values[pos]
            if new_total > highest:
                return  # ascending: every later value overshoots too
            chosen.append(pos)
            if new_total >= lowest:
                hit = window_of(new_total)
                if hit is not None:
                    found.append((hit[0], new_total - hit[1], len(chosen), tuple(chosen)))
            # the child's own first test, made here: most children reach nothing
            if room > 1 and new_total + best[min(room - 1, size)] >= lowest:
                walk(pos + 1, new_total)  # noqa: F821 (deleted below, once the search is done)
            chosen.pop()

    walk(0, 0)
    del walk  # the recursive closure is a reference cycle: broken here, freed at once
    found.sort()
    unique: list[tuple[int, ...]] = []
    for *_, picked in found:
        combo = tuple(sorted(order[p] for p in picked))
        if combo not in unique:
            unique.append(combo)
        if len(unique) >= max_results:
            break
    return unique


def oldest_prefix(amounts: Sequence[int], target: int) -> tuple[int, ...] | None:
    """The first ``k`` items (already in due-date order) that add up to ``target`` exactly."""
    total = 0
    for n, value in enumerate(amounts):
        total += value
        if total == target:
            return tuple(range(n + 1))
        if total > target:
            return None
    return None


def due_runs(amounts: Sequence[int], target: int, *, limit: int = 4) -> list[tuple[int, ...]]:
    """Runs of 2..MAX_SIZE items consecutive in due-date order (a payer's payment run: what
    fell due in one period) that add up to ``target`` exactly, at most ``limit``."""
    found: list[tuple[int, ...]] = []
    for start in range(len(amounts)):
        total = amounts[start]
        for stop in range(start + 1, min(len(amounts), start + MAX_SIZE)):
            total += amounts[stop]
            if total == target:
                found.append(tuple(range(start, stop + 1)))
                if len(found) == limit:
                    return found
            if total > target:
                break
    return found
