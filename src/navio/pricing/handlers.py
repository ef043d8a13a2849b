"""Price watches are reviewed when a report lands in their area (delivered through the outbox)
and once a day besides: prices also move as reports age out of the change test's windows."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.clock import FrozenClock
from navio.kernel.events import Envelope, EventRecorder, HandlerRegistry
from navio.kernel.fx import EcbRates
from navio.pricing.events import PriceReported
from navio.pricing.repository import PricingRepository
from navio.pricing.service import PricingService

REVIEW = "pricing.review_watches"
DAILY = "pricing.daily_watch_review"
# the daily review runs hourly over the watches not yet reviewed that day, a batch at a time
DAILY_EVERY_SECONDS = 3_600.0


def register(registry: HandlerRegistry, rates: EcbRates) -> None:
    def service(session: AsyncSession, at: datetime) -> PricingService:
        # reviewed as of the report's time (or the job's): a late delivery reads the same
        return PricingService(
            PricingRepository(session), EventRecorder(session), FrozenClock(at), rates
        )

    async def on_report(session: AsyncSession, envelope: Envelope) -> None:
        reviewing = service(session, envelope.occurred_at)
        await reviewing.review_reported(uuid.UUID(envelope.payload["report_id"]))

    async def daily(session: AsyncSession, now: datetime) -> int:
        return await service(session, now).review_due()

    registry.subscribe(PriceReported.name, REVIEW, on_report)
    registry.every(DAILY, DAILY_EVERY_SECONDS, daily)
