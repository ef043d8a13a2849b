from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Float, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class Trip(IdMixin, TimestampMixin, Base):
    __tablename__ = "trip_trip"

    owner_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    destinations: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    travelers: Mapped[int] = mapped_column(Integer, default=1)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="planning")
    cover_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    # sha256 of the read-only link token; the token itself is shown once, when made
    share_token_hash: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    hide_costs: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_trip_trip_visibility", "visibility"),)


class TripMember(Base):
    """Everyone with a role on a trip, the owner included (one query lists 'my trips')."""

    __tablename__ = "trip_member"

    trip_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column()
    added_by: Mapped[uuid.UUID | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_trip_member_user", "user_id", "trip_id"),)


class TripItem(IdMixin, TimestampMixin, Base):
    __tablename__ = "trip_item"

    trip_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    place_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    location: Mapped[str | None] = mapped_column(String(500), default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    day: Mapped[date | None] = mapped_column(Date, default=None)
    start_time: Mapped[time | None] = mapped_column(Time, default=None)
    end_time: Mapped[time | None] = mapped_column(Time, default=None)
    timezone: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    cost_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    cost_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    participants: Mapped[list[str]] = mapped_column(default=list)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    booking_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    created_by: Mapped[uuid.UUID] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_trip_item_trip_day", "trip_id", "day", "position"),)


class TripInvite(IdMixin, TimestampMixin, Base):
    __tablename__ = "trip_invite"

    trip_id: Mapped[uuid.UUID] = mapped_column()
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[uuid.UUID] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_trip_invite_trip", "trip_id", "created_at"),)


class TripComment(IdMixin, TimestampMixin, Base):
    __tablename__ = "trip_comment"

    trip_id: Mapped[uuid.UUID] = mapped_column()
    item_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    author_id: Mapped[uuid.UUID] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_trip_comment_trip", "trip_id", "created_at", "id"),)


class TripSuggestion(IdMixin, TimestampMixin, Base):
    """A change a suggester proposes; an editor or the owner accepts (applies) or rejects it."""

    __tablename__ = "trip_suggestion"

    trip_id: Mapped[uuid.UUID] = mapped_column()
    author_id: Mapped[uuid.UUID] = mapped_column()
    action: Mapped[str] = mapped_column(String(16))  # add_item | update_item | remove_item
    item_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_trip_suggestion_trip", "trip_id", "status", "created_at"),)


class TripActivity(IdMixin, Base):
    """The activity feed: one row per trip event, written by the outbox handler."""

    __tablename__ = "trip_activity"

    trip_id: Mapped[uuid.UUID] = mapped_column()
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    event: Mapped[str] = mapped_column(String(120))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_trip_activity_trip", "trip_id", "created_at", "id"),)
