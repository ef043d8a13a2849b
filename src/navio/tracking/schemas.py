from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

Mode = Literal["walk", "transit", "drive"]
Status = Literal["active", "arrived", "ended"]
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
MAX_BATCH = 100
MAX_GEOFENCES = 20


class Base(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Destination(Base):
    name: str = Field(min_length=1, max_length=200)
    lat: Lat
    lon: Lon


class GeofenceIn(Base):
    name: str = Field(min_length=1, max_length=64)
    lat: Lat
    lon: Lon
    radius_m: float = Field(ge=20, le=50_000)


class JourneyStart(Base):
    """Share your way to `destination` with the people on the trip. Arrival is the first
    accurate enough fix within `arrival_radius_m` of it; each geofence reports entering and
    leaving (a hotel, a station, a meeting point)."""

    destination: Destination
    mode: Mode = "walk"
    arrival_radius_m: float = Field(default=100, ge=20, le=5_000)
    geofences: list[GeofenceIn] = Field(default_factory=list, max_length=MAX_GEOFENCES)

    @field_validator("geofences")
    @classmethod
    def _distinct_names(cls, geofences: list[GeofenceIn]) -> list[GeofenceIn]:
        names = [g.name for g in geofences]
        if len(set(names)) != len(names) or "destination" in names:
            raise ValueError("geofence names must be distinct and not 'destination'")
        return geofences


class PositionIn(Base):
    lat: Lat
    lon: Lon
    accuracy_m: float = Field(gt=0, le=10_000, description="radius of 68 % confidence, metres")
    recorded_at: AwareDatetime


class PositionsIn(Base):
    positions: list[PositionIn] = Field(min_length=1, max_length=MAX_BATCH)


class PositionRead(BaseModel):
    lat: float
    lon: float
    accuracy_m: float
    recorded_at: datetime


class DestinationRead(BaseModel):
    name: str
    lat: float
    lon: float
    radius_m: float


class GeofenceRead(BaseModel):
    name: str
    lat: float
    lon: float
    radius_m: float
    inside: bool


class JourneyRead(BaseModel):
    id: uuid.UUID
    trip_id: uuid.UUID
    traveler_id: uuid.UUID
    mode: Mode
    status: Status
    destination: DestinationRead
    geofences: list[GeofenceRead]
    started_at: datetime
    arrived_at: datetime | None
    ended_at: datetime | None
    position: PositionRead | None
    positions: int = Field(description="fixes recorded")
    travelled_m: int
    remaining_m: int | None = Field(description="to the edge of the arrival radius, by the mode")
    speed_mps: float | None = Field(description="the pace the estimate uses")
    eta_at: datetime | None
    version: int


class PositionsResult(BaseModel):
    journey: JourneyRead
    accepted: int
    ignored: int = Field(
        description="fixes not after the journey's last one (resent), or more than 2 minutes "
        "older than the journey"
    )


class Track(BaseModel):
    """The journey's fixes as a GeoJSON Feature (RFC 7946) with a LineString; the times of
    the points are in `properties.times`, in the same order."""

    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any]
    properties: dict[str, Any]
