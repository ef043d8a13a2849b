"""A card payment for a booking succeeded (webhook or a later confirm): confirm the booking,
exactly once per event (the outbox records each handler's delivery); refund it if the booking
expired or was cancelled first. Every minute: expire card bookings left unpaid too long."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from navio.bookings.repository import BookingsRepository
from navio.bookings.service import BookingsService
from navio.kernel.clock import Clock
from navio.kernel.events import Envelope, EventRecorder, HandlerRegistry
from navio.payments import PaymentsService, PaymentSucceeded

HANDLER = "bookings.confirm_paid"
EXPIRE_JOB = "bookings.expire_unpaid"
EXPIRE_EVERY_SECONDS = 60.0


def register(
    registry: HandlerRegistry,
    keys: Mapping[str, bytes],
    payments: Callable[[AsyncSession], PaymentsService],
    payment_window: timedelta,
) -> None:
    def service(session: AsyncSession) -> BookingsService:
        return BookingsService(
            BookingsRepository(session), EventRecorder(session), Clock(), payments(session), keys
        )

    async def on_payment(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        if payload.get("purpose") != "booking" or not payload.get("purpose_ref"):
            return
        await service(session).payment_succeeded(uuid.UUID(payload["purpose_ref"]))

    async def expire(session: AsyncSession, now: datetime) -> int:
        return await service(session).expire_unpaid(now, payment_window)

    registry.subscribe(PaymentSucceeded.name, HANDLER, on_payment)
    registry.every(EXPIRE_JOB, EXPIRE_EVERY_SECONDS, expire)
