"""Training lines as the statement formats deliver them (``matcher_formats.as_read``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fixtures.scenarios import Scenario, generate

from cashapp.training.matcher_formats import FORMATS, LineNotReadBack, as_read, format_of
from cashapp.training.matcher_ship import generated_set, train

SIZE = {"customers": 120, "open_items": 1200, "lines": 300}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return generate(seed=41, **SIZE)


def test_every_line_comes_back_from_its_format_with_its_truth_key(scenario: Scenario) -> None:
    read = as_read(scenario.lines, scenario.ledger)
    dealt = format_of(scenario.lines)
    assert Counter(dealt.values()).keys() == set(FORMATS)
    assert [t.key for t in read] == [t.key for t in scenario.lines]
    for before, after in zip(scenario.lines, read, strict=True):
        assert after.line.bank_ref == before.line.bank_ref
        assert after.key in scenario.truth
        assert after.line.amount == before.line.amount
        assert after.remittances == before.remittances  # advices stay attached


def test_ofx_lines_lose_the_payer_account_and_the_instructed_amount(scenario: Scenario) -> None:
    read = {t.key: t for t in as_read(scenario.lines, scenario.ledger)}
    dealt = format_of(scenario.lines)
    with_account = [t for t in scenario.lines if t.line.counterparty_account]
    instructed = [t for t in scenario.lines if t.line.instructed_amount is not None]
    assert any(dealt[t.key] == "ofx" for t in with_account)
    for task in with_account:
        got = read[task.key].line.counterparty_account
        if dealt[task.key] == "ofx":
            assert not got
        else:
            assert got == task.line.counterparty_account
    for task in instructed:
        if dealt[task.key] == "ofx":
            assert read[task.key].line.instructed_amount is None
        elif dealt[task.key] == "camt":
            assert read[task.key].line.instructed_amount == task.line.instructed_amount


def test_references_are_extracted_from_the_text_as_read(scenario: Scenario) -> None:
    read = as_read(scenario.lines, scenario.ledger)
    assert sum(bool(t.references) for t in read) > len(read) // 2


def test_a_line_that_does_not_come_back_is_an_error(scenario: Scenario,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import cashapp.training.matcher_formats as formats

    monkeypatch.setattr(formats, "read_back", lambda lines, fmts: {})
    with pytest.raises(LineNotReadBack):
        as_read(scenario.lines[:3], scenario.ledger)


def test_the_same_seed_gives_the_same_rows() -> None:
    first = generated_set(42, as_read=True, **SIZE)
    second = generated_set(42, as_read=True, **SIZE)
    assert first.lines == second.lines
    assert first.right == second.right
    raw = generated_set(42, **SIZE)
    assert [t.key for t in raw.lines] == [t.key for t in first.lines]
    assert raw.lines != first.lines


def test_training_forms_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="training forms"):
        train(model_dir=tmp_path, forms=("ofx",), seeds=(41,), size=SIZE)
