"""A card payment for a booking succeeded (webhook or a later confirm): confirm the booking,
exactly once per event (the outbox records each handler's delivery)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from navio.bookings.repository import BookingsRepository
from navio.bookings.service import BookingsService
from navio.kernel.clock import Clock
from navio.kernel.events import Envelope, EventRecorder, HandlerRegistry
from navio.payments import PaymentSucceeded

HANDLER = "bookings.confirm_paid"


def register(registry: HandlerRegistry, keys: Mapping[str, bytes]) -> None:
    async def on_payment(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        if payload.get("purpose") != "booking" or not payload.get("purpose_ref"):
            return
        service = BookingsService(
            BookingsRepository(session), EventRecorder(session), Clock(), None, keys
        )
        await service.payment_succeeded(uuid.UUID(payload["purpose_ref"]))

    registry.subscribe(PaymentSucceeded.name, HANDLER, on_payment)
