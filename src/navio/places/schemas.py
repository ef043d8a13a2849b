from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
MAX_RADIUS_M = 100_000
MAX_LIMIT = 100


class ScoreTerms(BaseModel):
    text: float
    popularity: float
    proximity: float | None
    semantic: float | None = None


class PlaceHit(BaseModel):
    id: uuid.UUID
    kind: str
    category: str
    name: str
    country_code: str | None
    locality: str | None
    lat: float | None
    lon: float | None
    distance_m: float | None = None
    rating: float | None
    price_level: int | None
    popularity: float
    score: float
    score_terms: ScoreTerms


class NearPoint(BaseModel):
    name: str | None
    lat: float
    lon: float
    radius_m: float


class QueryInfo(BaseModel):
    text: str | None
    terms: list[str]
    corrections: dict[str, list[str]]
    near: NearPoint | None
    semantic: bool
    semantic_note: str | None = None


class SearchResults(BaseModel):
    items: list[PlaceHit]
    total: int
    facets: dict[str, dict[str, int]]
    next_cursor: str | None
    query: QueryInfo


class Suggestion(BaseModel):
    id: uuid.UUID
    kind: str
    category: str
    name: str
    label: str
    country_code: str | None
    lat: float | None
    lon: float | None
    score: float


class Suggestions(BaseModel):
    items: list[Suggestion]


class PlaceDetail(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    category: str
    name: str
    alt_names: list[str]
    country_code: str | None
    locality: str | None
    lat: float | None
    lon: float | None
    timezone: str | None
    population: int | None
    rating: float | None
    price_level: int | None
    popularity: float
    address: str | None
    website: str | None
    phone: str | None
    wikidata: str | None
    wikipedia: str | None
    opening_hours_raw: str | None
    opening_hours_valid: bool | None
    opening_hours: dict[str, Any] | None
    attributes: dict[str, Any]
    source: str
    updated_at: datetime


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class PoiIndexRequest(BaseModel):
    """An operator's POI, or an update of one they indexed before (same source_id)."""

    model_config = ConfigDict(extra="forbid")

    source_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
    name: Text
    category: Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,32}$")]
    lat: Lat
    lon: Lon
    alt_names: list[Text] = Field(default_factory=list, max_length=20)
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    website: Annotated[str, StringConstraints(max_length=500)] | None = None
    phone: Annotated[str, StringConstraints(max_length=100)] | None = None
    opening_hours: Annotated[str, StringConstraints(max_length=500)] | None = None
    rating: float | None = Field(None, ge=0, le=5)
    price_level: int | None = Field(None, ge=1, le=4)
    locality: Annotated[str, StringConstraints(max_length=200)] | None = None
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None


class SearchParams(BaseModel):
    """Validated query string of GET /search."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    radius_m: float | None = Field(None, gt=0, le=MAX_RADIUS_M)
    bbox: tuple[float, float, float, float] | None = None
    category: list[Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,32}$")]] = Field(
        default_factory=list, max_length=20
    )
    kind: list[Literal["city", "airport", "poi"]] = Field(default_factory=list, max_length=3)
    open_at: datetime | None = None
    min_rating: float | None = Field(None, ge=0, le=5)
    price_level: list[Annotated[int, Field(ge=1, le=4)]] = Field(default_factory=list, max_length=4)
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    semantic: bool = True

    @model_validator(mode="after")
    def _coherent(self) -> SearchParams:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if self.radius_m is not None and self.lat is None:
            raise ValueError("radius_m needs lat and lon")
        if self.bbox is not None:
            min_lat, min_lon, max_lat, max_lon = self.bbox
            if not (-90 <= min_lat < max_lat <= 90):
                raise ValueError("bbox latitudes must satisfy -90 <= min_lat < max_lat <= 90")
            if not (-180 <= min_lon < max_lon <= 180):
                raise ValueError("bbox longitudes must satisfy -180 <= min_lon < max_lon <= 180")
        if self.q is not None and len(self.q) == 1:
            raise ValueError("q must be at least 2 characters")
        if not self.q and self.lat is None and self.bbox is None:
            raise ValueError("give q, or a place to look (lat/lon or bbox)")
        return self
