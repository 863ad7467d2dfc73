"""The public X12 820 and remt.001 samples of ../shared/corpus, read to their GROUND_TRUTH facts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from cashapp.domain.reasons import ReasonCode
from cashapp.extractors.read import read_bytes

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent"),
]


def _truth() -> dict[str, dict[str, object]]:
    data = json.loads((CORPUS / "GROUND_TRUTH.json").read_text("utf-8"))
    return {k: v for k, v in data.items() if k.startswith("remittance/")}


def _files() -> list[str]:
    return sorted(_truth()) if CORPUS.is_dir() else []


@pytest.mark.parametrize("name", _files())
def test_corpus_remittance_counts(name: str) -> None:
    facts = _truth()[name]
    parsed = read_bytes((CORPUS / name).read_bytes(), source=name)
    if name.endswith(".xml"):
        counted = facts["counted"]
        assert isinstance(counted, dict)
        assert sum(len(r.lines) for r in parsed.remittances) == counted["remittance_items"]
        assert parsed.format == "remt.001.001.04"
        return
    assert len(parsed.remittances) == facts["transactions_820"]
    documents = [
        line for r in parsed.remittances for line in r.lines if line.document_type != "ADX"
    ]
    assert len(documents) == facts["remittance_items"]


def _read(stem: str):  # type: ignore[no-untyped-def]
    name = f"remittance/inteligenz-x12parser__{stem}.txt"
    return read_bytes((CORPUS / name).read_bytes(), source=name).remittances[0]


def test_safeway_payment_payer_and_entity_adjustments() -> None:
    remittance = _read("Example4_Safeway")
    assert remittance.payer == "Safeway - U. S. Corporate"
    assert remittance.payment_id == "4311000190"
    assert remittance.total == Decimal("416093.15")
    assert remittance.currency == "USD"
    first = next(line for line in remittance.lines if line.reference == "6092392")
    assert (first.gross, first.discount, first.paid) == (
        Decimal("20851.11"),
        Decimal("420.77"),
        Decimal("20430.34"),
    )
    credit_memo = next(line for line in remittance.lines if line.reference == "P7159010-17")
    assert credit_memo.document_type == "ADX"
    assert credit_memo.paid == Decimal("-892.80")
    assert credit_memo.reason_text is not None and "MEALS/INGREDIENTS" in credit_memo.reason_text
    # the file's own total leaves out its +210.00 debit adjustment: recorded, not fixed
    assert not remittance.trusted
    assert remittance.defects == ("lines add up to 416303.15, the total is 416093.15",)


def test_backslash_terminated_wikipedia_sample_adds_up() -> None:
    remittance = _read("Example5_Wikipedia")
    assert [line.paid for line in remittance.lines] == [
        Decimal("11.11"),
        Decimal("22.22"),
        Decimal("44.44"),
    ]
    assert remittance.total == Decimal("77.77")
    assert remittance.trusted and remittance.defects == ()


def test_adx_reason_codes_in_rmr_loops() -> None:
    remittance = _read("Example7_FromScott")
    first = remittance.lines[0]
    assert first.deduction == Decimal("-16971.04")  # ADX 53: remittance for an underpayment
    assert first.reason_code is ReasonCode.OTHER
    assert first.reason_text == "53 Remittance for Previous Underpayment"


def test_template_sample_records_its_placeholders_as_defects() -> None:
    remittance = _read("Example3_HomeDepot")
    assert remittance.total is None
    assert len(remittance.lines) == 4
    assert not remittance.trusted
    assert any("BPR02" in defect for defect in remittance.defects)
