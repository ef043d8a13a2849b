"""Road estimates: walking, driving and taxi models from distance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from navio.transit import road


@given(st.floats(0, 2_000_000), st.floats(0, 2_000_000))
def test_longer_never_quicker_or_cheaper(a: float, b: float) -> None:
    short, long_ = sorted((a, b))
    for model in (road.walk, road.drive, road.taxi):
        x, y = model(short), model(long_)
        if x is None or y is None:
            assert y is None  # a model stops offering beyond its range, never before
            continue
        assert x.seconds <= y.seconds and x.cost_minor <= y.cost_minor
        assert x.metres <= y.metres and 0 <= x.comfort <= 1


def test_known_figures() -> None:
    # 10 km straight = 13 km of road: 10 km at 25 km/h + 3 km at 50 km/h + 5 min to park
    car = road.drive(10_000)
    assert car is not None and car.metres == 13_000
    assert car.seconds == round(10_000 / (25 / 3.6) + 3_000 / (50 / 3.6) + 300)
    assert car.cost_minor == 260  # 13 km at 0.20 EUR
    cab = road.taxi(10_000)
    assert cab is not None
    ride = 10_000 / (25 / 3.6) + 3_000 / (50 / 3.6)
    assert cab.cost_minor == round(400 + 13 * 190 + ride / 60 * 40)
    assert road.walk(20_000) is None and road.taxi(200_000) is None
    # a long drive takes breaks: 1,000 km straight is 1,300 km of road, 14.9 h at the wheel
    far = road.drive(1_000_000)
    assert far is not None and far.seconds > 14.9 * 3600 + 3 * 45 * 60


def test_negative_distance_is_refused() -> None:
    for model in (road.walk, road.drive, road.taxi):
        with pytest.raises(ValueError, match="negative"):
            model(-1)
