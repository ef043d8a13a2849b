"""Booking events, through the outbox (notifications and analytics subscribe later)."""

from __future__ import annotations

import uuid

from navio.kernel.events import Event


class BookingEvent(Event):
    booking_id: uuid.UUID
    user_id: uuid.UUID
    operator_id: uuid.UUID
    status: str
    amount_minor: int
    currency: str


class BookingConfirmed(BookingEvent):
    name = "bookings.booking_confirmed"


class BookingCancelled(BookingEvent):
    name = "bookings.booking_cancelled"


class BookingExpired(BookingEvent):
    name = "bookings.booking_expired"
