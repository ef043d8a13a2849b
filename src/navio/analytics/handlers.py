"""Other contexts' events counted into the owners' daily figures, once per event (the outbox
records each handler's delivery)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from navio.analytics.repository import AnalyticsRepository
from navio.analytics.service import AnalyticsService
from navio.bookings import BookingCancelled, BookingConfirmed
from navio.kernel.clock import Clock
from navio.kernel.events import Envelope, HandlerRegistry
from navio.marketplace import ReviewPosted
from navio.stations import BatterySwapped, FaultReported

HANDLER = "analytics.count"
COUNTED = (BookingConfirmed, BookingCancelled, BatterySwapped, FaultReported, ReviewPosted)


def register(registry: HandlerRegistry) -> None:
    async def count(session: AsyncSession, envelope: Envelope) -> None:
        service = AnalyticsService(AnalyticsRepository(session), Clock())
        await service.record(envelope.name, envelope.payload, envelope.occurred_at)

    for event in COUNTED:
        registry.subscribe(event.name, HANDLER, count)
