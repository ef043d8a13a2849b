"""Station rules: charging from a reading, and the queue simulation behind waiting times and
recommendations, checked against the cases that have a closed form and for the orderings that
must always hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navio.stations import domain
from navio.stations.domain import FaultStatus, RuleError

NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
SCOOTER = domain.Station(bays=2, service=timedelta(minutes=4), capacity_wh=1500, charger_kw=1.0)


def test_a_pack_charges_at_the_chargers_power_until_full() -> None:
    # 1.5 kWh at 1 kW: 1 % per 54 s; 20 % -> 80 % in 54 minutes
    assert domain.soc_at(20, NOW, NOW + timedelta(minutes=27), 1500, 1.0) == pytest.approx(50)
    assert domain.soc_at(20, NOW, NOW + timedelta(hours=5), 1500, 1.0) == 100
    assert domain.soc_at(20, NOW, NOW - timedelta(minutes=5), 1500, 1.0) == 20  # clock skew
    assert domain.ready_at(20, NOW, 1500, 1.0) == NOW + timedelta(minutes=54)
    assert domain.ready_at(95, NOW, 1500, 1.0) == NOW


def test_with_packs_to_spare_travelers_go_bay_by_bay() -> None:
    ready = [NOW] * 10
    starts = domain.starts(SCOOTER, ready, 5, NOW)
    assert starts == [NOW, NOW, NOW + timedelta(minutes=4), NOW + timedelta(minutes=4),
                      NOW + timedelta(minutes=8)]  # fmt: skip


def test_without_a_charged_pack_the_next_one_waits_for_the_charger() -> None:
    ready = [NOW, NOW + timedelta(minutes=30)]
    starts = domain.starts(SCOOTER, ready, 3, NOW)
    assert starts[0] == NOW and starts[1] == NOW + timedelta(minutes=30)
    # the third gets the pack the first brought back: 20 % at 08:04, 80 % 54 minutes later
    assert starts[2] == NOW + timedelta(minutes=4 + 54)
    assert domain.starts(SCOOTER, [], 2, NOW) == [None, None]


def test_a_traveler_on_the_way_waits_only_from_arrival() -> None:
    ready = [NOW] * 4
    # three queued, two bays: the bays free up at 08:04 and 08:08; arriving at 08:10, no wait
    assert domain.arrival_wait(SCOOTER, ready, 3, NOW, timedelta(minutes=10)) == timedelta(0)
    # arriving at once, they wait for the second round: 08:04
    assert domain.arrival_wait(SCOOTER, ready, 3, NOW, timedelta(0)) == timedelta(minutes=4)
    assert domain.travel_time(2500) == timedelta(hours=2.5 * 1.3 / 25)


def test_positions_start_at_one() -> None:
    with pytest.raises(RuleError):
        domain.wait_for(SCOOTER, [NOW], 0, NOW)


minutes = st.integers(min_value=0, max_value=180).map(lambda m: NOW + timedelta(minutes=m))
stations = st.builds(
    domain.Station,
    bays=st.integers(min_value=1, max_value=6),
    service=st.integers(min_value=1, max_value=20).map(lambda m: timedelta(minutes=m)),
    capacity_wh=st.integers(min_value=500, max_value=5000),
    charger_kw=st.floats(min_value=0.2, max_value=5),
)


@settings(max_examples=200)
@given(stations, st.lists(minutes, max_size=12), st.integers(min_value=1, max_value=15))
def test_the_queue_is_served_in_order_and_never_before_its_time(
    station: domain.Station, ready: list[datetime], travelers: int
) -> None:
    starts = domain.starts(station, ready, travelers, NOW)
    known = [s for s in starts if s is not None]
    assert known == sorted(known) and all(s >= NOW for s in known)
    # once a traveler has no pack, nobody after them has one
    assert starts == known + [None] * (travelers - len(known))
    if ready:
        assert len(known) == travelers  # returned packs keep the supply going
        # nobody starts before a pack was ready for them or before a bay could be free
        assert known[0] >= min(ready)
        for index, start in enumerate(known):
            assert start >= NOW + (index // station.bays) * station.service


@settings(max_examples=200)
@given(stations, st.lists(minutes, min_size=1, max_size=10), st.integers(min_value=1, max_value=12))
def test_more_bays_packs_or_earlier_packs_never_make_anyone_wait_longer(
    station: domain.Station, ready: list[datetime], travelers: int
) -> None:
    base = domain.starts(station, ready, travelers, NOW)
    wider = domain.Station(station.bays + 1, station.service, station.capacity_wh,
                           station.charger_kw)  # fmt: skip
    more = domain.starts(station, [*ready, NOW + timedelta(minutes=90)], travelers, NOW)
    earlier = domain.starts(station, [max(NOW, r - timedelta(minutes=15)) for r in ready],
                            travelers, NOW)  # fmt: skip
    for other in (domain.starts(wider, ready, travelers, NOW), more, earlier):
        for a, b in zip(base, other, strict=True):
            assert a is not None and b is not None and b <= a


def test_faults_move_forward_only() -> None:
    assert domain.fault_move(FaultStatus.OPEN, FaultStatus.RESOLVED) is FaultStatus.RESOLVED
    with pytest.raises(RuleError):
        domain.fault_move(FaultStatus.RESOLVED, FaultStatus.OPEN)
    with pytest.raises(RuleError):
        domain.fault_move(FaultStatus.IN_PROGRESS, FaultStatus.OPEN)
