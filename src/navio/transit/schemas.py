from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


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


class PointRead(BaseModel):
    lat: float
    lon: float
    name: str


class OptionLeg(BaseModel):
    mode: Literal["walk", "transit", "drive", "taxi", "flight", "airport"]
    from_name: str
    to_name: str
    departure: datetime
    arrival: datetime
    minutes: float
    metres: int | None = None
    route: str | None = None  # transit route, or the airlines of a flight
    cost_minor: int | None = None
    currency: str | None = None
    # timetabled: from a GTFS timetable; otherwise estimated from distance (see `model`)
    timetabled: bool = False


class TransportOption(BaseModel):
    id: str
    modes: list[str]
    summary: str
    departure: datetime
    arrival: datetime
    duration_minutes: float
    # in `currency` (EUR), converted at the ECB rate where a leg is priced in another one;
    # None when a leg has no known price (a transit feed without fares)
    cost_minor: int | None
    currency: str
    cost_note: str | None = None
    comfort: float  # 0..1, higher is better (a model: see navio.transit.options)
    transfers: int
    walking_minutes: float
    legs: list[OptionLeg]


class OptionsRead(BaseModel):
    origin: PointRead
    destination: PointRead
    at: datetime
    arrive_by: bool
    criteria: list[str]
    options: list[TransportOption]  # the Pareto set, by the first criterion
    considered: int
    notes: list[str]


class MultiLegCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # "lat,lon" or an IATA airport code each
    stops: list[Annotated[str, Field(min_length=3, max_length=60)]] = Field(
        min_length=2, max_length=10
    )
    depart_at: AwareDatetime
    criteria: list[Literal["time", "cost", "comfort"]] = ["time", "cost", "comfort"]
    modes: list[Literal["walk", "transit", "taxi", "flight", "drive"]] = [
        "walk",
        "transit",
        "taxi",
        "flight",
    ]
    # minutes to stay at each intermediate stop before going on
    stay_minutes: list[Annotated[int, Field(ge=0, le=43_200)]] | None = None


class MultiLegPart(BaseModel):
    origin: PointRead
    destination: PointRead
    depart_at: datetime
    options: list[TransportOption]
    notes: list[str]


class MultiLegPlan(BaseModel):
    label: Literal["fastest", "cheapest", "most_comfortable"]
    option_ids: list[str]
    arrival: datetime
    cost_minor: int | None
    currency: str


class MultiLegRead(BaseModel):
    legs: list[MultiLegPart]
    plans: list[MultiLegPlan]
