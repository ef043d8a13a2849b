"""A swap station's coming hours from its own past. No I/O.

Demand: riders joining the queue, counted per local hour of the week (Monday 00:00 is slot 0).
A slot's rate is the mean of that hour over the last HISTORY_WEEKS weeks, recent weeks weighing
more (half-life HALF_LIFE_WEEKS), shrunk towards the same hour on the days of the same kind
(Monday to Friday, or the weekend: five or two times the data) by PRIOR_WEEKS weeks' worth of
weight: a station with two weeks of history forecasts Tuesday 18:00 mostly from its weekday
evenings, one with two months mostly from its Tuesdays. Hours before the station existed are
not counted as hours without riders. A public holiday of the station's country counts as a
Sunday, in the past and in the forecast.

Waiting times: the queue served as `domain.starts` serves it (bays, packs ready then, the packs
brought back charging), from the queue and packs of now, with riders arriving as a Poisson
process at the forecast rates, RUNS times with a fixed seed; a rider who comes at the middle of
an hour waits behind everyone who came before them. The share of runs in which no pack is left
for them is reported apart from the waits.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from navio.stations.domain import RETURN_SOC, Station, ready_at

HOURS_PER_WEEK = 168
HISTORY_WEEKS = 8
HALF_LIFE_WEEKS = 4.0
PRIOR_WEEKS = 2.0
RUNS = 200
HOUR = timedelta(hours=1)


SUNDAY = 6


def slot_of(moment: datetime, zone: ZoneInfo, days_off: Container[date] = ()) -> int:
    local = moment.astimezone(zone)
    day = SUNDAY if local.date() in days_off else local.weekday()
    return day * 24 + local.hour


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _kind(slot: int) -> int:
    """The hour of a weekday (0-23) or of a weekend day (24-47)."""
    return slot % 24 + (24 if slot >= 5 * 24 else 0)


def public_holidays(country: str | None, years: Iterable[int]) -> frozenset[date]:
    """The country's public holidays in those years (the `holidays` package); none for a
    country it does not know."""
    if country is None:
        return frozenset()
    try:
        return frozenset(holidays.country_holidays(country, years=list(years)))
    except NotImplementedError:
        return frozenset()


@dataclass(frozen=True, slots=True)
class Demand:
    rates: tuple[float, ...]  # riders an hour, per slot of the week
    weeks: float  # weeks of history behind the estimate (hours observed / 168)
    arrivals: int  # riders counted


def estimate(
    arrivals: Sequence[datetime],
    observed_from: datetime,
    until: datetime,
    zone: ZoneInfo,
    days_off: Container[date] = (),
) -> Demand:
    """Rates per local hour of the week from the arrivals in [observed_from, until): only whole
    hours count, at most HISTORY_WEEKS weeks back; `days_off` (local dates) count as Sundays."""
    first_whole = hour_floor(observed_from)
    if first_whole < observed_from:
        first_whole += HOUR
    end = hour_floor(until)
    start = max(first_whole, end - timedelta(weeks=HISTORY_WEEKS))
    counts = Counter(hour_floor(a) for a in arrivals if start <= a < end)
    by_slot = [0.0] * HOURS_PER_WEEK  # weighted riders
    slot_weight = [0.0] * HOURS_PER_WEEK
    by_kind = [0.0] * 48  # the same, per hour of a weekday (0-23) or of a weekend day (24-47)
    kind_weight = [0.0] * 48
    hours = 0
    at = start
    while at < end:
        age_weeks = (end - at) / timedelta(weeks=1)
        weight = 0.5 ** (age_weeks / HALF_LIFE_WEEKS)
        slot = slot_of(at, zone, days_off)
        seen = counts.get(at, 0)
        by_slot[slot] += weight * seen
        slot_weight[slot] += weight
        by_kind[_kind(slot)] += weight * seen
        kind_weight[_kind(slot)] += weight
        hours += 1
        at += HOUR
    total_weight = sum(kind_weight)
    overall = sum(by_kind) / total_weight if total_weight else 0.0
    rates = []
    for slot in range(HOURS_PER_WEEK):
        kind = _kind(slot)
        prior = by_kind[kind] / kind_weight[kind] if kind_weight[kind] else overall
        rates.append((by_slot[slot] + PRIOR_WEEKS * prior) / (slot_weight[slot] + PRIOR_WEEKS))
    return Demand(tuple(rates), hours / HOURS_PER_WEEK, sum(counts.values()))


@dataclass(frozen=True, slots=True)
class HourOutlook:
    starts_at: datetime
    arrivals: float  # riders expected in the hour
    wait_mean: timedelta | None  # for a rider coming at the middle of the hour, over the runs
    wait_p50: timedelta | None  # with a pack for them
    wait_p90: timedelta | None
    no_pack: float  # share of runs with no pack left for them


def _poisson_times(rng: random.Random, rate: float, start: datetime) -> list[datetime]:
    """Arrival instants of a Poisson process of `rate` an hour within [start, start + 1 h)."""
    times: list[datetime] = []
    if rate <= 0:
        return times
    elapsed = rng.expovariate(rate)
    while elapsed < 1.0:
        times.append(start + timedelta(hours=elapsed))
        elapsed += rng.expovariate(rate)
    return times


def outlook(
    station: Station,
    ready: Sequence[datetime],
    queued: int,
    now: datetime,
    rates: Sequence[float],
    *,
    runs: int = RUNS,
    seed: int = 0,
) -> list[HourOutlook]:
    """The next len(rates) hours from the hour of `now`: rates[i] riders an hour come in hour
    i (the first from now on only, at its share of the hour)."""
    first = hour_floor(now)
    starts_at = [first + i * HOUR for i in range(len(rates))]
    probes = [max(now, at + HOUR / 2) for at in starts_at]
    returned_after = ready_at(RETURN_SOC, now, station.capacity_wh, station.charger_kw) - now
    waits: list[list[float]] = [[] for _ in rates]
    missing = [0] * len(rates)
    rng = random.Random(seed)  # noqa: S311 - a simulation, seeded to answer alike all hour
    for _ in range(runs):
        arrivals = [now] * queued  # those queued now are there first
        for at, rate in zip(starts_at, rates, strict=True):
            arrivals += [t for t in _poisson_times(rng, rate, at) if t >= now]
        bays = [now] * max(station.bays, 1)
        supply = sorted(max(r, now) for r in ready)
        heapq.heapify(supply)
        served = 0
        for index, probe in enumerate(probes):
            # everyone who came before the probe is served first, in order
            while served < len(arrivals) and arrivals[served] <= probe and supply:
                start = max(heapq.heappop(bays), heapq.heappop(supply), arrivals[served])
                done = start + station.service
                heapq.heappush(bays, done)
                heapq.heappush(supply, done + returned_after)
                served += 1
            blocked = served < len(arrivals) and arrivals[served] <= probe
            if blocked or not supply:
                missing[index] += 1
                continue
            start = max(bays[0], supply[0], probe)
            waits[index].append((start - probe).total_seconds())
    result = []
    for index, at in enumerate(starts_at):
        span = 1.0 if index else (first + HOUR - now) / HOUR
        seen = sorted(waits[index])
        result.append(
            HourOutlook(
                starts_at=at,
                arrivals=rates[index] * span,
                wait_mean=timedelta(seconds=sum(seen) / len(seen)) if seen else None,
                wait_p50=timedelta(seconds=_quantile(seen, 0.5)) if seen else None,
                wait_p90=timedelta(seconds=_quantile(seen, 0.9)) if seen else None,
                no_pack=missing[index] / runs,
            )
        )
    return result


def _quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values (linear between order statistics)."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
