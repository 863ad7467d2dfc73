"""The one reason lexicon: a reason named in any of six languages, ``other`` for a bare
"deduction", nothing without a reason word; the three readers agree on plain words."""

from __future__ import annotations

import pytest

from cashapp.domain.reason_words import find_reason_hits, reason_from_text
from cashapp.domain.reasons import ReasonCode
from cashapp.extractors.remittance.reason_words import reason_from_words
from cashapp.matcher.reason_words import reason_in_text


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Skontoabzug 2%", ReasonCode.DISCOUNT),
        ("marchandise endommagée", ReasonCode.DAMAGED),
        ("te weinig geleverd", ReasonCode.SHORT_SHIPMENT),
        ("INV-2 less 5% promo", ReasonCode.PROMOTION),
        ("gastos de envío", ReasonCode.FREIGHT),
        ("spese bancarie", ReasonCode.BANK_CHARGES),
        ("dubbel gefactureerd", ReasonCode.DUPLICATE),
        ("Rücksendung", ReasonCode.RETURNS),
        ("Fracht\nkosten", ReasonCode.FREIGHT),
    ],
)
def test_reason_from_text(text: str, code: ReasonCode) -> None:
    assert reason_from_text(text) is code
    assert reason_in_text(text) is code
    assert reason_from_words(None, text) is code


def test_a_bare_deduction_is_other_and_no_word_is_none() -> None:
    assert reason_from_text("Abzug lt. Vereinbarung") is ReasonCode.OTHER
    assert reason_in_text("Abzug lt. Vereinbarung") is None  # the matcher wants a specific one
    assert reason_from_text("Rechnung 4711") is None
    assert reason_from_text("") is None and reason_from_text(None) is None


def test_words_inside_other_words_are_not_reasons() -> None:
    assert reason_from_text("transportation passport export") is None
    assert find_reason_hits("port transportation") and [h.start for h in find_reason_hits("port transportation")] == [0]
