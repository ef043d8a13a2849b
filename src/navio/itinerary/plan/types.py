"""The planner's inputs, outputs and errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from navio.itinerary.solver import Instance, Solution
from navio.itinerary.travel import Mode

FloatArray = NDArray[np.float64]
Pace = Literal["relaxed", "moderate", "packed"]
StopKind = Literal["visit", "lunch", "dinner"]

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
