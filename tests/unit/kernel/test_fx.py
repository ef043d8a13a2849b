"""Conversion at the ECB's real reference rates (bundled history), frozen on use."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navio.kernel.fx import EcbRates, FrozenRate, RateNotAvailable, convert_at


@functools.cache
def rates() -> EcbRates:
    return EcbRates()


def test_a_published_day_uses_its_own_rate() -> None:
    rate = rates().rate("EUR", "USD", date(2024, 12, 23))
    assert rate.rate == Decimal("1.0393") and rate.published_on == date(2024, 12, 23)


def test_a_holiday_uses_the_last_rate_before_it() -> None:
    # 25 and 26 December: no TARGET fixing; the 24th's rate applies
    rate = rates().rate("EUR", "USD", date(2024, 12, 26))
    assert rate.published_on == date(2024, 12, 24) and rate.rate == Decimal("1.0395")
    assert rate.requested_on == date(2024, 12, 26)


def test_weekend_and_cross_rates_go_through_one_publication_day() -> None:
    saturday = date(2024, 6, 15)
    cross = rates().rate("USD", "JPY", saturday)
    usd = rates().rate("EUR", "USD", saturday)
    jpy = rates().rate("EUR", "JPY", saturday)
    assert cross.published_on == usd.published_on == jpy.published_on == date(2024, 6, 14)
    assert cross.rate == jpy.rate / usd.rate


def test_minor_units_follow_each_currencys_exponent() -> None:
    rate = rates().rate("EUR", "JPY", date(2024, 6, 14))
    yen, used = rates().convert(10_000, "EUR", "JPY", date(2024, 6, 14))  # 100.00 EUR
    assert used == rate
    assert yen == int((Decimal(100) * rate.rate).quantize(Decimal(1)))
    back = convert_at(yen, rates().rate("JPY", "EUR", date(2024, 6, 14)))
    assert abs(back - 10_000) <= 1  # a yen is worth less than a cent


def test_half_to_even_rounding_once() -> None:
    frozen = FrozenRate("EUR", "USD", Decimal("1.5"), date(2024, 1, 2), date(2024, 1, 2))
    assert convert_at(1, frozen) == 2  # 1.5 cents -> 2 (the even neighbour)
    assert convert_at(3, frozen) == 4  # 4.5 cents -> 4
    assert convert_at(5, frozen) == 8  # 7.5 cents -> 8


def test_dates_outside_the_history_and_unknown_currencies_are_refused() -> None:
    with pytest.raises(RateNotAvailable) as before:
        rates().rate("EUR", "USD", date(1998, 12, 31))
    assert before.value.extra["field"] == "date"
    last = rates()._rates().bounds["USD"].last_date
    with pytest.raises(RateNotAvailable):
        rates().rate("EUR", "USD", last + timedelta(days=30))
    for code in ("XYZ", "BHD"):  # not a currency; a currency the ECB does not publish
        with pytest.raises(RateNotAvailable):
            rates().rate("EUR", code, date(2024, 6, 14))
    same = rates().rate("EUR", "EUR", date(2024, 6, 14))
    assert same.rate == 1


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(0, 10**12),
    day=st.dates(date(2005, 1, 1), date(2025, 12, 31)),
    pair=st.sampled_from([("EUR", "USD"), ("USD", "GBP"), ("JPY", "EUR"), ("ISK", "SEK")]),
)
def test_conversion_is_deterministic_and_matches_the_frozen_rate(
    amount: int, day: date, pair: tuple[str, str]
) -> None:
    base, quote = pair
    try:
        converted, used = rates().convert(amount, base, quote, day)
    except RateNotAvailable:
        return  # a currency with a gap in its history (ISK 2008-2009)
    assert used.published_on <= day and day - used.published_on <= timedelta(days=7)
    assert converted == convert_at(amount, used) == rates().convert(amount, base, quote, day)[0]
    assert converted >= 0
