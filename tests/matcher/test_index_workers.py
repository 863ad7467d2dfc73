"""The compact ledger index answers exactly what a scan of the ledger would, a hash
collision never names a wrong item, and forked workers give the same results in the same
order as one process."""

from __future__ import annotations

from array import array
from collections import defaultdict

import pytest
from fixtures.scenarios import generate

from cashapp.matcher import workers
from cashapp.matcher.api import MatchPolicy
from cashapp.matcher.customer_codes import CodeTable
from cashapp.matcher.index import KeyTable, build_index
from cashapp.matcher.model import load_scorer
from cashapp.matcher.normalize import digits_key, reference_key
from cashapp.matcher.scored import ScoredMatcher


def test_index_lookups_equal_a_scan_of_the_ledger() -> None:
    scenario = generate(seed=11, customers=150, open_items=1500, lines=10)
    index = build_index(scenario.ledger)
    numbers: dict[str, list[int]] = defaultdict(list)
    digits: dict[str, list[int]] = defaultdict(list)
    per_customer: dict[str, list[int]] = defaultdict(list)
    for position, item in enumerate(index.items):
        numbers[reference_key(item.invoice_number)].append(position)
        if digits_key(item.invoice_number):
            digits[digits_key(item.invoice_number)].append(position)
        per_customer[item.customer_id].append(position)
    assert all(list(index.by_number.get(k)) == v for k, v in numbers.items())
    assert all(list(index.by_digits.get(k)) == v for k, v in digits.items())
    assert index.by_number.get("NOSUCHINVOICE") == ()
    for customer_id, positions in per_customer.items():
        assert list(index.customer_items(customer_id)) == positions
        amount = index.open_minor[positions[-1]]
        assert index.customer_amount_items(customer_id, amount) == [
            p for p in positions if index.open_minor[p] == amount]
    assert list(index.customer_items("nobody")) == []


def test_a_hash_collision_does_not_name_the_other_item() -> None:
    keys = ["INV1", "INV2"]
    colliding = array("q", [hash("INV1"), hash("INV1")])  # INV2 forced onto INV1's hash
    table = KeyTable(colliding, array("q", [0, 1]), lambda p: keys[p])
    assert list(table.get("INV1")) == [0]
    assert table.get("INV2") == ()


def test_customer_code_table_confirms_every_key_of_a_shared_hash() -> None:
    entries = [("mueller", 4), ("schmidt", 1), ("mueller", 2), ("meyer", 3), ("mueller", 2)]
    colliding = CodeTable(entries, hash_of=lambda key: 7)  # every key on one hash
    assert colliding.get("mueller") == [2, 4]
    assert colliding.get("schmidt") == [1]
    assert colliding.get("weber") == []
    plain = CodeTable(entries)
    assert plain.get("mueller") == [2, 4]
    assert plain.get("weber") == []
    assert CodeTable([]).get("mueller") == []


def test_customer_columns_give_back_the_histories_and_ranges() -> None:
    scenario = generate(seed=11, customers=150, open_items=1500, lines=10)
    index = build_index(scenario.ledger)
    for position, item in enumerate(index.items):
        assert index.customer_of(position) == item.customer_id
        assert index.columns.numbers[position] == item.invoice_number
        assert index.columns.due_day[position] == item.due_date.toordinal()
    for customer_id, history in scenario.ledger.customer_history.items():
        if index.customers.code(customer_id) >= 0:
            assert index.customer_history(customer_id) == history
    assert index.customer_history("nobody") is None


@pytest.mark.skipif("fork" not in workers.mp.get_all_start_methods(), reason="needs fork")
def test_forked_workers_give_the_same_results_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "MIN_CHUNK", 100)
    scenario = generate(seed=5, customers=100, open_items=1000, lines=700)
    matcher = ScoredMatcher(load_scorer())
    timings: dict[str, float] = {}
    alone = matcher.match(scenario.lines, scenario.ledger, MatchPolicy(), workers=1)
    forked = matcher.match(scenario.lines, scenario.ledger, MatchPolicy(), workers=2,
                           timings=timings)
    assert timings["workers"] == 2
    assert forked == alone
    assert [r.line_key for r in forked] == [t.key for t in scenario.lines]
    assert sum(r.decision.value == "auto" for r in alone) > 0


@pytest.mark.skipif("fork" not in workers.mp.get_all_start_methods(), reason="needs fork")
def test_the_plan_caps_workers_at_the_chunks() -> None:
    spans, count = workers.plan(500, 8)
    assert (spans, count) == ([(0, 500)], 1)
    spans, count = workers.plan(50_000, 2)
    assert count == 2 and spans[0] == (0, 6_250) and spans[-1][1] == 50_000
    assert workers.plan(50_000, 1)[0][0] == (0, workers.CHUNK)
