from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from navio.kernel.money import is_currency
from navio.trips.domain import ItemKind, Role, Status, Visibility, is_zone

Text200 = Field(min_length=1, max_length=200)


def _zone(value: str | None) -> str | None:
    if value is not None and not is_zone(value):
        raise ValueError(f"unknown IANA time zone {value!r}")
    return value


def _currency(value: str | None) -> str | None:
    if value is not None and not is_currency(value):
        raise ValueError(f"unknown ISO 4217 currency {value!r}")
    return value


class Destination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    place_id: uuid.UUID | None = None
    country_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class TripCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Text200
    destinations: list[Destination] = Field(default_factory=list, max_length=50)
    start_date: date
    end_date: date
    timezone: str = Field(max_length=64, description="IANA zone of the destination")
    travelers: int = Field(default=1, ge=1, le=500)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    cover_url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://")
    notes: str | None = Field(default=None, max_length=10_000)

    _zone = field_validator("timezone")(_zone)
    _currency = field_validator("currency")(_currency)


class TripUpdate(BaseModel):
    """Fields to change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    destinations: list[Destination] | None = Field(default=None, max_length=50)
    start_date: date | None = None
    end_date: date | None = None
    timezone: str | None = Field(default=None, max_length=64)
    travelers: int | None = Field(default=None, ge=1, le=500)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    status: Status | None = None
    cover_url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://")
    notes: str | None = Field(default=None, max_length=10_000)

    _zone = field_validator("timezone")(_zone)
    _currency = field_validator("currency")(_currency)


class Collaborator(BaseModel):
    user_id: uuid.UUID
    display_name: str
    email: str | None = None  # members only
    role: Role
    added_at: datetime


class TripRead(BaseModel):
    id: uuid.UUID
    title: str
    destinations: list[Destination]
    start_date: date
    end_date: date
    timezone: str
    travelers: int
    currency: str
    status: Status
    cover_url: str | None
    notes: str | None
    visibility: Visibility
    hide_costs: bool
    owner_id: uuid.UUID
    my_role: Role | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    collaborators: list[Collaborator] = []


class TripSummary(BaseModel):
    id: uuid.UUID
    title: str
    start_date: date
    end_date: date
    timezone: str
    status: Status
    my_role: Role
    updated_at: datetime


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ItemKind
    title: str = Text200
    place_id: uuid.UUID | None = None
    location: str | None = Field(default=None, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    day: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone of the local times (trip's if absent)"
    )
    position: int | None = Field(default=None, ge=0, le=10_000)
    cost_minor: int | None = Field(default=None, ge=0, le=10**13)
    cost_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    participants: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    details: dict[str, Any] = Field(default_factory=dict)
    notes: str | None = Field(default=None, max_length=10_000)
    booking_reference: str | None = Field(default=None, max_length=100)

    _zone = field_validator("timezone")(_zone)
    _currency = field_validator("cost_currency")(_currency)

    @field_validator("details")
    @classmethod
    def _small_details(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(repr(value)) > 10_000:
            raise ValueError("details are limited to 10 kB")
        return value


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ItemKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    place_id: uuid.UUID | None = None
    location: str | None = Field(default=None, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    day: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    timezone: str | None = Field(default=None, max_length=64)
    cost_minor: int | None = Field(default=None, ge=0, le=10**13)
    cost_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    participants: list[uuid.UUID] | None = Field(default=None, max_length=500)
    details: dict[str, Any] | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    booking_reference: str | None = Field(default=None, max_length=100)

    _zone = field_validator("timezone")(_zone)
    _currency = field_validator("cost_currency")(_currency)


class ItemMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date | None = Field(description="target day (null: unscheduled)")
    position: int = Field(ge=0, le=10_000, description="0-based index within that day")


class ItemRead(BaseModel):
    id: uuid.UUID
    trip_id: uuid.UUID
    kind: ItemKind
    title: str
    place_id: uuid.UUID | None
    location: str | None
    lat: float | None
    lon: float | None
    day: date | None
    start_time: time | None
    end_time: time | None
    timezone: str
    position: int
    cost_minor: int | None
    cost_currency: str | None
    participants: list[uuid.UUID]
    details: dict[str, Any]
    notes: str | None
    booking_reference: str | None
    created_by: uuid.UUID | None
    version: int
    updated_at: datetime


class CollaboratorAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID | None = None
    email: EmailStr | None = None
    role: Literal["editor", "suggester", "viewer"] = "viewer"


class CollaboratorResult(BaseModel):
    status: Literal["added", "invited"]
    collaborator: Collaborator | None = None
    invite_id: uuid.UUID | None = None
    invite_token: str | None = Field(
        default=None, description="for the invitee only: shown once, also sent by email"
    )
    expires_at: datetime | None = None


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["editor", "suggester", "viewer"]


class InviteAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=1000)


class OwnershipTransfer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID


class SharingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visibility: Visibility
    hide_costs: bool | None = None
    rotate_link: bool = Field(default=False, description="issue a new link token, revoking the old")


class SharingRead(BaseModel):
    visibility: Visibility
    hide_costs: bool
    link_token: str | None = Field(default=None, description="shown only when issued")


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=5_000)
    item_id: uuid.UUID | None = None


class CommentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=5_000)


class CommentRead(BaseModel):
    id: uuid.UUID
    trip_id: uuid.UUID
    item_id: uuid.UUID | None
    author_id: uuid.UUID
    author_name: str
    body: str
    created_at: datetime
    edited_at: datetime | None


class SuggestionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["add_item", "update_item", "remove_item"]
    item_id: uuid.UUID | None = None
    item: dict[str, Any] = Field(default_factory=dict, description="ItemCreate or ItemUpdate")


class SuggestionRead(BaseModel):
    id: uuid.UUID
    trip_id: uuid.UUID
    author_id: uuid.UUID
    action: str
    item_id: uuid.UUID | None
    payload: dict[str, Any]
    status: str
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    created_at: datetime


class ActivityRead(BaseModel):
    id: uuid.UUID
    event: str
    actor_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime
