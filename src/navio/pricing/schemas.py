from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from navio.pricing.domain import MAX_AMOUNT_MINOR, Confidence, Direction, Verdict

CurrencyCode = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


class ItemRead(BaseModel):
    code: str
    label: str
    unit: str


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=32, description="a code of `GET /pricing/items`")
    amount_minor: int = Field(gt=0, le=MAX_AMOUNT_MINOR, description="what was paid")
    currency: str = CurrencyCode
    observed_on: date | None = Field(
        default=None, description="the day it was paid (local); default today (UTC)"
    )
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    place_id: uuid.UUID | None = Field(
        default=None, description="a place of the catalogue instead of lat/lon"
    )
    note: str | None = Field(default=None, max_length=200)


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item: str
    amount_minor: int
    currency: str
    amount_eur_minor: int = Field(description="at the ECB rate of `rate_published_on`")
    rate: str = Field(description="euros per unit of `currency`, as used")
    rate_published_on: date
    observed_on: date
    lat: float
    lon: float
    place_id: uuid.UUID | None
    note: str | None
    created_at: datetime


class Area(BaseModel):
    lat: float
    lon: float
    radius_km: float | None = Field(description="null: the reports of `place_id` only")
    place_id: uuid.UUID | None


class Estimate(BaseModel):
    median_minor: int
    low_minor: int = Field(description="the 25th percentile of the reporters kept")
    high_minor: int = Field(description="the 75th percentile")
    interval_minor: tuple[int, int] | None = Field(
        description="95 % interval of the median (distribution-free), six reporters or more"
    )
    reporters: int = Field(description="one voice each: their latest report")
    outliers: int = Field(description="reporters screened out as too far from the rest")
    reports: int
    effective_reporters: float = Field(description="after weighting by age (Kish)")
    confidence: Confidence
    oldest: date
    newest: date


class FairPriceRead(BaseModel):
    item: ItemRead
    currency: str
    area: Area
    estimate: Estimate | None
    explanation: str
    rate: str = Field(description="units of `currency` per euro")
    rate_published_on: date


class CheckRead(FairPriceRead):
    amount_minor: int
    verdict: Verdict | None = Field(description="null without reports to compare with")
    percentile: float | None = Field(description="weighted share of reporters who paid less")
    versus_median_pct: float | None


class MonthRead(BaseModel):
    month: date
    median_minor: int
    low_minor: int
    high_minor: int
    reporters: int


class ChangeRead(BaseModel):
    ratio: float = Field(description="recent over before (Hodges-Lehmann)")
    percent: float
    p_value: float = Field(description="two-sided Mann-Whitney U")
    recent_reporters: int
    before_reporters: int
    significant: bool


class HistoryRead(BaseModel):
    item: ItemRead
    currency: str
    area: Area
    months: list[MonthRead]
    change: ChangeRead | None = Field(
        description="the last 90 days against the year before; null with fewer than five "
        "reporters on either side"
    )
    rate: str
    rate_published_on: date


class WatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=32, description="a code of `GET /pricing/items`")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float | None = Field(default=None, gt=0, le=50, description="default 2")
    place_id: uuid.UUID | None = Field(default=None, description="instead of lat/lon")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    direction: Direction = Field(
        default=Direction.ANY, description="tell me when prices go down, up, or either way"
    )


class WatchRead(BaseModel):
    id: uuid.UUID
    item: ItemRead
    currency: str
    direction: Direction
    area: Area
    created_at: datetime
    alerted_at: datetime | None = Field(description="when you were last told of a move")
    alerted_percent: float | None = Field(description="the move you were told of, until it fades")
    change: ChangeRead | None = Field(
        description="the change test now (null with fewer than five reporters on either side)"
    )
