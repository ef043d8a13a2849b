"""What other contexts may know of a trip: its frame (dates, currency, people) for a member."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from navio.kernel.db import SessionSource
from navio.trips.repository import TripsRepository


@dataclass(frozen=True, slots=True)
class TripCard:
    id: uuid.UUID
    title: str
    owner_id: uuid.UUID
    start_date: date
    end_date: date
    timezone: str
    currency: str
    travelers: int
    members: dict[uuid.UUID, str]  # user id -> role, the owner included
    destinations: tuple[dict[str, Any], ...] = ()  # name, place_id, country_code, lat, lon

    def role_of(self, user_id: uuid.UUID) -> str | None:
        return self.members.get(user_id)


async def trip_card(
    source: SessionSource, trip_id: uuid.UUID, *, for_update: bool = False
) -> TripCard | None:
    """The trip with its members, or None. Callers decide what the caller's role allows;
    `for_update` locks the trip row so that concurrent writers about it queue."""
    repo = TripsRepository(source)
    trip = await repo.trip(trip_id, for_update=for_update)
    if trip is None:
        return None
    members = {m.user_id: m.role for m in await repo.members(trip_id)}
    return TripCard(
        id=trip.id,
        title=trip.title,
        owner_id=trip.owner_id,
        start_date=trip.start_date,
        end_date=trip.end_date,
        timezone=trip.timezone,
        currency=trip.currency,
        travelers=trip.travelers,
        members=members,
        destinations=tuple(trip.destinations),
    )


@dataclass(frozen=True, slots=True)
class ItemCard:
    """A trip item as budgets and planners see it."""

    id: uuid.UUID
    kind: str
    title: str
    place_id: uuid.UUID | None
    day: date | None
    cost_minor: int | None
    cost_currency: str | None
    participants: tuple[uuid.UUID, ...]  # empty: everyone on the trip
    details: dict[str, Any]


async def trip_items(source: SessionSource, trip_id: uuid.UUID) -> list[ItemCard]:
    return [
        ItemCard(
            id=item.id,
            kind=item.kind,
            title=item.title,
            place_id=item.place_id,
            day=item.day,
            cost_minor=item.cost_minor,
            cost_currency=item.cost_currency,
            participants=tuple(uuid.UUID(p) for p in item.participants),
            details=dict(item.details),
        )
        for item in await TripsRepository(source).items(trip_id)
    ]
