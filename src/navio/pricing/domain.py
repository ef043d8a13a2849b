"""Fair local prices from travelers' reports: pure rules, no I/O.

What a thing costs somewhere is read from what travelers paid there (one report per person, item,
place and day). The estimate is robust in the ways crowd data needs:

- **One voice per reporter.** A reporter counts once per item and area, with their latest report:
  someone who reports the same coffee forty times does not outvote forty other people.
- **Recent reports weigh more.** A report's weight halves every `HALF_LIFE_DAYS`; reports older
  than `MAX_AGE_DAYS` are not read.
- **Prices are compared as ratios.** The centre and spread are taken over logarithms (a price of
  twice the median is as far out as half of it), with the weighted median as the centre and the
  weighted median absolute deviation (scaled by 1.4826, so that it estimates a normal spread) as
  the spread, floored at `MIN_SPREAD` so that a fixed tariff (every report the same) screens out
  only reports more than half again or a third below it.
- **Outliers are screened, not averaged.** A report further than `OUTLIER_Z` spreads from the
  centre (Iglewicz and Hoaglin's modified z-score rule; a price in cents typed as euros, a tourist
  trap) is left out of the estimate and counted.

The answer is the weighted median of the reporters kept, the typical range (their weighted 25th
to 75th percentiles), a distribution-free 95 % interval for the median (order statistics of the
binomial) when six or more reporters back it, and a confidence from the effective number of
reporters (Kish's (sum w)^2 / sum w^2).

A price is then judged against it: `typical` inside the range, `low` or `high` outside it, and
`unusually_low` or `overpriced` when it would itself be screened out as an outlier.

A change in price is a shift between the reporters of the last `CHANGE_WINDOW_DAYS` and those of
the year before: the Hodges-Lehmann estimate of the shift of log prices (the median of all
pairwise differences) as a ratio, and the two-sided Mann-Whitney U test for whether it is more
than noise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

HALF_LIFE_DAYS: Final = 365
MAX_AGE_DAYS: Final = 3 * 365
OUTLIER_Z: Final = 3.5
MIN_SPREAD: Final = math.log(1.5) / OUTLIER_Z  # when every report agrees: the line at x1.5
MAD_SCALE: Final = 1.4826
CHANGE_WINDOW_DAYS: Final = 90
CHANGE_MIN_REPORTERS: Final = 5
CHANGE_ALPHA: Final = 0.01
CHANGE_MIN_RATIO: Final = 0.05
MAX_AMOUNT_MINOR: Final = 10**11


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    label: str
    unit: str


# Items priced the same way everywhere, so that reports from different people compare. The list
# follows the usual cost-of-living baskets, with what travellers and drivers of electric and
# recreational vehicles pay on the road.
ITEMS: Final[dict[str, Item]] = {
    item.code: item
    for item in (
        Item("meal_inexpensive", "Meal at an inexpensive restaurant", "one person"),
        Item("meal_midrange", "Three-course meal at a mid-range restaurant", "one person"),
        Item("fast_food_meal", "Fast-food combo meal", "one meal"),
        Item("coffee", "Cappuccino in a cafe", "one cup"),
        Item("beer", "Draught beer in a bar", "0.5 litre"),
        Item("water", "Bottled water", "0.33 litre"),
        Item("transit_ticket", "Local transport, one-way ticket", "one ticket"),
        Item("taxi_start", "Taxi, start of the normal tariff", "one ride"),
        Item("taxi_km", "Taxi, normal tariff", "one kilometre"),
        Item("hotel_night", "Hotel room", "one night"),
        Item("hostel_bed", "Hostel bed", "one night"),
        Item("campsite_night", "Campsite or RV pitch", "one night"),
        Item("fuel_litre", "Petrol (gasoline)", "one litre"),
        Item("diesel_litre", "Diesel", "one litre"),
        Item("ev_charge_kwh", "Public electric-vehicle charging", "one kWh"),
        Item("battery_swap", "Battery swap", "one swap"),
        Item("parking_hour", "Street or garage parking", "one hour"),
        Item("museum_entry", "Museum or attraction entry, adult", "one ticket"),
        Item("bike_rental_day", "Bicycle rental", "one day"),
        Item("car_rental_day", "Compact car rental", "one day"),
    )
}


class Verdict(StrEnum):
    UNUSUALLY_LOW = "unusually_low"
    LOW = "low"
    TYPICAL = "typical"
    HIGH = "high"
    OVERPRICED = "overpriced"


class Confidence(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Observation:
    """One report, its amount in the comparison currency's minor units."""

    reporter: str
    amount: int
    observed_on: date


@dataclass(frozen=True, slots=True)
class Voice:
    """A reporter's say: their latest price and its weight."""

    reporter: str
    amount: int
    observed_on: date
    weight: float
    log: float


@dataclass(frozen=True, slots=True)
class FairPrice:
    median: int
    low: int  # weighted 25th percentile of the reporters kept
    high: int  # weighted 75th percentile
    interval: tuple[int, int] | None  # 95 % for the median, six reporters or more
    centre: float  # log of the median
    spread: float  # scaled MAD of log prices, floored
    reporters: int  # kept
    outliers: int  # reporters screened out
    reports: int  # every report read (several per reporter count once)
    effective: float
    confidence: Confidence
    oldest: date
    newest: date
    voices: tuple[Voice, ...]  # the reporters kept, cheapest first


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    percentile: float  # weighted share of the reporters kept who paid less (ties half)
    versus_median: float  # price / median - 1
    z: float  # modified z-score of the price's logarithm


@dataclass(frozen=True, slots=True)
class Month:
    month: date  # its first day
    median: int
    low: int
    high: int
    reporters: int


@dataclass(frozen=True, slots=True)
class Change:
    ratio: float  # recent / before, Hodges-Lehmann
    p_value: float
    recent: int
    before: int
    significant: bool


def weight(observed_on: date, today: date, half_life_days: int = HALF_LIFE_DAYS) -> float:
    age = max((today - observed_on).days, 0)
    return float(0.5 ** (age / half_life_days))


def voices(
    observations: Iterable[Observation], today: date, max_age_days: int = MAX_AGE_DAYS
) -> list[Voice]:
    """Each reporter's latest report (the median of that day's, when they sent several), as
    long as it is at most `max_age_days` old."""
    oldest = today - timedelta(days=max_age_days)
    latest: dict[str, list[Observation]] = {}
    for o in observations:
        if o.amount <= 0 or o.observed_on < oldest:
            continue
        kept = latest.get(o.reporter)
        if kept is None or o.observed_on > kept[0].observed_on:
            latest[o.reporter] = [o]
        elif o.observed_on == kept[0].observed_on:
            kept.append(o)
    out = []
    for reporter, same_day in latest.items():
        amount = _median_int([o.amount for o in same_day])
        day = same_day[0].observed_on
        out.append(Voice(reporter, amount, day, weight(day, today), math.log(amount)))
    out.sort(key=lambda v: (v.log, v.reporter))
    return out


def _median_int(values: Sequence[int]) -> int:
    ordered = sorted(values)
    n = len(ordered)
    middle = n // 2
    if n % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle] + 1) // 2


def weighted_quantile(values: Sequence[float], weights: Sequence[float], q: float) -> float:
    """The weighted quantile of sorted `values`: the smallest value whose cumulative weight
    reaches q of the total; at an exact tie between two values, their midpoint."""
    total = math.fsum(weights)
    target = q * total
    running = 0.0
    for i, (value, w) in enumerate(zip(values, weights, strict=True)):
        running += w
        if math.isclose(running, target, rel_tol=1e-12, abs_tol=1e-15) and i + 1 < len(values):
            return (value + values[i + 1]) / 2
        if running >= target:
            return value
    return values[-1]


def _centre_and_spread(logs: Sequence[float], weights: Sequence[float]) -> tuple[float, float]:
    centre = weighted_quantile(logs, weights, 0.5)
    deviations = sorted(zip((abs(x - centre) for x in logs), weights, strict=True))
    mad = weighted_quantile([d for d, _ in deviations], [w for _, w in deviations], 0.5)
    return centre, max(MAD_SCALE * mad, MIN_SPREAD)


def median_interval(sorted_amounts: Sequence[int], level: float = 0.95) -> tuple[int, int] | None:
    """The distribution-free interval for a median: order statistics j < k (1-based, symmetric)
    with P(j <= B < k) >= level for B ~ Binomial(n, 1/2). None when n is too small (n < 6)."""
    n = len(sorted_amounts)
    if n < 6:
        return None
    cumulative = [0.0]
    total = 0.0
    for i in range(n + 1):
        total += math.comb(n, i) / 2**n
        cumulative.append(total)
    # P(B <= j - 1) = cumulative[j]; the interval [x_(j), x_(n-j+1)] covers 1 - 2 * P(B <= j - 1)
    best = None
    for j in range(1, n // 2 + 1):
        if 1 - 2 * cumulative[j] >= level:
            best = j
    if best is None:
        return None
    return sorted_amounts[best - 1], sorted_amounts[n - best]


def fair_price(observations: Iterable[Observation], today: date) -> FairPrice | None:
    """The fair price read from `observations`, or None without any report to read."""
    observations = list(observations)
    oldest = today - timedelta(days=MAX_AGE_DAYS)
    heard = voices(observations, today)
    if not heard:
        return None
    centre, spread = _centre_and_spread([v.log for v in heard], [v.weight for v in heard])
    kept = [v for v in heard if abs(v.log - centre) / spread <= OUTLIER_Z]
    logs = [v.log for v in kept]
    weights = [v.weight for v in kept]
    median_log = weighted_quantile(logs, weights, 0.5)
    total = math.fsum(weights)
    effective = total * total / math.fsum(w * w for w in weights)
    confidence = (
        Confidence.HIGH
        if effective >= 10
        else Confidence.MEDIUM
        if effective >= 4
        else Confidence.LOW
    )
    amounts = [v.amount for v in kept]
    return FairPrice(
        median=_amount_at(kept, median_log),
        low=_amount_at(kept, weighted_quantile(logs, weights, 0.25)),
        high=_amount_at(kept, weighted_quantile(logs, weights, 0.75)),
        interval=median_interval(sorted(amounts)),
        centre=median_log,
        spread=spread,
        reporters=len(kept),
        outliers=len(heard) - len(kept),
        reports=sum(1 for o in observations if o.amount > 0 and o.observed_on >= oldest),
        effective=round(effective, 2),
        confidence=confidence,
        oldest=min(v.observed_on for v in kept),
        newest=max(v.observed_on for v in kept),
        voices=tuple(kept),
    )


def _amount_at(kept: Sequence[Voice], log_value: float) -> int:
    """A quantile as an amount: a reporter's own amount, or the geometric midpoint of two."""
    for v in kept:
        if math.isclose(v.log, log_value, rel_tol=0, abs_tol=1e-12):
            return v.amount
    return round(math.exp(log_value))


def judge(amount: int, fair: FairPrice) -> Judgement:
    """Where `amount` (in the fair price's currency) stands among what reporters paid."""
    log = math.log(amount)
    z = (log - fair.centre) / fair.spread
    below = math.fsum(v.weight for v in fair.voices if v.amount < amount)
    equal = math.fsum(v.weight for v in fair.voices if v.amount == amount)
    total = math.fsum(v.weight for v in fair.voices)
    percentile = (below + equal / 2) / total * 100
    if z > OUTLIER_Z:
        verdict = Verdict.OVERPRICED
    elif z < -OUTLIER_Z:
        verdict = Verdict.UNUSUALLY_LOW
    elif amount > fair.high:
        verdict = Verdict.HIGH
    elif amount < fair.low:
        verdict = Verdict.LOW
    else:
        verdict = Verdict.TYPICAL
    return Judgement(verdict, round(percentile, 1), amount / fair.median - 1, round(z, 2))


def monthly(observations: Iterable[Observation]) -> list[Month]:
    """Per calendar month: each reporter's latest report in it, their median and quartiles
    (unweighted: a month is read on its own). Months without reports are left out."""
    by_month: dict[date, list[Observation]] = {}
    for o in observations:
        if o.amount > 0:
            by_month.setdefault(o.observed_on.replace(day=1), []).append(o)
    months = []
    for first, reports in sorted(by_month.items()):
        last_day = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        heard = voices(reports, last_day, max_age_days=31)
        logs = [v.log for v in heard]
        ones = [1.0] * len(heard)
        months.append(
            Month(
                month=first,
                median=_amount_at(heard, weighted_quantile(logs, ones, 0.5)),
                low=_amount_at(heard, weighted_quantile(logs, ones, 0.25)),
                high=_amount_at(heard, weighted_quantile(logs, ones, 0.75)),
                reporters=len(heard),
            )
        )
    return months


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sided p-value of the Mann-Whitney U test (SciPy: exact for small samples without
    ties, else the normal approximation with the tie and continuity corrections)."""
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def hodges_lehmann(a: Sequence[float], b: Sequence[float]) -> float:
    """The median of all differences x - y (x from a, y from b)."""
    differences = sorted(x - y for x in a for y in b)
    n = len(differences)
    return (differences[(n - 1) // 2] + differences[n // 2]) / 2


def change(observations: Iterable[Observation], today: date) -> Change | None:
    """Whether prices moved: the reporters of the last `CHANGE_WINDOW_DAYS` against those of the
    365 days before; None while either side has fewer than `CHANGE_MIN_REPORTERS`."""
    split = today - timedelta(days=CHANGE_WINDOW_DAYS)
    start = change_start(today)
    recent_reports, before_reports = [], []
    for o in observations:
        if split < o.observed_on <= today:
            recent_reports.append(o)
        elif start < o.observed_on <= split:
            before_reports.append(o)
    recent = [v.log for v in voices(recent_reports, today, CHANGE_WINDOW_DAYS)]
    before = [v.log for v in voices(before_reports, split, 365)]
    if len(recent) < CHANGE_MIN_REPORTERS or len(before) < CHANGE_MIN_REPORTERS:
        return None
    ratio = math.exp(hodges_lehmann(recent, before))
    p_value = mann_whitney(recent, before)
    significant = p_value < CHANGE_ALPHA and abs(ratio - 1) >= CHANGE_MIN_RATIO
    return Change(round(ratio, 4), p_value, len(recent), len(before), significant)


class Direction(StrEnum):
    DOWN = "down"
    UP = "up"
    ANY = "any"


def alert(change_: Change | None, direction: Direction, alerted: float | None) -> bool:
    """Whether a watch tells its traveler of `change_`: a significant move the way they asked,
    not told yet; after one, only a move that turned, or that went CHANGE_MIN_RATIO further."""
    if change_ is None or not change_.significant:
        return False
    if direction is Direction.DOWN and change_.ratio >= 1:
        return False
    if direction is Direction.UP and change_.ratio <= 1:
        return False
    if alerted is None:
        return True
    if (change_.ratio > 1) != (alerted > 1):
        return True
    return abs(math.log(change_.ratio / alerted)) >= math.log1p(CHANGE_MIN_RATIO)


def faded(change_: Change | None, alerted: float | None) -> bool:
    """A move told of that has faded (under half the threshold, or nothing left to compare):
    the watch is armed again. The gap between the two thresholds keeps prices that hover near
    one from telling the traveler again and again."""
    if alerted is None:
        return False
    return change_ is None or abs(change_.ratio - 1) < CHANGE_MIN_RATIO / 2


def change_start(today: date) -> date:
    """The first day (exclusive) `change` reads."""
    return today - timedelta(days=CHANGE_WINDOW_DAYS + 365)


def cell(lat: float, lon: float) -> str:
    """A report's spot to about a hundred metres: one report per person, item, spot and day."""
    return f"{round(lat, 3):.3f},{round(lon, 3):.3f}"
