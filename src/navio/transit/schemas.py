from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class Departure(BaseModel):
    route: str
    towards: str
    departs_at: datetime
    in_minutes: float


class NearbyStop(BaseModel):
    feed: str
    stop_id: str
    name: str
    lat: float
    lon: float
    distance_m: float
    walk_minutes: float
    departures: list[Departure]


class LocalTransitRead(BaseModel):
    at: datetime
    stops: list[NearbyStop]


class LegRead(BaseModel):
    mode: Literal["walk", "transit"]
    route: str | None = None
    from_name: str
    to_name: str
    departure: datetime
    arrival: datetime
    metres: int | None = None


class JourneyRead(BaseModel):
    feed: str
    departure: datetime
    arrival: datetime
    duration_minutes: float
    transfers: int
    walking_minutes: float
    legs: list[LegRead]
