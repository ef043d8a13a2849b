from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class Booking(IdMixin, TimestampMixin, Base):
    __tablename__ = "booking_booking"

    user_id: Mapped[uuid.UUID] = mapped_column()
    trip_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    trip_item_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    operator_id: Mapped[uuid.UUID] = mapped_column()
    # seats on a marketplace listing's date (the marketplace keeps the reservation)
    listing_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    slot_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    seats: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    starts_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(32))
    pay_with: Mapped[str] = mapped_column(String(16))  # wallet | card
    payment_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    free_until_hours: Mapped[int] = mapped_column(Integer, default=24)
    late_refund_pct: Mapped[int] = mapped_column(Integer, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    failure: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_booking_booking_user", "user_id", "created_at", "id"),)


class Ticket(IdMixin, Base):
    __tablename__ = "booking_ticket"

    booking_id: Mapped[uuid.UUID] = mapped_column()
    kid: Mapped[str] = mapped_column(String(32))
    qr: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_booking_ticket_booking", "booking_id"),)
