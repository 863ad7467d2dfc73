from decimal import Decimal

import pytest

from cashapp.domain.money import (
    AmountError,
    Money,
    from_minor,
    minor_units,
    parse_amount,
    parse_locale_amount,
    to_minor,
)


@pytest.mark.parametrize(("currency", "places"), [("EUR", 2), ("JPY", 0), ("BHD", 3), ("USD", 2)])
def test_minor_units(currency: str, places: int) -> None:
    assert minor_units(currency) == places


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [("12.34", "EUR", 1234), ("1000", "JPY", 1000), ("1.234", "BHD", 1234), ("-0.01", "EUR", -1)],
)
def test_round_trip_minor_units(amount: str, currency: str, units: int) -> None:
    assert to_minor(Decimal(amount), currency) == units
    assert from_minor(units, currency) == Decimal(amount)


@pytest.mark.parametrize("text", ["NaN", "inf", "1e309", "1E2", "", "12,50", "1_000", "--1"])
def test_parse_amount_refuses_non_plain_text(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text)


def test_parse_amount_refuses_twenty_digit_amounts() -> None:
    with pytest.raises(AmountError):
        parse_amount("12345678901234567890.00")


def test_more_decimals_than_the_currency_is_refused_not_rounded() -> None:
    with pytest.raises(AmountError):
        parse_amount("10.005", "EUR")
    with pytest.raises(AmountError):
        parse_amount("1.5", "JPY")
    assert parse_amount("10.500", "EUR") == Decimal("10.50")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1'234.56", "1234.56"),
        ("-12,5", "-12.5"),
        ("12.50-", "-12.50"),
        ("(12.50)", "-12.50"),
        ("1.234.567", "1234567"),
        ("0,123", "0.123"),
        ("-0,00", "0.00"),
        ("1\u00a0234,56", "1234.56"),
    ],
)
def test_parse_locale_amount(text: str, value: str) -> None:
    assert parse_locale_amount(text) == Decimal(value)


def test_money_refuses_mixed_currencies() -> None:
    with pytest.raises(AmountError):
        Money.of("1.00", "EUR") + Money.of("1.00", "USD")
    assert (Money.of("1.10", "EUR") + Money.of("2.20", "EUR")).minor == 330
