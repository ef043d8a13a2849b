from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class Operator(IdMixin, TimestampMixin, Base):
    """A seller: one per user account. The legal details are what a KYC decision vouches for."""

    __tablename__ = "market_operator"

    user_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    legal_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    company_number: Mapped[str | None] = mapped_column(String(40), default=None)
    iban: Mapped[str] = mapped_column(String(34))
    kyc_status: Mapped[str] = mapped_column(String(16))
    kyc_reason: Mapped[str | None] = mapped_column(Text, default=None)
    kyc_submitted_at: Mapped[datetime] = mapped_column()
    kyc_decided_at: Mapped[datetime | None] = mapped_column(default=None)
    kyc_decided_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_market_operator_kyc", "kyc_status", "kyc_submitted_at"),)


class Listing(IdMixin, TimestampMixin, Base):
    __tablename__ = "market_listing"

    operator_id: Mapped[uuid.UUID] = mapped_column()
    # the operator's user: the payee of its bookings and the one who checks tickets in
    seller_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    place_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    free_until_hours: Mapped[int] = mapped_column(Integer)
    late_refund_pct: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_market_listing_operator", "operator_id", "created_at"),
        Index("ix_market_listing_status_created", "status", "created_at", "id"),
        Index("ix_market_listing_geo", "lat", "lon"),
    )


class Slot(IdMixin, Base):
    """A dated start of a listing with seats. `reserved` only moves by a conditional update, so
    it never passes `capacity` however many book at once."""

    __tablename__ = "market_slot"

    listing_id: Mapped[uuid.UUID] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column()
    capacity: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    price_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    closed: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        UniqueConstraint("listing_id", "starts_at"),
        CheckConstraint("reserved >= 0 AND reserved <= capacity", name="seats"),
    )


class Reservation(IdMixin, TimestampMixin, Base):
    """The seats a booking took on a slot."""

    __tablename__ = "market_reservation"

    slot_id: Mapped[uuid.UUID] = mapped_column()
    listing_id: Mapped[uuid.UUID] = mapped_column()
    booking_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    seats: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_market_reservation_listing", "listing_id", "created_at"),
        Index("ix_market_reservation_user", "user_id", "listing_id"),
    )


class Review(IdMixin, TimestampMixin, Base):
    __tablename__ = "market_review"

    listing_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column()
    author_name: Mapped[str] = mapped_column(String(120))
    rating: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str | None] = mapped_column(String(120), default=None)
    body: Mapped[str] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("listing_id", "user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_market_review_listing_created", "listing_id", "created_at", "id"),
    )


class Payout(IdMixin, Base):
    __tablename__ = "market_payout"

    operator_id: Mapped[uuid.UUID] = mapped_column()
    transfer_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    iban_masked: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        Index("ix_market_payout_operator_created", "operator_id", "created_at", "id"),
    )


__all__ = ["Listing", "Operator", "Payout", "Reservation", "Review", "Slot"]
