from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from navio.journeys import OptionsIn


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    options: OptionsIn | None = Field(
        default=None,
        description="what can be booked, for this message's plan; none: the catalogue",
    )


class SaveTrip(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA zone of the destination; needed when the journey was planned from "
        "options sent (the catalogue's cities know theirs)",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value


class SavedTrip(BaseModel):
    trip_id: uuid.UUID
    title: str
    items: int


class MessageRead(BaseModel):
    seq: int
    role: str
    text: str
    journey: dict[str, Any] | None = Field(
        description="the journey composed (as `POST /journeys/compose` returns it), if any"
    )
    created_at: datetime


class UnderstoodRead(BaseModel):
    origin: str | None
    destination: str | None
    destination_is_region: bool
    also: list[str]
    cities: int
    start: date | None
    end: date | None
    days: int | None
    people: int
    people_given: bool
    budget_minor: int | None
    currency: str | None
    cuisines: list[str]
    house_rules: list[str]
    room_type: str | None
    excluded_modes: list[str]
    missing: list[str]


class ConversationRead(BaseModel):
    id: uuid.UUID
    title: str
    created_at: datetime
    understood: UnderstoodRead
    messages: list[MessageRead]


class ConversationSummary(BaseModel):
    id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime


class ChatLinkCode(BaseModel):
    code: str = Field(description="send `/start CODE` to the bot, or open `url`")
    url: str = Field(description="opens the bot in Telegram with the code filled in")
    expires_at: datetime


class ChatLinkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: str
    conversation_id: uuid.UUID | None = Field(description="where the chat's messages go now")
    linked_at: datetime
