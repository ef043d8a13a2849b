"""Journey progress from fixes: drift is not travel, pace follows the traveler, fences do not
flap, batches compose, and the estimate shrinks as the traveler nears the destination."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from navio.kernel.geo import EARTH_RADIUS_M, haversine_m
from navio.tracking.domain import (
    EXIT_FACTOR,
    PACE_BOUNDS,
    Fence,
    Fix,
    Progress,
    advance,
    estimate,
)

T0 = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
# Helsinki Central railway station
LAT, LON = 60.1710, 24.9414


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point `hypot(north, east)` metres away on the great circle of that bearing."""
    d = math.hypot(north_m, east_m) / EARTH_RADIUS_M
    theta = math.atan2(east_m, north_m)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(theta))
    l2 = l1 + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), math.degrees(l2)


def walk(
    speed: float, seconds: int, every: int, bearing: float = 90.0, accuracy: float = 10.0
) -> list[Fix]:
    """Along a great circle from the station at a steady speed, a fix every `every` s."""
    north, east = math.cos(math.radians(bearing)), math.sin(math.radians(bearing))
    return [
        Fix(
            *offset(LAT, LON, speed * t * north, speed * t * east),
            accuracy,
            T0 + timedelta(seconds=t),
        )
        for t in range(0, seconds + 1, every)
    ]


@settings(max_examples=60, deadline=None)
@given(
    jitter=st.lists(st.tuples(st.floats(0, 2 * math.pi), st.floats(0, 1)), min_size=2, max_size=60),
    accuracy=st.floats(5, 80),
)
def test_a_standing_phone_travels_nowhere(
    jitter: list[tuple[float, float]], accuracy: float
) -> None:
    # two fixes each within half their accuracy of where the phone lies are at most one
    # accuracy apart, and a step counts only beyond the larger accuracy
    half = [
        Fix(
            *offset(LAT, LON, 0.5 * s * accuracy * math.cos(a), 0.5 * s * accuracy * math.sin(a)),
            accuracy,
            T0 + timedelta(seconds=5 * i),
        )
        for i, (a, s) in enumerate(jitter)
    ]
    still, _ = advance(Progress(), half, [])
    assert still.travelled_m == 0.0
    assert still.pace_mps is None


@settings(max_examples=40, deadline=None)
@given(speed=st.floats(0.8, 30.0), every=st.integers(5, 60), bearing=st.floats(0, 360))
def test_a_steady_traveler_is_measured_at_their_speed(
    speed: float, every: int, bearing: float
) -> None:
    fixes = walk(speed, 1_800, every, bearing)
    progress, _ = advance(Progress(), fixes, [])
    truth = haversine_m(fixes[0].lat, fixes[0].lon, fixes[-1].lat, fixes[-1].lon)
    # only the part after the last counted anchor may be missing: less than one step
    assert truth - speed * every - 10 <= progress.travelled_m <= truth * 1.0001
    assert progress.pace_mps is not None
    assert math.isclose(progress.pace_mps, speed, rel_tol=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    cut=st.integers(0, 60),
    speed=st.floats(0.5, 15.0),
    accuracy=st.floats(3, 60),
)
def test_batches_compose(cut: int, speed: float, accuracy: float) -> None:
    fixes = walk(speed, 600, 10, 45.0, accuracy)
    fence = Fence("square", *offset(LAT, LON, 200, 200), 80.0)
    whole, crossings = advance(Progress(), fixes, [fence])
    first, early = advance(Progress(), fixes[:cut], [fence])
    # through the stored form, as the service keeps it between requests
    second, late = advance(Progress.from_json(first.to_json()), fixes[cut:], [fence])
    assert second == whole
    assert early + late == crossings


def test_a_fence_is_entered_once_and_left_once_without_flapping() -> None:
    fence = Fence("hotel", LAT, LON, 100.0)
    accuracy = 15.0
    # in, then back and forth across the edge inside the hysteresis band, then well out
    distances = [300, 150, 90, 60, 110, 95, 125, 99, 130, 80, 400]
    fixes = [
        Fix(*offset(LAT, LON, d, 0), accuracy, T0 + timedelta(seconds=30 * i))
        for i, d in enumerate(distances)
    ]
    _, crossings = advance(Progress(), fixes, [fence])
    assert [(c.transition, c.at) for c in crossings] == [
        ("entered", fixes[2].at),
        ("exited", fixes[10].at),
    ]
    # just past the band (radius x factor + accuracy) is out
    edge = 100.0 * EXIT_FACTOR + accuracy + 1
    out = [*fixes[:3], Fix(*offset(LAT, LON, edge, 0), accuracy, fixes[3].at)]
    assert [c.transition for c in advance(Progress(), out, [fence])[1]] == ["entered", "exited"]


def test_a_fix_too_vague_for_the_fence_does_not_enter_it() -> None:
    fence = Fence("gate", LAT, LON, 50.0)
    vague = Fix(LAT, LON, 400.0, T0)  # right on the fence, but could be anywhere within 400 m
    sharp = Fix(LAT, LON, 20.0, T0 + timedelta(seconds=10))
    assert advance(Progress(), [vague], [fence])[1] == []
    assert [c.transition for c in advance(Progress(), [vague, sharp], [fence])[1]] == ["entered"]


def test_fixes_must_come_in_time_order() -> None:
    fixes = walk(1.3, 60, 10)
    progress, _ = advance(Progress(), fixes, [])
    try:
        advance(progress, [fixes[2]], [])
    except ValueError:
        return
    raise AssertionError("an old fix was accepted")


def test_the_estimate_shrinks_toward_the_destination_and_keeps_its_pace_bounds() -> None:
    destination = Fence("destination", *offset(LAT, LON, 0, 2_000), 50.0)
    assert estimate(Progress(), destination, "walk") is None
    fixes = walk(1.3, 1_200, 20)  # east, toward the destination
    progress = Progress()
    remaining = []
    for fix in fixes:
        progress, _ = advance(progress, [fix], [destination])
        guess = estimate(progress, destination, "walk")
        assert guess is not None
        low, high = PACE_BOUNDS
        assert low * 1.3 <= guess.speed_mps <= high * 1.3
        assert guess.eta_at >= fix.at
        remaining.append(guess.remaining_m)
    assert remaining == sorted(remaining, reverse=True)
    # 2,000 m less the radius, by the walking detour factor, at the start
    assert math.isclose(remaining[0], (2_000 - 50) * 1.3, rel_tol=1e-3)
    # a sprinter's pace is capped at twice the typical walking speed
    sprint, _ = advance(Progress(), walk(6.0, 120, 10), [destination])
    guess = estimate(sprint, destination, "walk")
    assert guess is not None and math.isclose(guess.speed_mps, 2.6)
