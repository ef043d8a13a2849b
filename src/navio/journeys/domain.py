"""Whole-journey rules shared by the composer and the checker: what the options are, what they
cost a group, which modes may be combined, and when a meal or a visit fits a travel day.

Costs follow the conventions of the TravelPlanner benchmark (Xie et al., 2024) so its plans and
ours are priced alike: a flight seat per person, a car per five people, a taxi per four, a meal
per person, a room per `occupancy` people per night.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time

MODES = ("flight", "self-driving", "taxi")
CAR_SEATS = 5
TAXI_SEATS = 4
ROOM_TYPES = ("entire home/apt", "private room", "shared room")
HOUSE_RULES = ("parties", "smoking", "children under 10", "pets", "visitors")
MEALS = ("breakfast", "lunch", "dinner")

# when a meal can be had (window start, window end) and how long it takes; a travel day's meal
# in the city left must end before the departure (less the airport time for a flight), one in
# the city reached must start after the arrival (plus the time to leave the airport)
MEAL_WINDOWS: dict[str, tuple[int, int]] = {
    "breakfast": (7 * 60, 10 * 60),
    "lunch": (11 * 60 + 30, 14 * 60 + 30),
    "dinner": (18 * 60, 22 * 60),
}
MEAL_MINUTES = 60
AIRPORT_BEFORE_MINUTES = 90
AIRPORT_AFTER_MINUTES = 30
# a drive or a taxi without a timetable leaves after breakfast
ROAD_DEPARTURE = 9 * 60
# a sight on a travel day: the morning before a departure at noon or later, the afternoon after
# an arrival by 16:00
SIGHT_BEFORE_DEPARTURE = 12 * 60
SIGHT_AFTER_ARRIVAL = 16 * 60
DAY_MINUTES = 24 * 60
# a drive or a taxi longer than a long day's driving is not a leg of a journey: leaving after
# breakfast it arrives by one in the morning (TravelPlanner's requests include 14-hour drives)
MAX_ROAD_MINUTES = 16 * 60


@dataclass(frozen=True)
class Ride:
    ref: str
    mode: str
    origin: str
    destination: str
    price_minor: int
    minutes: int | None = None
    km: float | None = None
    day: date | None = None  # a scheduled service runs on one day; a road trip on any
    departs: time | None = None
    arrives: time | None = None

    def too_long(self, limit: int | None) -> bool:
        return limit is not None and self.mode != "flight" and (self.minutes or 0) > limit

    def cost(self, people: int) -> int:
        if self.mode == "flight":
            return self.price_minor * people
        seats = CAR_SEATS if self.mode == "self-driving" else TAXI_SEATS
        return self.price_minor * math.ceil(people / seats)

    def departure_minute(self) -> int:
        if self.departs is not None:
            return self.departs.hour * 60 + self.departs.minute
        return ROAD_DEPARTURE

    def arrival_minute(self) -> int:
        """Minutes after midnight of the travel day; past the day when it lands after midnight."""
        if self.arrives is not None:
            minute = self.arrives.hour * 60 + self.arrives.minute
            return minute + DAY_MINUTES if minute < self.departure_minute() else minute
        if self.minutes is None:
            return DAY_MINUTES
        return ROAD_DEPARTURE + self.minutes


@dataclass(frozen=True)
class Stay:
    ref: str
    name: str
    city: str
    price_minor: int  # a night, for one unit of `occupancy` guests
    room_type: str
    forbids: frozenset[str] = frozenset()
    minimum_nights: int = 1
    occupancy: int = 1
    rating: float | None = None

    def units(self, people: int) -> int:
        return math.ceil(people / max(1, self.occupancy))

    def cost(self, nights: int, people: int) -> int:
        return self.price_minor * self.units(people) * nights


@dataclass(frozen=True)
class Eatery:
    ref: str
    name: str
    city: str
    cost_minor: int  # a meal, per person
    cuisines: frozenset[str] = frozenset()
    rating: float | None = None


@dataclass(frozen=True)
class Sight:
    ref: str
    name: str
    city: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Sandbox:
    """What can be booked: the options a journey is composed from."""

    rides: tuple[Ride, ...] = ()
    stays: tuple[Stay, ...] = ()
    eateries: tuple[Eatery, ...] = ()
    sights: tuple[Sight, ...] = ()


@dataclass(frozen=True)
class JourneyRequest:
    origin: str
    destinations: tuple[str, ...]  # the cities the journey may visit
    cities: int
    start: date
    days: int
    people: int
    budget_minor: int
    cuisines: tuple[str, ...] = ()
    house_rules: tuple[str, ...] = ()  # what the lodging must allow
    room_type: str | None = None  # one of ROOM_TYPES or "not shared room"
    excluded_modes: tuple[str, ...] = ()
    sights_per_day: int = 2
    max_road_minutes: int | None = MAX_ROAD_MINUTES  # None: any drive (TravelPlanner's rules)


@dataclass(frozen=True)
class Meal:
    slot: str
    eatery: Eatery


@dataclass(frozen=True)
class JourneyDay:
    number: int
    day: date
    city: str  # where the day ends (the city reached on a travel day)
    ride: Ride | None = None
    meals: tuple[Meal, ...] = ()
    sights: tuple[Sight, ...] = ()
    stay: Stay | None = None

    @property
    def cities(self) -> tuple[str, ...]:
        return (self.ride.origin, self.ride.destination) if self.ride else (self.city,)


@dataclass(frozen=True)
class Journey:
    days: tuple[JourneyDay, ...]
    cost_minor: int
    breakdown: dict[str, int] = field(default_factory=dict)


def forbidden_by(rules: Iterable[str]) -> frozenset[str]:
    """What house rules such as "No smoking", "No children under 10" forbid."""
    return frozenset(
        r.strip()[3:].strip().lower() for r in rules if r.strip().lower().startswith("no ")
    )


def stay_allowed(stay: Stay, request: JourneyRequest) -> bool:
    if any(rule in stay.forbids for rule in request.house_rules):
        return False
    wanted = request.room_type
    if wanted is None:
        return True
    if wanted == "not shared room":
        return stay.room_type != "shared room"
    return stay.room_type == wanted


def modes_conflict(modes: set[str]) -> bool:
    """One can't drive one's own car on one leg and fly or take a taxi on another."""
    return "self-driving" in modes and bool(modes & {"flight", "taxi"})


def journey_cost(days: tuple[JourneyDay, ...], people: int) -> dict[str, int]:
    transport = sum(d.ride.cost(people) for d in days if d.ride is not None)
    lodging = sum(d.stay.cost(1, people) for d in days if d.stay is not None)
    meals = sum(m.eatery.cost_minor * people for d in days for m in d.meals)
    return {"transport": transport, "lodging": lodging, "meals": meals}


def meal_fits_before(slot: str, ride: Ride) -> bool:
    """A meal in the city left on a travel day ends before the traveler must leave."""
    start, _ = MEAL_WINDOWS[slot]
    leave = ride.departure_minute() - (AIRPORT_BEFORE_MINUTES if ride.mode == "flight" else 0)
    return start + MEAL_MINUTES <= leave


def meal_fits_after(slot: str, ride: Ride) -> bool:
    """A meal in the city reached on a travel day starts after the traveler gets there."""
    _, end = MEAL_WINDOWS[slot]
    ready = ride.arrival_minute() + (AIRPORT_AFTER_MINUTES if ride.mode == "flight" else 0)
    return ready + MEAL_MINUTES <= end


def sight_fits_before(ride: Ride) -> bool:
    return ride.departure_minute() >= SIGHT_BEFORE_DEPARTURE


def sight_fits_after(ride: Ride) -> bool:
    return ride.arrival_minute() <= SIGHT_AFTER_ARRIVAL
