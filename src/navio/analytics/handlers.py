"""Other contexts' events counted into the owners' daily figures, once per event (the outbox
records each handler's delivery)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from navio.analytics.domain import SERVER_GOALS
from navio.analytics.repository import AnalyticsRepository, ExperimentRepository
from navio.analytics.service import AnalyticsService, ExperimentService
from navio.bookings import BookingCancelled, BookingConfirmed
from navio.kernel.clock import Clock
from navio.kernel.events import Envelope, HandlerRegistry
from navio.marketplace import ReviewPosted
from navio.pricing import PriceReported
from navio.stations import BatterySwapped, FaultReported, PlanBought
from navio.trips import TripCreated

HANDLER = "analytics.count"
COUNTED = (
    BookingConfirmed,
    BookingCancelled,
    BatterySwapped,
    FaultReported,
    ReviewPosted,
    PlanBought,
)
GOAL_HANDLER = "analytics.goal"
GOALS = (BookingConfirmed, BatterySwapped, ReviewPosted, TripCreated, PriceReported)


def register(registry: HandlerRegistry) -> None:
    async def count(session: AsyncSession, envelope: Envelope) -> None:
        service = AnalyticsService(AnalyticsRepository(session), Clock())
        await service.record(envelope.name, envelope.payload, envelope.occurred_at)

    async def goal(session: AsyncSession, envelope: Envelope) -> None:
        service = ExperimentService(ExperimentRepository(session), Clock())
        await service.record(envelope.id, envelope.name, envelope.payload, envelope.occurred_at)

    for event in COUNTED:
        registry.subscribe(event.name, HANDLER, count)
    assert {event.name for event in GOALS} == set(SERVER_GOALS)
    for goal_event in GOALS:
        registry.subscribe(goal_event.name, GOAL_HANDLER, goal)
