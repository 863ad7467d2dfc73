"""Amounts in text are read exactly in every locale, and dates, years and IBANs are not taken
for amounts or references."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashapp.extractors.nlp.amounts import find_amounts, find_dates, find_ibans


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.234,56", "1234.56"), ("1 234,56", "1234.56"), ("1,234.56", "1234.56"),
     ("EUR 12,50", "12.50"), ("12.50 EUR", "12.50"), ("1234,56", "1234.56"),
     ("1'234.56", "1234.56"), ("€99,00", "99.00")],
)
def test_locale_amounts(text: str, value: str) -> None:
    found = find_amounts(f"paid {text} thanks")
    assert [a.value for a in found] == [Decimal(value)]


@pytest.mark.parametrize("text", ["2024", "INV-2024-00123", "12.03.2024", "qty 12", "v1.2.3"])
def test_not_amounts(text: str) -> None:
    assert find_amounts(text) == []


def test_dates_and_ibans_are_found_for_masking() -> None:
    assert find_dates("du 12.03.2024 et 2024-03-12") == [(3, 13), (17, 27)]
    text = "IBAN DE89 3704 0044 0532 0130 00 Rechnung 4711"
    assert find_ibans(text) == [(5, 32)]
    assert find_ibans("DE89370400440532013001") == []  # check digits wrong


@given(st.integers(min_value=1, max_value=10**9), st.sampled_from(["de", "fr", "en"]))
def test_every_rendering_reads_back(cents: int, lang: str) -> None:
    value = Decimal(cents).scaleb(-2)
    whole, _, dec = f"{value:.2f}".partition(".")
    grouped = f"{int(whole):,}"
    text = {"en": f"{grouped}.{dec}", "de": grouped.replace(",", ".") + f",{dec}",
            "fr": grouped.replace(",", " ") + f",{dec}"}[lang]
    assert [a.value for a in find_amounts(f"Betrag: {text}")] == [value]
