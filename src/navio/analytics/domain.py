"""Operator analytics: other contexts' events counted per owner, day (UTC), metric and
currency. No I/O.

Each metric keeps a count and a total (money in minor units, or the sum of review ratings), so
a day's figures add up across days and owners exactly, and an average is total / count."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MAX_DAYS = 366
NO_CURRENCY = ""  # metrics that are not money


class Metric(enum.StrEnum):
    BOOKINGS = "bookings"  # confirmed and paid; total: amount
    CANCELLATIONS = "cancellations"  # total: the booking's amount
    SWAPS = "swaps"  # battery swaps; total: amount
    FAULTS = "faults"  # reported at the owner's stations
    REVIEWS = "reviews"  # total: the sum of ratings
    PLAN_SALES = "plan_sales"  # swap plans sold; total: amount


@dataclass(frozen=True, slots=True)
class Fact:
    owner_id: uuid.UUID
    metric: Metric
    currency: str
    total: int


def fact_of(name: str, payload: Mapping[str, Any]) -> Fact | None:
    """What an event adds to its owner's figures (None: nothing)."""
    if name == "bookings.booking_confirmed":
        return Fact(
            uuid.UUID(payload["operator_id"]),
            Metric.BOOKINGS,
            payload["currency"],
            int(payload["amount_minor"]),
        )
    if name == "bookings.booking_cancelled":
        return Fact(
            uuid.UUID(payload["operator_id"]),
            Metric.CANCELLATIONS,
            payload["currency"],
            int(payload["amount_minor"]),
        )
    if name == "stations.battery_swapped" and payload.get("owner_id"):
        return Fact(
            uuid.UUID(payload["owner_id"]),
            Metric.SWAPS,
            payload["currency"],
            int(payload["amount_minor"]),
        )
    if name == "stations.plan_bought":
        return Fact(
            uuid.UUID(payload["owner_id"]),
            Metric.PLAN_SALES,
            payload["currency"],
            int(payload["amount_minor"]),
        )
    if name == "stations.fault_reported":
        return Fact(uuid.UUID(payload["owner_id"]), Metric.FAULTS, NO_CURRENCY, 0)
    if name == "marketplace.review_posted":
        return Fact(
            uuid.UUID(payload["seller_id"]), Metric.REVIEWS, NO_CURRENCY, int(payload["rating"])
        )
    return None


class PeriodError(ValueError):
    pass


def days(start: date, end: date) -> list[date]:
    """The days of a period, both ends included."""
    if end < start:
        raise PeriodError("the period ends before it starts")
    if (end - start).days >= MAX_DAYS:
        raise PeriodError(f"at most {MAX_DAYS} days at a time")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass(frozen=True, slots=True)
class Row:
    day: date
    metric: str
    currency: str
    count: int
    total: int


def series(period: list[date], rows: Iterable[Row]) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """Per (metric, currency): (count, total) for every day of the period, zero where nothing
    happened."""
    index = {day: i for i, day in enumerate(period)}
    found: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for row in rows:
        if row.day not in index:
            continue
        line = found.setdefault((row.metric, row.currency), [(0, 0)] * len(period))
        count, total = line[index[row.day]]
        line[index[row.day]] = (count + row.count, total + row.total)
    return found


@dataclass(frozen=True, slots=True)
class ServerGoal:
    """One of the platform's own events an experiment can take as its goal: whose unit it is
    and what it is worth."""

    description: str
    user_field: str
    value_field: str | None = None


SERVER_GOALS: dict[str, ServerGoal] = {
    "bookings.booking_confirmed": ServerGoal(
        "a booking confirmed and paid (value: its amount)", "user_id", "amount_minor"
    ),
    "stations.battery_swapped": ServerGoal(
        "a battery swapped at a station (value: its price)", "user_id", "amount_minor"
    ),
    "marketplace.review_posted": ServerGoal("a review posted on a listing", "user_id"),
    "trips.trip_created": ServerGoal("a trip created", "actor_id"),
    "pricing.price_reported": ServerGoal("a price reported", "user_id"),
}


def user_unit(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


def anonymous_unit(anonymous_id: uuid.UUID) -> str:
    return f"anon:{anonymous_id}"


@dataclass(frozen=True, slots=True)
class Tracked:
    unit: str
    value: int
    currency: str


def tracked_of(name: str, payload: Mapping[str, Any]) -> Tracked | None:
    """What a platform event records as a unit's event (None: not a goal, or nobody's)."""
    goal = SERVER_GOALS.get(name)
    if goal is None or not payload.get(goal.user_field):
        return None
    if goal.value_field is None:
        return Tracked(user_unit(payload[goal.user_field]), 0, NO_CURRENCY)
    return Tracked(
        user_unit(payload[goal.user_field]),
        int(payload[goal.value_field]),
        str(payload.get("currency", NO_CURRENCY)),
    )
