from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from navio.bookings.domain import OfferKind, Status
from navio.payments import PaymentMethod


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: OfferKind
    title: str = Field(min_length=1, max_length=200)
    amount_minor: int
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    operator_id: uuid.UUID | None = Field(default=None, description="absent: Navio sells it")


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    free_until_hours: int = Field(default=24, ge=0, le=24 * 366)
    late_refund_pct: int = Field(default=0, ge=0, le=100)


class SeatsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: uuid.UUID = Field(description="a date of a marketplace listing")
    seats: int = Field(default=1, ge=1, le=50)


class BookingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trip_id: uuid.UUID | None = None
    trip_item_id: uuid.UUID | None = Field(
        default=None, description="book a priced trip item (its title and price)"
    )
    offer: OfferIn | None = Field(default=None, description="or a bookable offer")
    listing: SeatsIn | None = Field(
        default=None,
        description="or seats on a marketplace listing's date: its price, start and "
        "cancellation policy",
    )
    starts_at: AwareDatetime | None = Field(
        default=None, description="required for an item or offer; a listing's date sets it"
    )
    cancellation: PolicyIn | None = Field(
        default=None, description="for an item or offer (default: free until 24 h before)"
    )
    pay_with: Literal["wallet", "card"] = "wallet"
    payment_method: PaymentMethod | None = Field(
        default=None, description="card: confirm at once with this method"
    )


class TicketRead(BaseModel):
    id: uuid.UUID
    kid: str
    qr: str = Field(description="payload.signature (base64url): HMAC-SHA256, key id `kid`")
    issued_at: datetime
    used_at: datetime | None
    revoked: bool


class BookingRead(BaseModel):
    id: uuid.UUID
    trip_id: uuid.UUID | None
    trip_item_id: uuid.UUID | None
    kind: OfferKind
    title: str
    operator_id: uuid.UUID
    listing_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    seats: int = 1
    amount_minor: int
    currency: str
    starts_at: datetime
    status: Status
    pay_with: str
    payment_id: uuid.UUID | None
    free_until_hours: int
    late_refund_pct: int
    refunded_minor: int
    # why a booking failed or expired, or what happened to money that arrived too late
    failure: str | None = None
    tickets: list[TicketRead]
    version: int
    created_at: datetime
    updated_at: datetime


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    qr: str = Field(min_length=10, max_length=2000)


class CheckInRead(BaseModel):
    ticket_id: uuid.UUID
    booking_id: uuid.UUID
    title: str
    starts_at: datetime
    checked_in_at: datetime
