"""The bounded subset search: finds what fits, ranks the most plausible window first, and
stays bounded however many items a customer has."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cashapp.matcher.allocate import due_runs, oldest_prefix, subsets_within


def test_finds_the_non_contiguous_subset_that_pays_exactly() -> None:
    amounts = [30000, 12345, 40000, 5000, 99999, 2655]
    found = subsets_within(amounts, [(20000, 20000)])
    assert found[0] == (1, 3, 5)
    assert sum(amounts[n] for n in found[0]) == 20000


def test_window_order_ranks_exact_before_discount() -> None:
    amounts = [10000, 10204, 500]
    found = subsets_within(amounts, [(10000, 10000), (10199, 10209)])
    assert found[:2] == [(0,), (1,)]


def test_bounded_on_a_huge_customer() -> None:
    amounts = [100 + n for n in range(400)]
    found = subsets_within(amounts, [(10**9, 10**9)], max_nodes=1000)
    assert found == []  # pruned from above: nothing can reach it, and it returns at once


def test_oldest_prefix() -> None:
    assert oldest_prefix([100, 200, 300], 300) == (0, 1)
    assert oldest_prefix([100, 200, 300], 250) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=14), st.data())
def test_every_result_is_in_a_window_and_a_planted_subset_is_found(
    amounts: list[int], data: st.DataObject
) -> None:
    picked = data.draw(st.sets(st.integers(0, len(amounts) - 1), min_size=1, max_size=3))
    target = sum(amounts[n] for n in picked)
    found = subsets_within(amounts, [(target, target)], max_nodes=100_000, max_results=50)
    assert found, "a subset of at most 3 items that pays the target exists"
    for combo in found:
        assert sum(amounts[n] for n in combo) == target
        assert len(set(combo)) == len(combo)


def test_due_runs_are_consecutive_items_paying_the_amount_exactly() -> None:
    amounts = [100, 200, 300, 50, 250]
    assert due_runs(amounts, 550) == [(1, 2, 3)]  # 300 + 250 would pay it but skip an item
    assert due_runs(amounts, 300) == [(0, 1), (3, 4)]  # the single 300 is not a run
    assert due_runs(amounts, 10_000) == []
    assert due_runs([5] * 10, 10, limit=3) == [(0, 1), (1, 2), (2, 3)]
