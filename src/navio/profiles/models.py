from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class Profile(TimestampMixin, Base):
    """One row per user (iam_user id); other contexts hold the id only."""

    __tablename__ = "profile_profile"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(120), default=None)
    bio: Mapped[str | None] = mapped_column(Text, default=None)
    avatar_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    home_city: Mapped[str | None] = mapped_column(String(200), default=None)
    country_code: Mapped[str | None] = mapped_column(String(2), default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Preferences(TimestampMixin, Base):
    __tablename__ = "profile_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    home_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    language: Mapped[str] = mapped_column(String(35), default="en")
    travel_style: Mapped[str | None] = mapped_column(String(32), default=None)
    pace: Mapped[str] = mapped_column(String(16), default="moderate")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)


class SavedPlace(IdMixin, TimestampMixin, Base):
    __tablename__ = "profile_saved_place"

    user_id: Mapped[uuid.UUID] = mapped_column()
    label: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    place_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_profile_saved_place_user_created", "user_id", "created_at", "id"),)


class PaymentMethod(IdMixin, TimestampMixin, Base):
    """Only what a provider lets us keep: its token, the brand and the last four digits."""

    __tablename__ = "profile_payment_method"

    user_id: Mapped[uuid.UUID] = mapped_column()
    provider: Mapped[str] = mapped_column(String(32))
    provider_token: Mapped[str] = mapped_column(String(255))
    brand: Mapped[str] = mapped_column(String(32))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    holder_name: Mapped[str | None] = mapped_column(String(200), default=None)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_profile_payment_method_user_created", "user_id", "created_at", "id"),
        Index(
            "uq_profile_payment_method_provider_token", "provider", "provider_token", unique=True
        ),
        # At most one default per user, whatever the interleaving of requests.
        Index(
            "uq_profile_payment_method_default",
            "user_id",
            unique=True,
            postgresql_where=text("is_default"),
            sqlite_where=text("is_default"),
        ),
    )


__all__ = ["PaymentMethod", "Preferences", "Profile", "SavedPlace"]
