from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["walk", "transit", "drive"]
PaceName = Literal["relaxed", "moderate", "packed"]
Short = Annotated[str, Field(min_length=1, max_length=64)]


class Base(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Point(Base):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    name: str | None = Field(default=None, max_length=200)


class MealWindow(Base):
    start: time
    end: time
    minutes: int = Field(ge=15, le=240)


class GenerateRequest(Base):
    """What to plan. Unset fields come from the trip (dates, destination) and the requesting
    traveler's preferences (pace, interests, dietary needs)."""

    day_start: time = time(9, 0)
    day_end: time = time(19, 0)
    # the base for each night (the first: where day 1 starts); one point for the whole trip,
    # or one per night; default: the trip's first destination
    bases: list[Point] | None = Field(default=None, max_length=32)
    interests: list[Short] | None = Field(default=None, max_length=30)
    pace: PaceName | None = None
    must_see: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    avoid: list[Short] = Field(default_factory=list, max_length=100)  # place ids or categories
    mode: Mode = "walk"
    budget_minor: int | None = None  # cap on paid entries for the whole group, trip currency
    meals: bool = True
    lunch: MealWindow = MealWindow(start=time(12, 0), end=time(14, 30), minutes=60)
    dinner: MealWindow = MealWindow(start=time(18, 0), end=time(21, 0), minutes=90)
    dietary: list[Short] | None = Field(default=None, max_length=20)
    radius_km: float = Field(default=5.0, gt=0, le=50)
    seed: int = Field(default=0, ge=0, le=2**31)


class LegRead(BaseModel):
    mode: str
    minutes: float
    metres: int


class StopRead(BaseModel):
    id: str  # stable within the itinerary: the place id, or "<place id>:lunch" for a meal
    place_id: uuid.UUID
    name: str
    kind: Literal["visit", "lunch", "dinner"]
    category: str
    lat: float
    lon: float
    arrival: datetime
    start: datetime
    end: datetime
    travel: LegRead
    cost_minor: int
    locked: bool  # kept on this day when re-optimising (locked, or in the traveler's order)
    # in the order the traveler set for the day (those visits open it, in that order; meals may
    # come between them)
    ordered: bool = False
    score: float
    why: dict[str, float]


class DayRead(BaseModel):
    day: int  # 1-based
    date: date
    stops: list[StopRead]
    return_leg: LegRead | None
    notes: list[str]


class ItineraryRead(BaseModel):
    trip_id: uuid.UUID
    version: int
    generated_at: datetime
    updated_at: datetime
    mode: Mode
    currency: str
    days: list[DayRead]
    total_cost_minor: int
    checked: bool  # every schedule passed the independent checker


class DayUpdate(Base):
    """The day's visits in the traveler's order (stop ids); those listed in `locked` stay on
    this day, and the order given is kept as the start of the day when re-optimising. The
    day's order and locks are replaced: a visit of this day locked before and not listed now
    is unlocked (it stays in the plan where it still fits best)."""

    order: list[Short] = Field(max_length=40)
    locked: list[Short] = Field(default_factory=list, max_length=40)


class ActivityAdd(Base):
    place_id: uuid.UUID
    day: int | None = Field(default=None, ge=1, le=31)  # pin it to this day
