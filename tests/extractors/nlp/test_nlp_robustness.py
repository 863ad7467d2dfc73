"""Untrusted text: long and adversarial inputs stay linear (no regex backtracking blow-up, no
quadratic pass over candidates), and positions always point into the text."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashapp.extractors.nlp.api import find_reason, find_references, learn_shapes

SHAPES = learn_shapes([f"INV-2024-{i:05d}" for i in range(1, 2000)])


@pytest.mark.parametrize(
    "text",
    ["a" * 60_000, "+" * 60_000, "RF45 " * 6_000, "1.234,56 " * 6_000, "é" * 60_000,
     "\n" * 60_000, "+++" + "1" * 60_000, "INV-2024-00123 Skonto " * 1_500,
     "Invoice INV-2024-00042 1.234,56 EUR\n" * 1_000],
)
def test_long_adversarial_text_is_read_in_bounded_time(text: str) -> None:
    started = time.process_time()
    found = find_references(text, shapes=SHAPES)
    find_reason(text)
    assert time.process_time() - started < 4.0  # a quadratic pass would take minutes
    assert all(text[c.start:c.end] == c.text for c in found)  # type: ignore[misc]


def test_a_long_text_is_read_in_blocks_without_losing_references() -> None:
    text = "".join(f"Invoice INV-2024-{i:05d} paid\n" for i in range(1, 1001))
    found = find_references(text, shapes=SHAPES)
    assert [c.normalized for c in found] == [f"INV-2024-{i:05d}" for i in range(1, 1001)]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("INV-2024O0l1S5B8 /.,+*\nRF97:€ab")), max_size=200))
def test_any_text_gives_well_formed_candidates(text: str) -> None:
    for cand in find_references(text, shapes=SHAPES):
        assert 0 <= cand.start < cand.end <= len(text)  # type: ignore[operator]
        assert cand.text == text[cand.start:cand.end]
        assert 0.0 <= cand.confidence <= 1.0
        assert cand.normalized
    reason = find_reason(text)
    assert reason is None or 0.0 <= reason[1] <= 1.0
