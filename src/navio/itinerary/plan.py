"""Trip planning: a request and candidate places in, day-by-day schedules out.

`plan_trip` turns a `PlanRequest` (days, interests, pace, must-sees, meals ...) and a list of
`Candidate` places into a multi-day orienteering `Instance` for `navio.itinerary.solver`,
solves it and turns the `Solution` back into one `DayPlan` per day with timezone-aware times.
Every solution is re-checked by the independent `navio.itinerary.check`; a violation is a bug
and raises `PlanBugError`.  The module is pure: no database, no web, no other context
(opening hours arrive as plain weekly windows, categories as plain strings).

Units and clocks
----------------
Solver times are **minutes**.  Each day (route) has its own clock: minutes of *elapsed* time
since that day's local midnight in the trip's timezone (so a day with a DST change is still
measured in real minutes; local wall-clock times - day bounds, opening hours, meal windows -
are converted through `zoneinfo`).  Travel legs are rounded *up* to whole minutes; visit and
meal durations are whole minutes, so plans built from whole-minute inputs have whole-minute
times.  A leg the router cannot answer (non-finite) is treated as unreachable.

Score (`candidate_score`; every term is returned in `PlannedStop.why`, the score is their sum)
---------------------------------------------------------------------------------------------
==============  =========================================================================
term            value
==============  =========================================================================
``interest``    3.0 when the category belongs to one of the interests, 1.0 when it does
                not; 2.0 for everyone when the request names no interests
``rating``      2.0 x rating / 5 (an unknown rating counts as 3 / 5)
``popularity``  1.5 x popularity (clamped to 0..1)
``must_see``    5.0 for a must-see (which is also a solver must-visit node), else 0
``length``      (w - 1) x (sum of the terms above), with the length weight
                w = (visit minutes + 20) / 80 clamped to 0.4..2.0 (table minutes or the
                override, before the pace): a 10-minute artwork counts 0.4 of its terms,
                a 60-minute visit 1.0, a 90-minute museum 1.375, 150 minutes and more 2.0
==============  =========================================================================

The length term keeps the score roughly proportional to the time a visit takes, so that the
orienteering objective (total score within the day) does not fill days with ten-minute stops
at the expense of museums.  Scores are always >= 0.4.

Avoided places (by key, category or interest group) are excluded, except that a key named
explicitly as must-see, locked or in the manual order wins over an avoided *category* (the
same key both avoided and required is a `PlanError`); avoid tokens that match nothing are
ignored.

Interest groups (`INTEREST_GROUPS`; an interest may also be a single category, and
``church``/``cathedral``/``mosque``/``synagogue``/``temple`` mean ``place_of_worship``)
--------------------------------------------------------------------------------------
=================  ========================================================================
group              categories
=================  ========================================================================
``culture``        museum, gallery, historic, monument, castle, place_of_worship, artwork,
                   arts_centre
``nature``         park, nature_reserve, beach, natural_site, viewpoint
``food``           restaurant, cafe, fast_food, food_court, market
``family``         zoo, aquarium, theme_park, playground
``nightlife``      bar, pub, nightclub, casino, music_venue
``shopping``       shop, mall, market
``entertainment``  theatre, cinema, music_venue, arts_centre
``sights``         attraction, viewpoint, monument, castle, historic
``wellness``       spa
``sports``         sports
=================  ========================================================================

Which places are visits: categories in `NOT_SIGHTS` (lodging, transport, traveller services)
never are; categories in `INTEREST_ONLY` (food and drink, nightlife, shops and malls, cinemas,
sports, spas, theatres and music venues: a show, not a sight) only when an interest names them
(so restaurants and cafes serve meals unless ``food`` is an interest); everything else,
including categories this module does not know, is a sight.  A must-see, locked or manually
ordered place is always a visit.

Visit durations (`VISIT_MINUTES`, minutes; unknown categories 45)
-----------------------------------------------------------------
attraction 45, museum 90, gallery 60, artwork 10, monument 15, castle 90, historic 30,
place_of_worship 30, viewpoint 20, park 45, nature_reserve 120, beach 90, natural_site 60,
playground 30, zoo 150, aquarium 90, theme_park 180, theatre 120, cinema 120, music_venue 120,
arts_centre 60, nightclub 120, casino 90, library 30, sports 90, spa 120, restaurant 75, cafe 30,
bar 60, pub 60, fast_food 30, food_court 30, shop 20, mall 60, market 45, supermarket 15,
information 15; lodging, transport and services 30.  `Candidate.duration_minutes` replaces the
table value.

Pace (`PACE`)
-------------
* ``relaxed`` - every visit is allotted 30 extra minutes of slack (lingering, a coffee); the
  slack is part of the stop (``end = start + duration + 30``) and must fit inside the opening
  hours too.  The day still starts at the requested time (no later start is assumed).
* ``moderate`` - table durations as they are.
* At most 4 (relaxed), 6 (moderate) or 9 (packed) visits a day, meals not counted (a solver
  limit per route): without it a day fills with ten-minute stops.
* ``packed`` - table durations x 0.8 (rounded, at least 5 minutes).  An explicit
  `Candidate.duration_minutes` is not shortened (it is what the place takes).
Meal durations come from the meal windows and do not depend on the pace.

Opening hours
-------------
`Candidate.hours` are weekly windows ``(start_second_of_week, duration_seconds)`` with Monday
00:00 = 0 in local time; a window may run past Sunday midnight (it wraps around), overlapping
or touching windows are merged (so seven 24-hour windows are "always open").  ``None`` means
unknown: the place is assumed open during the whole day; an empty tuple means never open.
For each day the visit must *start* in the window and *end* by its closing, and lie within
the day: the node's window on that route is ``[max(opening, day start), min(closing, day
end) - duration]``.  When several windows meet the day (10-12 and 13-17) the one giving the
longest such start interval is taken (the earliest on a tie); the solver supports one window
per node and route.  No window long enough: the node is closed on that route.

Travel
------
One `TravelTimes.matrix` call over every point: the distinct day start/end points (hotels,
deduplicated) and every candidate that may be a visit or a meal, in ``request.mode``.  Day
``r`` runs from ``days[r].start_point`` at ``days[r].start`` to ``days[r].end_point`` by
``days[r].end``.  A day too short even for the transfer between its two points gets no visits
and a note (its return is then scheduled after the requested end).

Prefilter
---------
Candidates that are closed on every day, or cannot be reached from the day's start point,
visited and left to the day's end point within any day, are dropped; of the rest the best
``max(150, 12 x days)`` by score (ties by key) are kept, plus every must-see and locked place.

Meals (``request.meals``)
-------------------------
Restaurants are candidates of a `MEAL_CATEGORIES` category whose ``diets`` include every diet
of the request (and that are not avoided).  The trip is first solved without meals (40% of
the time limit).  Then, per day: lunch goes to the eligible restaurant nearest (great-circle)
to where the traveller is, in that first plan, at the middle of the lunch window (position
interpolated along the legs; at a place during a visit or a wait); dinner likewise at the
middle of the dinner window (at or after the last visit, or at the hotel).  A restaurant is
eligible for a meal of a day when it is open for the whole meal inside the meal window and
the day (start in ``[window start, window end - meal duration]``) and can be reached from the
day's start and left for its end in time; restaurants not yet used on the trip are preferred.
Each meal becomes its own node: must-visit, locked to its day, open only on that day with that
window and ``service = meal duration``, score 1, cost 0 (entry prices only count towards the
budget).  A restaurant chosen for a meal is not also a visit.  The trip is then solved again
from scratch with the remaining time.  If the locked meals cannot all be inserted, they stay
must-visit but unlocked.  A meal that cannot be placed is explained in the day's notes (e.g.
"no restaurant matching vegan known nearby: lunch not placed").  Dinner needs a day that
ends after the dinner window opens (the day ends back at the hotel).

Locking: ``request.locked`` maps keys to solver ``locked`` routes, ``request.order`` to
``locked_prefix`` (the day's first visits in that order; in the final solve the day's meals go
between them where the traveler takes them and the day still fits, ``_prefixes_with_meals``).
Budget: node cost = entry price x travellers, solver budget = ``budget_minor``.  Determinism:
the same inputs, seed and ``max_iterations`` give the same plan (with only a time limit, the
result depends on how many iterations fitted).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray

from navio.itinerary.check import check
from navio.itinerary.solver import Instance, RoutePlan, Solution, solve
from navio.itinerary.travel import Mode, TravelTimes, great_circle_m

__all__ = [
    "INTEREST_GROUPS",
    "INTEREST_ONLY",
    "MEAL_CATEGORIES",
    "NOT_SIGHTS",
    "PACE",
    "VISIT_MINUTES",
    "Candidate",
    "DayPlan",
    "DaySpec",
    "Leg",
    "MealWindow",
    "Plan",
    "PlanBugError",
    "PlanError",
    "PlanRequest",
    "PlannedStop",
    "Totals",
    "candidate_score",
    "interest_categories",
    "plan_trip",
    "visit_minutes",
]

FloatArray = NDArray[np.float64]
Pace = Literal["relaxed", "moderate", "packed"]
StopKind = Literal["visit", "lunch", "dinner"]

DAY: Final = 86_400
WEEK: Final = 7 * DAY
MAX_DAYS: Final = 31
MAX_CANDIDATES: Final = 150
CANDIDATES_PER_DAY: Final = 12
UNREACHABLE_MIN: Final = 1.0e6  # minutes: a leg the router could not answer
MEAL_SCORE: Final = 1.0
FIRST_SOLVE_SHARE: Final = 0.4
MIN_SOLVE_SECONDS: Final = 0.05

INTEREST_MATCH: Final = 3.0
INTEREST_NEUTRAL: Final = 2.0
INTEREST_OTHER: Final = 1.0
RATING_WEIGHT: Final = 2.0
RATING_UNKNOWN: Final = 3.0
POPULARITY_WEIGHT: Final = 1.5
MUST_SEE_BONUS: Final = 5.0
LENGTH_OFFSET: Final = 20.0  # length weight = (table minutes + 20) / 80, within 0.4..2.0
LENGTH_SCALE: Final = 80.0
LENGTH_MIN: Final = 0.4
LENGTH_MAX: Final = 2.0


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


INTEREST_GROUPS: Final[Mapping[str, frozenset[str]]] = {
    "culture": _words(
        "museum gallery historic monument castle place_of_worship artwork arts_centre"
    ),
    "nature": frozenset({"park", "nature_reserve", "beach", "natural_site", "viewpoint"}),
    "food": frozenset({"restaurant", "cafe", "fast_food", "food_court", "market"}),
    "family": frozenset({"zoo", "aquarium", "theme_park", "playground"}),
    "nightlife": frozenset({"bar", "pub", "nightclub", "casino", "music_venue"}),
    "shopping": frozenset({"shop", "mall", "market"}),
    "entertainment": frozenset({"theatre", "cinema", "music_venue", "arts_centre"}),
    "sights": frozenset({"attraction", "viewpoint", "monument", "castle", "historic"}),
    "wellness": frozenset({"spa"}),
    "sports": frozenset({"sports"}),
}

CATEGORY_ALIASES: Final[Mapping[str, str]] = {
    "church": "place_of_worship",
    "cathedral": "place_of_worship",
    "mosque": "place_of_worship",
    "synagogue": "place_of_worship",
    "temple": "place_of_worship",
}

NOT_SIGHTS: Final = _words(
    "hotel hostel guest_house camp_site airport train_station subway_station "
    "subway_entrance bus_station ferry_terminal bicycle_rental car_rental taxi "
    "charging_station fuel parking pharmacy hospital police post_office "
    "bureau_de_change bank embassy supermarket information"
)

_SERVICE_MINUTES = 30  # lodging, transport, services: only visited when asked for by key

VISIT_MINUTES: Final[Mapping[str, int]] = {
    "attraction": 45,
    "museum": 90,
    "gallery": 60,
    "artwork": 10,
    "monument": 15,
    "castle": 90,
    "historic": 30,
    "place_of_worship": 30,
    "viewpoint": 20,
    "park": 45,
    "nature_reserve": 120,
    "beach": 90,
    "natural_site": 60,
    "playground": 30,
    "zoo": 150,
    "aquarium": 90,
    "theme_park": 180,
    "theatre": 120,
    "cinema": 120,
    "music_venue": 120,
    "arts_centre": 60,
    "nightclub": 120,
    "casino": 90,
    "library": 30,
    "sports": 90,
    "spa": 120,
    "restaurant": 75,
    "cafe": 30,
    "bar": 60,
    "pub": 60,
    "fast_food": 30,
    "food_court": 30,
    "shop": 20,
    "mall": 60,
    "market": 45,
    "supermarket": 15,
    "information": 15,
    **dict.fromkeys(sorted(NOT_SIGHTS - {"supermarket", "information"}), _SERVICE_MINUTES),
}
DEFAULT_VISIT_MINUTES: Final = 45

INTEREST_ONLY: Final = _words(
    "restaurant cafe fast_food food_court bar pub nightclub casino shop cinema sports spa "
    "theatre music_venue mall"
)

MEAL_CATEGORIES: Final = frozenset({"restaurant", "cafe", "fast_food", "food_court"})


@dataclass(frozen=True, slots=True)
class _PaceRule:
    factor: float  # applied to table durations (not to explicit overrides)
    slack_minutes: int  # added to every visit
    visits_per_day: int  # at most this many visits a day (meals come on top)


PACE: Final[Mapping[str, _PaceRule]] = {
    "relaxed": _PaceRule(1.0, 30, 4),
    "moderate": _PaceRule(1.0, 0, 6),
    "packed": _PaceRule(0.8, 0, 9),
}

_MODES: Final = frozenset({"walk", "transit", "drive"})


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Candidate:
    """A place that may be visited (or serve a meal).

    ``hours``: weekly windows ``(start_second_of_week, duration_seconds)``, Monday 00:00 = 0,
    local time; ``None`` = unknown (assumed open all day), ``()`` = never open.
    ``price_minor``: entry price per person in minor units (0 when free or unknown).
    """

    key: str
    name: str
    lat: float
    lon: float
    category: str
    rating: float | None = None
    popularity: float = 0.0
    price_minor: int = 0
    hours: tuple[tuple[int, int], ...] | None = None
    duration_minutes: int | None = None
    diets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DaySpec:
    """One day: local (naive) start and end times, and where it starts and ends (lat, lon)."""

    date: dt.date
    start: dt.time
    end: dt.time
    start_point: tuple[float, float]
    end_point: tuple[float, float]


@dataclass(frozen=True)
class MealWindow:
    """A meal must start and end within ``[start, end]`` (local) and lasts ``minutes``."""

    start: dt.time
    end: dt.time
    minutes: int


@dataclass(frozen=True)
class PlanRequest:
    """What to plan.  ``locked`` maps a key to a day index; ``order`` maps a day index to the
    keys that must open that day in that order (the user's manual order)."""

    days: Sequence[DaySpec]
    interests: frozenset[str] = frozenset()
    pace: Pace = "moderate"
    must_see: frozenset[str] = frozenset()
    avoid: frozenset[str] = frozenset()
    mode: Mode = "walk"
    budget_minor: int | None = None
    travelers: int = 1
    meals: bool = True
    lunch: MealWindow = MealWindow(dt.time(12, 0), dt.time(14, 30), 60)
    dinner: MealWindow = MealWindow(dt.time(18, 0), dt.time(21, 0), 90)
    diet: frozenset[str] = frozenset()
    locked: Mapping[str, int] = field(default_factory=dict)
    order: Mapping[int, Sequence[str]] = field(default_factory=dict)
    seed: int = 0
    time_limit: float = 1.4
    max_iterations: int | None = None


# ---------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Leg:
    """Travel from the previous point: ``minutes`` as scheduled (rounded up), ``metres``."""

    mode: Mode
    minutes: float
    metres: float


@dataclass(frozen=True)
class PlannedStop:
    key: str
    name: str
    kind: StopKind
    category: str
    arrival: dt.datetime
    start: dt.datetime
    end: dt.datetime
    travel: Leg
    cost_minor: int
    score: float
    why: dict[str, float]
    locked: bool


@dataclass(frozen=True)
class Totals:
    visits: int
    meals: int
    visit_minutes: float
    meal_minutes: float
    travel_minutes: float
    travel_metres: float
    wait_minutes: float
    cost_minor: int
    score: float


@dataclass(frozen=True)
class DayPlan:
    index: int
    date: dt.date
    departure: dt.datetime
    return_time: dt.datetime
    stops: list[PlannedStop]
    return_leg: Leg
    notes: list[str]
    totals: Totals


@dataclass(frozen=True)
class Plan:
    days: list[DayPlan]
    totals: Totals
    notes: list[str]
    instance: Instance
    solution: Solution
    node_keys: tuple[str, ...]  # solver node -> "hotel:<point>", a candidate key, "lunch:<key>"
    elapsed: float


class PlanError(ValueError):
    """An invalid request; ``field`` names the offending request field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PlanBugError(RuntimeError):
    """The independent checker rejected a solution: a bug, never the user's fault."""


# ---------------------------------------------------------------- public helpers


def interest_categories(tokens: frozenset[str]) -> frozenset[str]:
    """Categories named by interest tokens (groups, categories, aliases); unknown raise."""
    out: set[str] = set()
    for token in sorted(tokens):
        name = token.strip().lower()
        if name in INTEREST_GROUPS:
            out |= INTEREST_GROUPS[name]
        elif name in CATEGORY_ALIASES:
            out.add(CATEGORY_ALIASES[name])
        elif name in VISIT_MINUTES:
            out.add(name)
        else:
            known = ", ".join(sorted(INTEREST_GROUPS))
            raise PlanError("interests", f"unknown interest {token!r} (groups: {known})")
    return frozenset(out)


def _content_order(c: Candidate) -> tuple[float, float, str, str, str]:
    """Sort key of a place by what it is; its id only separates exact duplicates."""
    return (c.lat, c.lon, c.category, c.name, c.key)


def _category(candidate: Candidate) -> str:
    name = candidate.category.strip().lower()
    return CATEGORY_ALIASES.get(name, name)


def _table_minutes(candidate: Candidate) -> int:
    if candidate.duration_minutes is not None:
        return candidate.duration_minutes
    return VISIT_MINUTES.get(_category(candidate), DEFAULT_VISIT_MINUTES)


def candidate_score(
    candidate: Candidate, interests: frozenset[str], must_see: bool = False
) -> dict[str, float]:
    """The score terms of a candidate (``interests`` as categories, see
    `interest_categories`).  The score is their sum, always >= 0.4."""
    if not interests:
        interest = INTEREST_NEUTRAL
    else:
        interest = INTEREST_MATCH if _category(candidate) in interests else INTEREST_OTHER
    rating = RATING_UNKNOWN if candidate.rating is None else candidate.rating
    rating = min(max(rating, 0.0), 5.0)
    popularity = min(max(candidate.popularity, 0.0), 1.0)
    terms = {
        "interest": interest,
        "rating": round(RATING_WEIGHT * rating / 5.0, 6),
        "popularity": round(POPULARITY_WEIGHT * popularity, 6),
        "must_see": MUST_SEE_BONUS if must_see else 0.0,
    }
    minutes = _table_minutes(candidate)
    weight = min(max((minutes + LENGTH_OFFSET) / LENGTH_SCALE, LENGTH_MIN), LENGTH_MAX)
    terms["length"] = round((weight - 1.0) * sum(terms.values()), 6)
    return terms


def visit_minutes(candidate: Candidate, pace: Pace) -> int:
    """The time allotted to a visit (table or override, adjusted by the pace)."""
    rule = PACE[pace]
    if candidate.duration_minutes is not None:
        base = candidate.duration_minutes
    else:
        base = max(5, round(_table_minutes(candidate) * rule.factor))
    return base + rule.slack_minutes


# ---------------------------------------------------------------- clocks and windows


class _Clock:
    """Minutes of elapsed time since the local midnight of one day."""

    def __init__(self, day: dt.date, zone: ZoneInfo) -> None:
        self.day = day
        self.zone = zone
        self.naive_midnight = dt.datetime.combine(day, dt.time(0))
        self.midnight = self.naive_midnight.replace(tzinfo=zone).astimezone(dt.UTC)

    def minutes(self, wall_seconds: float) -> float:
        """Local wall-clock seconds after this day's midnight -> clock minutes."""
        local = self.naive_midnight + dt.timedelta(seconds=wall_seconds)
        utc = local.replace(tzinfo=self.zone).astimezone(dt.UTC)
        return (utc - self.midnight).total_seconds() / 60.0

    def at(self, minutes: float) -> dt.datetime:
        return (self.midnight + dt.timedelta(minutes=minutes)).astimezone(self.zone)


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


Intervals = tuple[tuple[int, int], ...]


def _intervals(hours: tuple[tuple[int, int], ...] | None) -> Intervals | None:
    """Weekly windows as merged [lo, hi) second intervals over weeks -1, 0 and +1."""
    if hours is None:
        return None
    pieces: list[tuple[int, int]] = []
    for start, length in hours:
        if length <= 0:
            continue
        if length >= WEEK:
            return ((-WEEK, 2 * WEEK),)
        s0 = int(start) % WEEK
        pieces.extend((s0 + k * WEEK, s0 + k * WEEK + int(length)) for k in (-1, 0, 1))
    pieces.sort()
    merged: list[list[int]] = []
    for lo, hi in pieces:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def _window(
    intervals: Intervals | None,
    weekday: int,
    lo_wall: float,
    hi_wall: float,
    clock: _Clock,
    service: float,
) -> tuple[float, float] | None:
    """The start window (clock minutes) of a stay of ``service`` minutes inside both the
    opening hours and ``[lo_wall, hi_wall]`` (local seconds of the day); the longest one."""
    if hi_wall <= lo_wall:
        return None
    base = weekday * DAY
    if intervals is None:
        spans = [(lo_wall, hi_wall)]
    else:
        spans = [
            (max(lo - base, lo_wall), min(hi - base, hi_wall))
            for lo, hi in intervals
            if lo - base < hi_wall and hi - base > lo_wall
        ]
    best: tuple[float, float] | None = None
    for a, b in spans:
        opens = clock.minutes(a)
        closes = clock.minutes(b) - service
        if closes < opens - 1e-9:
            continue
        if best is None or closes - opens > best[1] - best[0] + 1e-9:
            best = (opens, closes)
    return best


# ---------------------------------------------------------------- the model


@dataclass
class _Node:
    """A non-terminal solver node (a visit or a meal)."""

    key: str
    name: str
    kind: StopKind
    category: str
    point: int
    service: float
    score: float
    why: dict[str, float]
    cost: float
    price_minor: int
    locked: bool
    opens: list[float]  # per day; close < open (-inf) = closed
    closes: list[float]
    rating: float = 0.0


@dataclass
class _Day:
    index: int
    spec: DaySpec
    clock: _Clock
    weekday: int
    lo_wall: int
    hi_wall: int
    start: float  # clock minutes
    end: float  # as requested
    solver_end: float  # >= end when even the transfer does not fit
    start_pt: int
    end_pt: int
    transfer_only: bool
    transfer_note: str | None


@dataclass
class _Model:
    request: PlanRequest
    days: list[_Day]
    minutes: FloatArray  # point x point travel minutes (rounded up)
    metres: FloatArray
    points: list[tuple[float, float]]
    n_hotels: int
    visits: list[_Node]
    restaurants: list[tuple[Candidate, int]]  # meal-eligible candidates and their points
    intervals: dict[str, Intervals | None]


def _fail(field_name: str, message: str) -> PlanError:
    return PlanError(field_name, message)


def _check_point(point: tuple[float, float], field_name: str) -> None:
    lat, lon = point
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise _fail(field_name, f"invalid coordinates {point}")


def _validate(request: PlanRequest, candidates: Sequence[Candidate]) -> None:
    days = list(request.days)
    if not days:
        raise _fail("days", "at least one day is needed")
    if len(days) > MAX_DAYS:
        raise _fail("days", f"at most {MAX_DAYS} days can be planned, got {len(days)}")
    for i, day in enumerate(days):
        for name, value in (("start", day.start), ("end", day.end)):
            if value.tzinfo is not None:
                raise _fail(f"days[{i}].{name}", "must be a naive local time")
        if day.end <= day.start:
            raise _fail(
                f"days[{i}].end",
                f"day {day.date} ends at {_hhmm(day.end)}, not after its start {_hhmm(day.start)}",
            )
        _check_point(day.start_point, f"days[{i}].start_point")
        _check_point(day.end_point, f"days[{i}].end_point")
    if request.pace not in PACE:
        raise _fail("pace", f"unknown pace {request.pace!r} (relaxed, moderate, packed)")
    if request.mode not in _MODES:
        raise _fail("mode", f"unknown mode {request.mode!r} (walk, transit, drive)")
    if request.travelers < 1:
        raise _fail("travelers", "at least one traveller is needed")
    if request.budget_minor is not None and request.budget_minor < 0:
        raise _fail("budget_minor", "the budget must not be negative")
    if not (request.time_limit > 0 and math.isfinite(request.time_limit)):
        raise _fail("time_limit", "the time limit must be a positive number of seconds")
    if request.max_iterations is not None and request.max_iterations < 0:
        raise _fail("max_iterations", "must not be negative")
    for name, meal in (("lunch", request.lunch), ("dinner", request.dinner)):
        if meal.end <= meal.start or meal.minutes <= 0:
            raise _fail(name, "the meal window must end after it starts and last > 0 minutes")
        if meal.minutes * 60 > _seconds(meal.end) - _seconds(meal.start):
            raise _fail(name, f"a {meal.minutes}-minute meal does not fit into its window")
    keys: set[str] = set()
    for c in candidates:
        if c.key in keys:
            raise _fail("candidates", f"duplicate candidate key {c.key!r}")
        keys.add(c.key)
        _check_point((c.lat, c.lon), "candidates")
        if c.rating is not None and not 0 <= c.rating <= 5:
            raise _fail("candidates", f"{c.key}: rating must be within 0..5")
        if c.price_minor < 0:
            raise _fail("candidates", f"{c.key}: price must not be negative")
        if c.duration_minutes is not None and c.duration_minutes <= 0:
            raise _fail("candidates", f"{c.key}: duration must be positive")
        for item in c.hours or ():
            if len(item) != 2 or item[1] < 0:
                raise _fail("candidates", f"{c.key}: hours are (start_second, duration) pairs")
    unknown = sorted(request.must_see - keys)
    if unknown:
        raise _fail("must_see", f"unknown place(s): {', '.join(unknown)}")
    for key, day_index in sorted(request.locked.items()):
        if key not in keys:
            raise _fail("locked", f"unknown place {key!r}")
        if not 0 <= day_index < len(days):
            raise _fail("locked", f"{key!r} is locked to day {day_index}, which is not planned")
    seen: dict[str, int] = {}
    for day_index, order in sorted(request.order.items()):
        if not 0 <= day_index < len(days):
            raise _fail("order", f"day {day_index} is not planned")
        for key in order:
            if key not in keys:
                raise _fail("order", f"unknown place {key!r}")
            if key in seen:
                raise _fail("order", f"{key!r} appears twice in the manual order")
            seen[key] = day_index
            if request.locked.get(key, day_index) != day_index:
                raise _fail("order", f"{key!r} is ordered on day {day_index} but locked elsewhere")
    for key in sorted(request.avoid):
        if key in keys and (key in request.must_see or key in request.locked or key in seen):
            raise _fail("avoid", f"{key!r} is both avoided and required")


def _travel_minutes(seconds: FloatArray) -> FloatArray:
    mins = np.asarray(seconds, dtype=np.float64) / 60.0
    finite = np.isfinite(mins)
    out = np.where(finite, np.ceil(np.where(finite, mins, 0.0) - 1e-9), UNREACHABLE_MIN)
    out = np.maximum(out, 0.0)
    np.fill_diagonal(out, 0.0)
    return np.asarray(out, dtype=np.float64)


def _build(
    request: PlanRequest, candidates: Sequence[Candidate], travel: TravelTimes, zone: ZoneInfo
) -> tuple[_Model, list[str]]:
    notes: list[str] = []
    interests = interest_categories(request.interests)
    avoid_keys = frozenset(k for k in request.avoid if k in {c.key for c in candidates})
    avoid_cats: set[str] = set()
    for token in sorted(request.avoid - avoid_keys):
        name = token.strip().lower()
        if name in INTEREST_GROUPS:
            avoid_cats |= INTEREST_GROUPS[name]
        else:
            avoid_cats.add(CATEGORY_ALIASES.get(name, name))  # unknown tokens match nothing
    ordered = {k for keys in request.order.values() for k in keys}
    forced = set(request.must_see) | set(request.locked) | ordered
    diet = frozenset(d.strip().lower() for d in request.diet)

    # hotels first (deduplicated), then candidates
    points: list[tuple[float, float]] = []
    index: dict[tuple[float, float], int] = {}
    for spec in request.days:
        for pt in (spec.start_point, spec.end_point):
            key = (float(pt[0]), float(pt[1]))
            if key not in index:
                index[key] = len(points)
                points.append(key)
    n_hotels = len(points)

    visit_cands: list[Candidate] = []
    restaurants: list[tuple[Candidate, int]] = []
    cand_point: dict[str, int] = {}
    # places in an order of what they are, not of their ids (each catalogue import assigns new
    # random ids): the node order steers the search, so the same places give the same plan
    for c in sorted(candidates, key=_content_order):
        cat = _category(c)
        if c.key in avoid_keys:
            continue
        cat_avoided = cat in avoid_cats
        if c.key in forced:
            if cat_avoided:
                notes.append(f"{c.name} is kept although its category {cat} is avoided")
            visit = True
        else:
            visit = (
                not cat_avoided
                and cat not in NOT_SIGHTS
                and (cat not in INTEREST_ONLY or cat in interests)
            )
        meal = (
            request.meals
            and cat in MEAL_CATEGORIES
            and not cat_avoided
            and c.key not in forced
            and diet <= frozenset(d.lower() for d in c.diets)
        )
        if not (visit or meal):
            continue
        cand_point[c.key] = len(points)
        points.append((float(c.lat), float(c.lon)))
        if visit:
            visit_cands.append(c)
        if meal:
            restaurants.append((c, cand_point[c.key]))

    seconds, metres = travel.matrix(points, request.mode)
    seconds = np.asarray(seconds, dtype=np.float64)
    metres = np.asarray(metres, dtype=np.float64)
    if seconds.shape != (len(points), len(points)) or metres.shape != seconds.shape:
        raise PlanBugError("the travel matrix does not match the points")
    minutes = _travel_minutes(seconds)
    metres = np.where(np.isfinite(metres), metres, 0.0)

    days: list[_Day] = []
    for i, spec in enumerate(request.days):
        clock = _Clock(spec.date, zone)
        lo_wall, hi_wall = _seconds(spec.start), _seconds(spec.end)
        start, end = clock.minutes(lo_wall), clock.minutes(hi_wall)
        s_pt = index[(float(spec.start_point[0]), float(spec.start_point[1]))]
        e_pt = index[(float(spec.end_point[0]), float(spec.end_point[1]))]
        transfer = float(minutes[s_pt, e_pt])
        if transfer >= UNREACHABLE_MIN:
            raise _fail(
                f"days[{i}].end_point",
                f"the end point cannot be reached from the start point by {request.mode}",
            )
        transfer_only = start + transfer > end + 1e-9
        transfer_note = (
            f"the transfer from the start to the end point takes {transfer:.0f} min, longer "
            f"than the day {_hhmm(spec.start)}-{_hhmm(spec.end)}: no visits"
            if transfer_only
            else None
        )
        days.append(
            _Day(
                index=i,
                spec=spec,
                clock=clock,
                weekday=spec.date.weekday(),
                lo_wall=lo_wall,
                hi_wall=hi_wall,
                start=start,
                end=end,
                solver_end=max(end, start + transfer),
                start_pt=s_pt,
                end_pt=e_pt,
                transfer_only=transfer_only,
                transfer_note=transfer_note,
            )
        )

    intervals = {c.key: _intervals(c.hours) for c, _ in restaurants}
    visits: list[_Node] = []
    locked_keys = set(request.locked) | ordered
    for c in visit_cands:
        iv = _intervals(c.hours)
        intervals[c.key] = iv
        service = float(visit_minutes(c, request.pace))
        why = candidate_score(c, interests, c.key in request.must_see)
        opens: list[float] = []
        closes: list[float] = []
        for day in days:
            win = (
                None
                if day.transfer_only
                else _window(iv, day.weekday, day.lo_wall, day.hi_wall, day.clock, service)
            )
            opens.append(win[0] if win else day.start)
            closes.append(win[1] if win else -math.inf)
        visits.append(
            _Node(
                key=c.key,
                name=c.name,
                kind="visit",
                category=_category(c),
                point=cand_point[c.key],
                service=service,
                score=round(sum(why.values()), 6),
                why=why,
                cost=float(c.price_minor * request.travelers),
                price_minor=c.price_minor,
                locked=c.key in locked_keys,
                opens=opens,
                closes=closes,
                rating=c.rating or 0.0,
            )
        )
    model = _Model(
        request=request,
        days=days,
        minutes=minutes,
        metres=metres,
        points=points,
        n_hotels=n_hotels,
        visits=visits,
        restaurants=restaurants,
        intervals=intervals,
    )
    return model, notes


def _reachable(model: _Model, nodes: Sequence[_Node]) -> NDArray[np.bool_]:
    """(days x nodes): can the node be visited alone on that day?"""
    m = len(model.days)
    out = np.zeros((m, len(nodes)), dtype=bool)
    if not nodes:
        return out
    pts = np.array([v.point for v in nodes], dtype=np.intp)
    svc = np.array([v.service for v in nodes])
    opn = np.array([v.opens for v in nodes]).T
    cls = np.array([v.closes for v in nodes]).T
    for r, day in enumerate(model.days):
        arrive = day.start + model.minutes[day.start_pt, pts]
        begin = np.maximum(arrive, opn[r])
        back = begin + svc + model.minutes[pts, day.end_pt]
        out[r] = (arrive <= cls[r] + 1e-9) & (back <= day.solver_end + 1e-9)
    return out


def _prefilter(model: _Model, forced: set[str]) -> tuple[list[_Node], NDArray[np.bool_], int]:
    reach = _reachable(model, model.visits)
    any_day = np.asarray(reach.any(axis=0), dtype=bool)
    keep_n = max(MAX_CANDIDATES, CANDIDATES_PER_DAY * len(model.days))
    forced_nodes = [(i, v) for i, v in enumerate(model.visits) if v.key in forced]
    others = [
        (i, v) for i, v in enumerate(model.visits) if v.key not in forced and bool(any_day[i])
    ]
    others.sort(key=lambda iv: (-iv[1].score, iv[0]))
    # back in the model's order (by content, see _build)
    chosen = [v for _, v in sorted(forced_nodes + others[:keep_n], key=lambda iv: iv[0])]
    eligible = len(forced_nodes) + len(others)
    return chosen, reach, eligible


# ---------------------------------------------------------------- instance building


def _instance(
    model: _Model,
    nodes: Sequence[_Node],
    *,
    must_visit: set[int],
    locked: Mapping[int, int],
    prefixes: Mapping[int, Sequence[int]] | None = None,
) -> Instance:
    """``prefixes`` replaces the locked prefix (node indices) the request's order gives a day."""
    h = model.n_hotels
    n = h + len(nodes)
    m = len(model.days)
    pts = np.concatenate([np.arange(h, dtype=np.intp), [v.point for v in nodes]]).astype(np.intp)
    travel = np.ascontiguousarray(model.minutes[np.ix_(pts, pts)])
    score = np.zeros(n)
    service = np.zeros(n)
    cost = np.zeros(n)
    route_open = np.zeros((m, n))
    route_close = np.zeros((m, n))
    for r, day in enumerate(model.days):
        route_open[r, :h] = day.start
        route_close[r, :h] = day.solver_end
    for j, v in enumerate(nodes, start=h):
        score[j] = v.score
        service[j] = v.service
        cost[j] = v.cost
        route_open[:, j] = v.opens
        route_close[:, j] = v.closes
    prefix: dict[int, list[int]] = {}
    node_of = {v.key: j for j, v in enumerate(nodes, start=h) if v.kind == "visit"}
    for r, keys in sorted(model.request.order.items()):
        if keys:
            prefix[r] = [node_of[k] for k in keys]
    prefix.update({r: list(p) for r, p in (prefixes or {}).items()})
    budget = None if model.request.budget_minor is None else float(model.request.budget_minor)
    # the pace's visits a day, plus that day's meals, and never fewer than the traveler's own
    # locked or ordered visits of that day
    per_day = PACE[model.request.pace].visits_per_day
    fixed = [0] * m
    for r in locked.values():
        fixed[r] += 1
    for r, nodes_r in prefix.items():
        fixed[r] += sum(1 for j in nodes_r if j not in locked)
    meals = [0] * m
    for v in nodes:
        if v.kind != "visit":
            for r in range(m):
                meals[r] += v.closes[r] >= v.opens[r]
    max_visits = [max(per_day + meals[r], fixed[r]) for r in range(m)]
    return Instance(
        travel=travel,
        score=score,
        service=service,
        open=np.zeros(n),
        close=np.full(n, float(2 * 24 * 60)),
        n_routes=m,
        cost=cost,
        budget=budget,
        must_visit=frozenset(must_visit),
        locked=dict(locked),
        locked_prefix=prefix,
        depot=model.days[0].start_pt,
        route_open=route_open,
        route_close=route_close,
        starts=[d.start_pt for d in model.days],
        ends=[d.end_pt for d in model.days],
        day_start=np.array([d.start for d in model.days]),
        day_end=np.array([d.solver_end for d in model.days]),
        max_visits=max_visits,
    )


def _check_locks(model: _Model, nodes: Sequence[_Node]) -> None:
    """Clear errors for locks that can never hold (closed day, order too long, budget)."""
    request = model.request
    by_key = {v.key: v for v in nodes}
    targets = dict(request.locked)
    for r, keys in request.order.items():
        for k in keys:
            targets[k] = r
    for key, r in sorted(targets.items()):
        v = by_key[key]
        day = model.days[r]
        if v.closes[r] < v.opens[r]:
            field_name = "order" if key in request.order.get(r, ()) else "locked"
            raise _fail(
                field_name,
                f"{v.name} is closed (or too long for the day) on day {r + 1} ({day.spec.date}, "
                f"{_hhmm(day.spec.start)}-{_hhmm(day.spec.end)})",
            )
    for r, keys in sorted(request.order.items()):
        day = model.days[r]
        t, prev = day.start, day.start_pt
        for key in keys:
            v = by_key[key]
            a = t + float(model.minutes[prev, v.point])
            if a > v.closes[r] + 1e-9:
                raise _fail(
                    "order",
                    f"in the manual order of day {r + 1}, {v.name} cannot be reached before "
                    f"it closes",
                )
            t, prev = max(a, v.opens[r]) + v.service, v.point
        if t + float(model.minutes[prev, day.end_pt]) > day.solver_end + 1e-9:
            raise _fail("order", f"the manual order of day {r + 1} does not fit into the day")
    if request.budget_minor is not None:
        total = sum(by_key[k].cost for k in targets)
        if total > request.budget_minor:
            raise _fail(
                "budget_minor",
                f"the locked places cost {total:.0f}, more than the budget {request.budget_minor}",
            )


_LOCK_FAIL = re.compile(r"locked node (\d+) cannot be scheduled in route (\d+)")


def _solve(instance: Instance, request: PlanRequest, time_limit: float) -> Solution:
    solution = solve(
        instance,
        time_limit=max(time_limit, MIN_SOLVE_SECONDS),
        seed=request.seed,
        max_iterations=request.max_iterations,
    )
    violations = check(instance, solution)
    if violations:
        text = "; ".join(f"{v.kind}: {v.message}" for v in violations[:5])
        raise PlanBugError(f"the solver returned an infeasible plan: {text}")
    return solution


# ---------------------------------------------------------------- meals


def _lerp(
    a: tuple[float, float], b: tuple[float, float], dep: float, arr: float, t: float
) -> tuple[float, float]:
    if arr <= dep:
        return b
    f = min(max((t - dep) / (arr - dep), 0.0), 1.0)
    return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))


def _where(
    plan: RoutePlan,
    service: FloatArray,
    node_pos: Sequence[tuple[float, float]],
    start: tuple[float, float],
    end: tuple[float, float],
    t: float,
) -> tuple[float, float]:
    """The traveller's position at time ``t`` of a route: at a place while waiting or
    visiting, linearly interpolated along a leg, at the start/end point before/after."""
    prev, dep = start, plan.departure
    for node, arrival, begin in zip(plan.nodes, plan.arrival, plan.start, strict=True):
        here = node_pos[node]
        if t < arrival:
            return prev if t <= dep else _lerp(prev, here, dep, arrival, t)
        leave = begin + float(service[node])
        if t < leave:
            return here
        prev, dep = here, leave
    if t <= dep:
        return prev
    if t < plan.return_time:
        return _lerp(prev, end, dep, plan.return_time, t)
    return end


@dataclass
class _MealChoice:
    node: _Node
    day: int
    # how many of the day's ordered visits (its locked prefix) come before the meal: those the
    # first plan had begun by the middle of the meal window
    after: int


def _choose_meals(
    model: _Model,
    nodes: Sequence[_Node],
    first: Instance,
    solution: Solution,
    day_notes: list[list[str]],
) -> list[_MealChoice]:
    request = model.request
    diet_txt = f" matching {', '.join(sorted(request.diet))}" if request.diet else ""
    node_pos = model.points[: model.n_hotels] + [model.points[v.point] for v in nodes]
    used: set[str] = set()
    out: list[_MealChoice] = []
    for day in model.days:
        if day.transfer_only:
            continue
        plan = solution.routes[day.index]
        for kind, meal in (("lunch", request.lunch), ("dinner", request.dinner)):
            lo = max(_seconds(meal.start), day.lo_wall)
            hi = min(_seconds(meal.end), day.hi_wall)
            label = f"{_hhmm(meal.start)}-{_hhmm(meal.end)}"
            if hi - lo < meal.minutes * 60:
                day_notes[day.index].append(
                    f"the {kind} window {label} does not fit into the day "
                    f"{_hhmm(day.spec.start)}-{_hhmm(day.spec.end)}: {kind} not placed"
                )
                continue
            if not model.restaurants:
                day_notes[day.index].append(
                    f"no restaurant{diet_txt} known nearby: {kind} not placed"
                )
                continue
            options: list[tuple[Candidate, int, float, float]] = []
            for c, pt in model.restaurants:
                win = _window(
                    model.intervals[c.key], day.weekday, lo, hi, day.clock, float(meal.minutes)
                )
                if win is None:
                    continue
                arrive = day.start + float(model.minutes[day.start_pt, pt])
                begin = max(arrive, win[0])
                back = begin + meal.minutes + float(model.minutes[pt, day.end_pt])
                if arrive <= win[1] + 1e-9 and back <= day.end + 1e-9:
                    options.append((c, pt, win[0], win[1]))
            if not options:
                day_notes[day.index].append(
                    f"no restaurant{diet_txt} is open and reachable for {kind} ({label}) on "
                    f"this day: {kind} not placed"
                )
                continue
            mid = day.clock.minutes((lo + hi) / 2.0)
            here = _where(
                plan,
                first.service,
                node_pos,
                model.points[day.start_pt],
                model.points[day.end_pt],
                mid,
            )
            dist = great_circle_m([here, *(model.points[o[1]] for o in options)])[0, 1:]
            fresh = [i for i, o in enumerate(options) if o[0].key not in used]
            pool = fresh or list(range(len(options)))
            best = min(
                pool,
                key=lambda i: (
                    round(float(dist[i]), 3),
                    -(options[i][0].rating or 0.0),
                    i,  # options follow the model's order, by content
                ),
            )
            c, pt, opens, closes = options[best]
            used.add(c.key)
            begun = {n for n, b in zip(plan.nodes, plan.start, strict=True) if b < mid}
            after = sum(1 for n in first.locked_prefix.get(day.index, ()) if n in begun)
            m = len(model.days)
            node_opens = [day.start if r != day.index else opens for r in range(m)]
            node_closes = [-math.inf if r != day.index else closes for r in range(m)]
            node = _Node(
                key=c.key,
                name=c.name,
                kind="lunch" if kind == "lunch" else "dinner",
                category=_category(c),
                point=pt,
                service=float(meal.minutes),
                score=MEAL_SCORE,
                why={"meal": MEAL_SCORE},
                cost=0.0,
                price_minor=0,
                locked=False,
                opens=node_opens,
                closes=node_closes,
                rating=c.rating or 0.0,
            )
            out.append(_MealChoice(node, day.index, after))
    return out


# ---------------------------------------------------------------- output


def _leg(model: _Model, a: int, b: int) -> Leg:
    return Leg(
        mode=model.request.mode,
        minutes=float(model.minutes[a, b]),
        metres=round(float(model.metres[a, b]), 1),
    )


def _span(a: dt.datetime, b: dt.datetime) -> float:
    """Elapsed minutes (aware datetimes sharing a tzinfo subtract as wall-clock time)."""
    return (b.astimezone(dt.UTC) - a.astimezone(dt.UTC)).total_seconds() / 60.0


def _totals(stops: Sequence[PlannedStop], legs: Sequence[Leg], wait: float) -> Totals:
    return Totals(
        visits=sum(1 for s in stops if s.kind == "visit"),
        meals=sum(1 for s in stops if s.kind != "visit"),
        visit_minutes=sum(_span(s.start, s.end) for s in stops if s.kind == "visit"),
        meal_minutes=sum(_span(s.start, s.end) for s in stops if s.kind != "visit"),
        travel_minutes=sum(leg.minutes for leg in legs),
        travel_metres=round(sum(leg.metres for leg in legs), 1),
        wait_minutes=wait,
        cost_minor=sum(s.cost_minor for s in stops),
        score=round(sum(s.score for s in stops), 6),
    )


def _empty_day_note(model: _Model, day: _Day, reach: NDArray[np.bool_]) -> str:
    span = f"{_hhmm(day.spec.start)}-{_hhmm(day.spec.end)}"
    if not model.visits:
        return "no candidate places to visit were given"
    shortest = min(v.service for v in model.visits)
    if day.end - day.start < shortest:
        return f"the day is too short for any visit ({span}; the shortest takes {shortest:.0f} min)"
    r = day.index
    if not any(v.closes[r] >= v.opens[r] for v in model.visits):
        return f"no place is open on this day within {span}"
    if not reach[r].any():
        return f"no open place can be reached, visited and left within {span}"
    return "no further visit fits this day (the budget or the other days took the options)"


def _output(
    model: _Model,
    nodes: Sequence[_Node],
    instance: Instance,
    solution: Solution,
    day_notes: list[list[str]],
    reach: NDArray[np.bool_],
) -> tuple[list[DayPlan], Totals]:
    h = model.n_hotels
    out: list[DayPlan] = []
    all_stops: list[PlannedStop] = []
    all_legs: list[Leg] = []
    all_wait = 0.0
    for day, route in zip(model.days, solution.routes, strict=True):
        stops: list[PlannedStop] = []
        legs: list[Leg] = []
        prev = day.start_pt
        wait = 0.0
        for node, arrival, begin, w in zip(
            route.nodes, route.arrival, route.start, route.wait, strict=True
        ):
            v = nodes[node - h]
            leg = _leg(model, prev, v.point)
            legs.append(leg)
            wait += w
            stops.append(
                PlannedStop(
                    key=v.key,
                    name=v.name,
                    kind=v.kind,
                    category=v.category,
                    arrival=day.clock.at(arrival),
                    start=day.clock.at(begin),
                    end=day.clock.at(begin + float(instance.service[node])),
                    travel=leg,
                    cost_minor=round(v.cost),
                    score=v.score,
                    why=dict(v.why),
                    locked=v.locked,
                )
            )
            prev = v.point
        back = _leg(model, prev, day.end_pt)
        legs.append(back)
        notes = list(day_notes[day.index])
        if not any(s.kind == "visit" for s in stops) and not day.transfer_only:
            notes.append(_empty_day_note(model, day, reach))
        if day.transfer_note is not None:
            notes.append(day.transfer_note)
        out.append(
            DayPlan(
                index=day.index,
                date=day.spec.date,
                departure=day.clock.at(route.departure),
                return_time=day.clock.at(route.return_time),
                stops=stops,
                return_leg=back,
                notes=notes,
                totals=_totals(stops, legs, wait),
            )
        )
        all_stops += stops
        all_legs += legs
        all_wait += wait
    return out, _totals(all_stops, all_legs, all_wait)


# ---------------------------------------------------------------- entry point


def _prefix_fits(model: _Model, day: _Day, seq: Sequence[_Node]) -> bool:
    """Whether a day can open with exactly these stops (waiting allowed), and still end in time."""
    t, at, r = day.start, day.start_pt, day.index
    for v in seq:
        t = max(t + float(model.minutes[at, v.point]), v.opens[r])
        if t > v.closes[r] + 1e-9:
            return False
        t, at = t + v.service, v.point
    return t + float(model.minutes[at, day.end_pt]) <= day.solver_end + 1e-9


def _prefixes_with_meals(
    model: _Model,
    nodes: Sequence[_Node],
    node_of: Mapping[str, int],
    meals: Sequence[_MealChoice],
    base: int,
) -> dict[int, list[int]]:
    """The locked prefix of each ordered day with its meals between the ordered visits.

    An ordered day opens with exactly its prefix, so a meal left out of it can only come after
    the last ordered visit: too late when the traveler takes it in the middle of them. Each
    meal goes at the position that fits nearest to where the first plan had the traveler at
    the middle of its window (after ``after`` ordered visits); a meal that fits nowhere inside
    stays out of the prefix."""
    h = model.n_hotels
    out: dict[int, list[int]] = {}
    for r, keys in sorted(model.request.order.items()):
        if not keys:
            continue
        seq = [node_of[k] for k in keys]
        for i, meal in enumerate(meals):
            if meal.day != r or meal.after >= len(keys):
                continue
            # just after the `after`-th ordered visit (meals placed before count as positions)
            visits_at = [p for p, j in enumerate(seq) if nodes[j - h].kind == "visit"]
            target = visits_at[meal.after - 1] + 1 if meal.after else 0
            fits = [
                pos
                for pos in range(len(seq))
                if _prefix_fits(
                    model,
                    model.days[r],
                    [nodes[j - h] for j in (*seq[:pos], base + i, *seq[pos:])],
                )
            ]
            if fits:
                pos = min(fits, key=lambda p: (abs(p - target), p))
                seq.insert(pos, base + i)
        out[r] = seq
    return out


def plan_trip(
    request: PlanRequest,
    candidates: Sequence[Candidate],
    *,
    travel: TravelTimes,
    timezone: str,
) -> Plan:
    """Plan the trip; raises `PlanError` for an invalid request (see the module docstring)."""
    t_begin = _time.perf_counter()
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail("timezone", f"unknown timezone {timezone!r}") from None
    _validate(request, candidates)
    model, notes = _build(request, candidates, travel, zone)
    m = len(model.days)
    ordered = {k: r for r, keys in request.order.items() for k in keys}
    targets = {**dict(request.locked), **ordered}
    forced = set(request.must_see) | set(targets)
    nodes, reach, eligible = _prefilter(model, forced)
    if eligible > len(nodes):
        notes.append(f"the search considered the best {len(nodes)} of {eligible} open places")
    _check_locks(model, nodes)
    h = model.n_hotels
    node_of = {v.key: j for j, v in enumerate(nodes, start=h)}
    must = {node_of[k] for k in request.must_see}
    locked = {node_of[k]: r for k, r in targets.items()}
    first = _instance(model, nodes, must_visit=must, locked=locked)
    two_phase = request.meals and bool(model.restaurants)
    share = FIRST_SOLVE_SHARE if two_phase else 1.0
    try:
        solution = _solve(first, request, request.time_limit * share)
    except ValueError as exc:  # locked places that the solver cannot insert together
        match = _LOCK_FAIL.search(str(exc))
        if match is None:
            raise _fail("locked", f"the locked places cannot all be scheduled ({exc})") from exc
        v = nodes[int(match[1]) - h]
        raise _fail(
            "locked",
            f"{v.name} cannot be scheduled on day {int(match[2]) + 1} together with the other "
            f"locked places",
        ) from exc
    instance = first
    day_notes: list[list[str]] = [[] for _ in range(m)]
    final_nodes: list[_Node] = list(nodes)
    if request.meals:
        meals = _choose_meals(model, nodes, first, solution, day_notes)
        if meals:
            meal_keys = {c.node.key for c in meals}
            final_nodes = [
                replace(v, closes=[-math.inf] * m) if v.key in meal_keys else v for v in nodes
            ]
            base = h + len(final_nodes)
            final_nodes += [c.node for c in meals]
            meal_must = {base + i for i in range(len(meals))}
            meal_locked = {base + i: c.day for i, c in enumerate(meals)}
            # a meal the traveler takes in the middle of the visits they ordered goes between
            # them: an ordered day opens with exactly its prefix, so a meal left out of it could
            # only come after the last ordered visit, too late for its window
            prefixes = _prefixes_with_meals(model, final_nodes, node_of, meals, base)
            remaining = request.time_limit - (_time.perf_counter() - t_begin)
            instance = _instance(
                model,
                final_nodes,
                must_visit=must | meal_must,
                locked={**locked, **meal_locked},
                prefixes=prefixes,
            )
            try:
                solution = _solve(instance, request, remaining)
            except ValueError:
                instance = _instance(model, final_nodes, must_visit=must | meal_must, locked=locked)
                remaining = request.time_limit - (_time.perf_counter() - t_begin)
                solution = _solve(instance, request, remaining)
            placed = {n for route in solution.routes for n in route.nodes}
            for i, c in enumerate(meals):
                if base + i not in placed:
                    day_notes[c.day].append(
                        f"{c.node.kind} at {c.node.name} could not be fitted into the day: "
                        f"{c.node.kind} not placed"
                    )
    days, totals = _output(model, final_nodes, instance, solution, day_notes, reach)
    placed_keys = {s.key for d in days for s in d.stops if s.kind == "visit"}
    column = {v.key: i for i, v in enumerate(model.visits)}
    for key in sorted(request.must_see - placed_keys):
        v = model.visits[column[key]]
        if not reach[:, column[key]].any():
            why = "is closed, or cannot be reached and visited, on every day of the trip"
        elif request.budget_minor is not None and v.cost > request.budget_minor:
            why = "costs more than the budget"
        else:
            why = "did not fit into any day"
        notes.append(f"must-see {v.name} {why}")
    node_keys = tuple(
        [f"hotel:{i}" for i in range(h)]
        + [v.key if v.kind == "visit" else f"{v.kind}:{v.key}" for v in final_nodes]
    )
    return Plan(
        days=days,
        totals=totals,
        notes=notes,
        instance=instance,
        solution=solution,
        node_keys=node_keys,
        elapsed=_time.perf_counter() - t_begin,
    )
