from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from navio.marketplace.domain import KycStatus, ListingKind, ListingStatus, ReservationStatus

Currency = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")


# ------------------------------------------------------------------ operators
class OperatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(min_length=1, max_length=120, description="shown to travelers")
    legal_name: str = Field(min_length=1, max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    company_number: str | None = Field(default=None, min_length=1, max_length=40)
    iban: str = Field(min_length=5, max_length=50, description="where payouts go (ISO 13616)")


class OperatorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=120)
    legal_name: str | None = Field(default=None, min_length=1, max_length=200)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    company_number: str | None = Field(default=None, min_length=1, max_length=40)
    iban: str | None = Field(default=None, min_length=5, max_length=50)


class OperatorRead(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    display_name: str
    legal_name: str
    country: str
    company_number: str | None
    iban: str = Field(description="masked: the first four and last four characters")
    kyc_status: KycStatus
    kyc_reason: str | None
    kyc_submitted_at: datetime
    kyc_decided_at: datetime | None
    version: int
    created_at: datetime


class KycDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["verified", "rejected"]
    reason: str | None = Field(default=None, max_length=1000, description="told to the operator")


# ------------------------------------------------------------------ listings
class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    free_until_hours: int = Field(default=24, ge=0, le=24 * 366)
    late_refund_pct: int = Field(default=0, ge=0, le=100)


class ListingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ListingKind
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    place_id: uuid.UUID | None = Field(
        default=None, description="a place of the catalogue: its position and time zone"
    )
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = Field(default=None, max_length=300)
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone of its slots' local times"
    )
    currency: str = Currency
    price_minor: int = Field(gt=0, le=10**9, description="per seat, in minor units")
    duration_minutes: int = Field(default=60, ge=5, le=60 * 24 * 30)
    cancellation: PolicyIn = Field(default_factory=PolicyIn)


class ListingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    address: str | None = Field(default=None, max_length=300)
    price_minor: int | None = Field(default=None, gt=0, le=10**9)
    duration_minutes: int | None = Field(default=None, ge=5, le=60 * 24 * 30)
    cancellation: PolicyIn | None = None


class ListingStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ListingStatus


class ListingRead(BaseModel):
    id: uuid.UUID
    operator_id: uuid.UUID
    seller_id: uuid.UUID
    operator_name: str
    kind: ListingKind
    title: str
    description: str
    place_id: uuid.UUID | None
    lat: float
    lon: float
    address: str | None
    timezone: str
    currency: str
    price_minor: int
    duration_minutes: int
    cancellation: PolicyIn
    status: ListingStatus
    rating_average: float | None
    rating_count: int
    score: float = Field(description="Bayesian average rating, for ranking")
    distance_m: float | None = None
    version: int
    created_at: datetime
    published_at: datetime | None


# ------------------------------------------------------------------ slots
class SlotsCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_date: date
    to_date: date
    weekdays: list[int] = Field(
        default=[0, 1, 2, 3, 4, 5, 6], min_length=1, max_length=7, description="0 is Monday"
    )
    times: list[time] = Field(min_length=1, max_length=48, description="local times of day")
    capacity: int = Field(ge=1, le=10_000)
    price_minor: int | None = Field(default=None, gt=0, le=10**9, description="else the listing's")


class SlotsCreated(BaseModel):
    created: int
    existing: int = Field(description="starts the listing had already")
    nonexistent: int = Field(description="local times a clock change skipped")
    past: int


class SlotUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int | None = Field(default=None, ge=1, le=10_000)
    price_minor: int | None = Field(default=None, gt=0, le=10**9)
    closed: bool | None = None


class SlotRead(BaseModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    starts_at: datetime
    local_start: str = Field(description="in the listing's time zone, ISO 8601 with offset")
    ends_at: datetime
    capacity: int
    reserved: int
    seats_left: int
    price_minor: int
    currency: str
    closed: bool


class ReservationRead(BaseModel):
    id: uuid.UUID
    slot_id: uuid.UUID
    starts_at: datetime
    booking_id: uuid.UUID
    user_id: uuid.UUID
    seats: int
    amount_minor: int
    status: ReservationStatus
    created_at: datetime


# ------------------------------------------------------------------ reviews
class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    title: str | None = Field(default=None, min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=5000)


class ReviewReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reply: str = Field(min_length=1, max_length=5000)


class ReviewRead(BaseModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    user_id: uuid.UUID
    author_name: str
    rating: int
    title: str | None
    body: str
    reply: str | None
    replied_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ReviewSummary(BaseModel):
    rating_average: float | None
    rating_count: int
    histogram: dict[str, int] = Field(description="reviews by star, '1' to '5'")


class ReviewPage(BaseModel):
    summary: ReviewSummary
    items: list[ReviewRead]
    next_cursor: str | None = None


# ------------------------------------------------------------------ payouts
class PayoutCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: int = Field(gt=0)
    currency: str = Currency


class PayoutRead(BaseModel):
    id: uuid.UUID
    transfer_id: uuid.UUID
    amount_minor: int
    currency: str
    iban: str
    created_at: datetime
    payable_after_minor: int | None = None
    replayed: bool = False


class Earnings(BaseModel):
    currency: str
    payable_minor: int


class PayoutsRead(BaseModel):
    earnings: list[Earnings]
    payouts: list[PayoutRead]
