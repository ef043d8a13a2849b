"""Straight-line travel times: distances against a known pair, the documented speeds and
overheads, short legs walked, symmetric matrices with a zero diagonal, and the triangle
inequality the solver's feasibility bookkeeping relies on (for walking)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navio.itinerary.travel import MODES, StraightLineTimes, great_circle_m

HELSINKI_CATHEDRAL = (60.1705, 24.9522)
SUOMENLINNA = (60.1454, 24.9881)
ROCK_CHURCH = (60.1730, 24.9253)


def test_known_distance_and_documented_speeds() -> None:
    d = great_circle_m([HELSINKI_CATHEDRAL, SUOMENLINNA])[0, 1]
    assert 3300 < d < 3450  # about 3.4 km across the harbour
    seconds, metres = StraightLineTimes().matrix([HELSINKI_CATHEDRAL, SUOMENLINNA], "walk")
    assert metres[0, 1] == pytest.approx(d * 1.3)
    assert seconds[0, 1] == pytest.approx(d * 1.3 / 1.3)
    drive, _ = StraightLineTimes().matrix([HELSINKI_CATHEDRAL, SUOMENLINNA], "drive")
    assert drive[0, 1] == pytest.approx(d * MODES["drive"].detour / 8.3 + 240)


def test_short_legs_are_walked() -> None:
    near = (HELSINKI_CATHEDRAL[0] + 0.001, HELSINKI_CATHEDRAL[1])  # ~111 m north
    walk, _ = StraightLineTimes().matrix([HELSINKI_CATHEDRAL, near], "walk")
    bus, bus_m = StraightLineTimes().matrix([HELSINKI_CATHEDRAL, near], "transit")
    assert bus[0, 1] == pytest.approx(walk[0, 1]) and bus_m[0, 1] < 250 * 1.3
    with pytest.raises(ValueError, match="unknown mode"):
        StraightLineTimes().matrix([HELSINKI_CATHEDRAL], "teleport")  # type: ignore[arg-type]


points = st.lists(st.tuples(st.floats(59.9, 60.4), st.floats(24.5, 25.3)), min_size=2, max_size=12)


@settings(max_examples=60)
@given(points, st.sampled_from(["walk", "transit", "drive"]))
def test_matrices_are_symmetric_with_zero_diagonal(
    pts: list[tuple[float, float]], mode: str
) -> None:
    seconds, metres = StraightLineTimes().matrix(pts, mode)  # type: ignore[arg-type]
    assert np.allclose(seconds, seconds.T) and np.allclose(metres, metres.T)
    assert (np.diag(seconds) == 0).all() and (seconds >= 0).all()
    if mode == "walk":  # no overhead: the triangle inequality holds
        n = len(pts)
        for i in range(n):
            for j in range(n):
                assert (seconds[i, j] <= seconds[i, :] + seconds[:, j] + 1e-6).all()


def test_rock_church_is_closer_to_the_cathedral_than_suomenlinna() -> None:
    d = great_circle_m([HELSINKI_CATHEDRAL, ROCK_CHURCH, SUOMENLINNA])
    assert d[0, 1] < d[0, 2]
