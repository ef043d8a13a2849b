from __future__ import annotations

import uuid
from datetime import date, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from navio.journeys.domain import MAX_ROAD_MINUTES

Text = Annotated[str, Field(min_length=1, max_length=200)]
Ref = Annotated[str, Field(min_length=1, max_length=100)]
Minor = Annotated[int, Field(ge=0, le=10**11)]
Mode = Literal["flight", "self-driving", "taxi"]
RoomType = Literal["entire home/apt", "private room", "shared room"]
HouseRule = Literal["parties", "smoking", "children under 10", "pets", "visitors"]
Rating = Annotated[float, Field(ge=0, le=5)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RideIn(Strict):
    ref: Ref
    mode: Mode
    origin: Text
    destination: Text
    price_minor: Minor = Field(description="per person for a flight, per vehicle otherwise")
    minutes: int | None = Field(default=None, ge=0, le=10_000)
    km: float | None = Field(default=None, ge=0, le=50_000)
    day: date | None = Field(default=None, description="a scheduled service's date; none: any day")
    departs: time | None = None
    arrives: time | None = None


class StayIn(Strict):
    ref: Ref
    name: Text
    city: Text
    price_minor: Minor = Field(description="a night, for one unit of `occupancy` guests")
    room_type: RoomType
    forbids: list[HouseRule] = Field(default_factory=list, max_length=5)
    minimum_nights: int = Field(default=1, ge=1, le=3650)
    occupancy: int = Field(default=2, ge=1, le=50)
    rating: Rating | None = None


class EateryIn(Strict):
    ref: Ref
    name: Text
    city: Text
    cost_minor: Minor = Field(description="a meal, per person")
    cuisines: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20
    )
    rating: Rating | None = None


class SightIn(Strict):
    ref: Ref
    name: Text
    city: Text
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class OptionsIn(Strict):
    rides: list[RideIn] = Field(default_factory=list, max_length=2000)
    stays: list[StayIn] = Field(default_factory=list, max_length=2000)
    eateries: list[EateryIn] = Field(default_factory=list, max_length=5000)
    sights: list[SightIn] = Field(default_factory=list, max_length=2000)


class BudgetIn(Strict):
    amount_minor: Minor
    currency: str = Field(pattern=r"^[A-Z]{3}$")


MAX_DAYS = 14
MAX_CITIES = 3


class ComposeRequest(Strict):
    origin: Text
    destinations: list[Text] = Field(min_length=1, max_length=20)
    cities: int = Field(default=1, ge=1, le=MAX_CITIES)
    start: date
    days: int = Field(ge=2, le=MAX_DAYS)
    people: int = Field(default=1, ge=1, le=20)
    budget: BudgetIn
    cuisines: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=6
    )
    house_rules: list[HouseRule] = Field(default_factory=list, max_length=5)
    room_type: RoomType | Literal["not shared room"] | None = None
    excluded_modes: list[Mode] = Field(default_factory=list, max_length=3)
    sights_per_day: int = Field(default=2, ge=1, le=6)
    max_road_minutes: int = Field(
        default=MAX_ROAD_MINUTES,
        ge=60,
        le=48 * 60,
        description="the longest drive or taxi ride a day may hold",
    )
    options: OptionsIn | None = Field(
        default=None,
        description="what can be booked; none: the catalogue's priced places and door-to-door "
        "transport estimates",
    )

    @model_validator(mode="after")
    def _shape(self) -> ComposeRequest:
        if self.days < self.cities + 1:
            raise ValueError(f"{self.cities} cities need at least {self.cities + 1} days")
        return self


class RideRead(BaseModel):
    ref: str
    mode: str
    origin: str
    destination: str
    cost_minor: int
    minutes: int | None
    km: float | None
    departs: time | None
    arrives: time | None


class MealRead(BaseModel):
    slot: str
    ref: str
    name: str
    city: str
    cost_minor: int
    cuisines: list[str]
    rating: float | None


class SightRead(BaseModel):
    ref: str
    name: str
    city: str
    lat: float | None
    lon: float | None


class StayRead(BaseModel):
    ref: str
    name: str
    city: str
    room_type: str
    rooms: int
    cost_minor: int
    rating: float | None


class DayRead(BaseModel):
    number: int
    date: date
    city: str
    from_city: str | None
    ride: RideRead | None
    meals: list[MealRead]
    sights: list[SightRead]
    stay: StayRead | None


class CostRead(BaseModel):
    currency: str
    total_minor: int
    transport_minor: int
    lodging_minor: int
    meals_minor: int
    shares_minor: list[int] = Field(
        description="the total split per traveler, the remainder given to the first ones"
    )
    budget_minor: int


class ViolationRead(BaseModel):
    family: str
    code: str
    day: int | None
    message: str


class PlaceRead(BaseModel):
    name: str
    place_id: uuid.UUID | None
    country_code: str | None
    lat: float | None
    lon: float | None
    timezone: str | None


class JourneyRead(BaseModel):
    source: Literal["options", "catalogue"]
    cities: list[str]
    places: list[PlaceRead] = Field(
        default_factory=list,
        description="the journey's cities as the catalogue knows them, the origin first "
        "(none for options sent)",
    )
    cost: CostRead
    days: list[DayRead]
    violations: list[ViolationRead] = Field(
        description="what the independent checker found; always empty for a composed journey"
    )
    notes: list[str]
