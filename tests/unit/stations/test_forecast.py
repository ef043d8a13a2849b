"""The stations' forecast: demand rates recovered from a simulated past with known rates, hours
before a station existed not counted as empty, short histories leaning on the hour of the day;
waiting times that agree with queueing theory (Pollaczek-Khinchine for one bay) and with the
queue's own simulation when nothing random is left."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navio.kernel.geo import country_of_zone
from navio.stations.domain import Station, starts
from navio.stations.forecast import (
    HOURS_PER_WEEK,
    estimate,
    hour_floor,
    outlook,
    public_holidays,
    slot_of,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 30, 9, 20, tzinfo=UTC)  # a Monday, 11:20 in Helsinki
KIOSK = Station(bays=1, service=timedelta(minutes=4), capacity_wh=1500, charger_kw=1.0)


def weekly_rate(slot: int) -> float:
    """A plausible week: busy weekday rush hours, quiet nights, a lazy Sunday."""
    day, hour = divmod(slot, 24)
    base = 0.3 if hour < 6 else 3.0
    if day < 5 and hour in (7, 8, 16, 17, 18):
        base = 9.0
    return base * (0.6 if day == 6 else 1.0)


def simulate(rng: random.Random, start: datetime, end: datetime, rate_of: object) -> list[datetime]:
    arrivals = []
    at = hour_floor(start)  # the rates hold for whole local hours
    while at < end:
        rate = rate_of(slot_of(at, HELSINKI))  # type: ignore[operator]
        t = rng.expovariate(rate) if rate > 0 else 2.0
        while t < 1.0:
            arrivals.append(at + timedelta(hours=t))
            t += rng.expovariate(rate)
        at += timedelta(hours=1)
    return [a for a in arrivals if start <= a < end]


def test_rates_of_a_simulated_past_come_back() -> None:
    rng = random.Random(7)
    start = NOW - timedelta(weeks=8)
    arrivals = simulate(rng, start, NOW, weekly_rate)
    demand = estimate(arrivals, start, NOW, HELSINKI)
    assert demand.weeks == pytest.approx(8.0, abs=0.01)
    # whole hours only: from the first after the window opens to the last before now
    first_whole = hour_floor(start) + timedelta(hours=1)
    assert demand.arrivals == sum(1 for a in arrivals if first_whole <= a < hour_floor(NOW))
    errors = [
        abs(demand.rates[s] - weekly_rate(s)) / weekly_rate(s)
        for s in range(HOURS_PER_WEEK)
        if weekly_rate(s) >= 3
    ]
    # eight weeks of a Poisson count of 3-9 an hour: each slot within about a third, most
    # much closer (the hour-of-day prior keeps the outliers in)
    assert statistics.mean(errors) < 0.2
    assert max(errors) < 0.5
    rush = [demand.rates[d * 24 + 8] for d in range(5)]
    night = [demand.rates[d * 24 + 3] for d in range(7)]
    assert min(rush) > 5 * max(night)


def test_hours_before_the_station_opened_are_not_empty_hours() -> None:
    opened = NOW - timedelta(days=10, minutes=25)
    rng = random.Random(11)
    arrivals = simulate(rng, opened, NOW, lambda slot: 4.0)
    demand = estimate(arrivals, opened, NOW, HELSINKI)
    assert demand.weeks == pytest.approx(10 * 24 / HOURS_PER_WEEK, abs=0.01)
    assert statistics.mean(demand.rates) == pytest.approx(4.0, rel=0.1)
    # counted from the start of the window instead, half of the slots would read about 0
    diluted = estimate(arrivals, NOW - timedelta(weeks=8), NOW, HELSINKI)
    assert statistics.mean(diluted.rates) < 1.5


def test_a_short_history_leans_on_the_same_hour_of_days_alike() -> None:
    """One week: Monday 08:00 with 20 riders, the other weekdays' 08:00 with 2, the weekend's
    with 6. Monday 08:00 is forecast between its own 20 and the weekdays' mean, nearer the
    mean while the history is short; the weekend keeps its own level."""
    monday = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 08:00 in Helsinki
    arrivals = [monday + timedelta(minutes=2 * i) for i in range(20)]
    for day in range(1, 7):
        riders = 6 if day >= 5 else 2
        arrivals += [monday + timedelta(days=day, minutes=5 * i) for i in range(riders)]
    demand = estimate(arrivals, monday - timedelta(hours=1), NOW, HELSINKI)
    slot = slot_of(monday, HELSINKI)
    assert slot == 8
    weekdays = (20 + 4 * 2) / 5
    assert weekdays < demand.rates[slot] < (20 + weekdays) / 2  # one week, two of prior
    # Tuesday 08:00 saw 2, pulled up towards the weekdays' 08:00 with Monday's crowd in them
    assert 2 < demand.rates[slot + 24] < weekdays
    assert demand.rates[5 * 24 + 8] == pytest.approx(6.0)  # both weekend days saw 6


def test_no_history_forecasts_no_riders() -> None:
    demand = estimate([], NOW - timedelta(minutes=30), NOW, HELSINKI)
    assert demand.weeks == 0 and demand.arrivals == 0
    assert set(demand.rates) == {0.0}


def test_one_bay_waits_agree_with_pollaczek_khinchine() -> None:
    """Riders at 9 an hour, a 4-minute swap, packs to spare: an M/D/1 queue, whose mean wait
    is rho / (2 mu (1 - rho)) = 3 minutes; the simulated hours after the first agree."""
    packs = [NOW] * 500
    hours = outlook(KIOSK, packs, 0, NOW, [9.0] * 12, runs=1_500, seed=3)
    settled = [h.wait_mean.total_seconds() / 60 for h in hours[2:] if h.wait_mean is not None]
    rho, mu = 9 / 15, 15
    theory = rho / (2 * mu * (1 - rho)) * 60
    assert statistics.mean(settled) == pytest.approx(theory, rel=0.06)
    assert all(h.no_pack == 0 for h in hours)
    assert all(h.wait_p50 is not None and h.wait_p90 is not None for h in hours)
    assert all(h.wait_p50 <= h.wait_p90 for h in hours if h.wait_p50 and h.wait_p90)  # type: ignore[operator]


def test_the_first_hour_counts_only_what_is_left_of_it() -> None:
    hours = outlook(KIOSK, [NOW], 0, NOW, [6.0, 6.0], runs=10, seed=1)
    assert hours[0].starts_at == hour_floor(NOW)
    assert hours[0].arrivals == pytest.approx(6.0 * 40 / 60)
    assert hours[1].arrivals == 6.0


@settings(max_examples=60, deadline=None)
@given(
    bays=st.integers(1, 3),
    queued=st.integers(0, 6),
    ready_minutes=st.lists(st.integers(0, 120), min_size=0, max_size=6),
)
def test_without_riders_to_come_the_wait_is_the_queues_own(
    bays: int, queued: int, ready_minutes: list[int]
) -> None:
    """No demand forecast: every run is the same, and the wait of a rider coming at the middle
    of an hour is what `starts` gives a rider behind the queue arriving then."""
    station = Station(bays=bays, service=timedelta(minutes=5), capacity_wh=1500, charger_kw=1.0)
    ready = [NOW + timedelta(minutes=m) for m in ready_minutes]
    hours = outlook(station, ready, queued, NOW, [0.0] * 3, runs=3, seed=5)
    for hour in hours:
        probe = max(NOW, hour.starts_at + timedelta(minutes=30))
        expected = starts(station, ready, queued + 1, NOW, [NOW] * queued + [probe])[-1]
        if expected is None:
            assert hour.no_pack == 1.0 and hour.wait_mean is None
        else:
            assert hour.no_pack == 0.0
            assert hour.wait_p50 == hour.wait_mean == expected - probe


def test_a_public_holiday_counts_as_a_sunday() -> None:
    """Three weeks with 8 riders at noon on Sundays and on one Friday that was a holiday: with
    the holiday known, Friday noon stays quiet and Sunday noon takes that day's riders."""
    holiday = date(2026, 11, 20)  # a Friday, taken as a day off here
    sundays = [date(2026, 11, 15), date(2026, 11, 22), date(2026, 11, 29)]
    noon = [
        datetime.combine(day, datetime.min.time(), HELSINKI).replace(hour=12)
        for day in (*sundays, holiday)
    ]
    arrivals = [at + timedelta(minutes=5 * i) for at in noon for i in range(8)]
    start, end = datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 30, 12, tzinfo=UTC)
    plain = estimate(arrivals, start, end, HELSINKI)
    known = estimate(arrivals, start, end, HELSINKI, frozenset({holiday}))
    friday_noon, sunday_noon = 4 * 24 + 12, 6 * 24 + 12
    assert slot_of(noon[-1], HELSINKI, {holiday}) == sunday_noon
    assert known.rates[friday_noon] < plain.rates[friday_noon] / 2
    assert known.rates[sunday_noon] > plain.rates[sunday_noon]
    assert known.arrivals == plain.arrivals == 32


def test_the_holidays_of_a_stations_country() -> None:
    finnish = public_holidays(country_of_zone("Europe/Helsinki"), [2026])
    assert {date(2026, 12, 6), date(2026, 12, 25)} <= finnish
    assert date(2026, 12, 2) not in finnish
    assert country_of_zone("America/New_York") == "US"
    assert public_holidays(None, [2026]) == frozenset()
    assert public_holidays("XX", [2026]) == frozenset()  # a country the package does not know
