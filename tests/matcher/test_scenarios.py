"""The scenario generator: seeded, every category present, and a truth that is a valid
allocation of its line (cash rows add up to the amount; nothing beyond an item's open)."""

from __future__ import annotations

from decimal import Decimal

from fixtures.scenarios import MIX, generate

from cashapp.domain.proposals import CASH_KINDS, AllocationKind


def test_same_seed_same_day() -> None:
    a = generate(seed=3, customers=100, open_items=800, lines=150)
    b = generate(seed=3, customers=100, open_items=800, lines=150)
    assert [t.line for t in a.lines] == [t.line for t in b.lines]
    assert a.truth == b.truth
    c = generate(seed=4, customers=100, open_items=800, lines=150)
    assert [t.line for t in a.lines] != [t.line for t in c.lines]


def test_truth_is_a_valid_allocation_and_categories_are_covered() -> None:
    scenario = generate(seed=5, customers=300, open_items=3000, lines=1500)
    assert set(scenario.categories()) == set(MIX)
    items = {i.invoice_number: i for i in scenario.ledger.open_items}
    used: set[str] = set()
    for task in scenario.lines:
        truth = scenario.truth[task.key]
        if not truth.is_payment:
            assert truth.allocations == ()
            continue
        assert task.line.amount > 0
        cash = sum((a.amount for a in truth.allocations if a.kind in CASH_KINDS), Decimal(0))
        assert cash == task.line.amount
        per_item: dict[str, Decimal] = {}
        for a in truth.allocations:
            if a.kind is not AllocationKind.ON_ACCOUNT:
                assert a.invoice_number is not None
                per_item[a.invoice_number] = per_item.get(a.invoice_number, Decimal(0)) + a.amount
                assert items[a.invoice_number].customer_id == truth.customer_id
        for number, total in per_item.items():
            assert total <= items[number].open_amount
            assert number not in used, "an item is paid by one line only"
            used.add(number)
