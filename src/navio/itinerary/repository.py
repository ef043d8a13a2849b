"""Every itinerary query. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from navio.itinerary.models import ItineraryPlan
from navio.kernel.db import Repository


class ItineraryRepository(Repository):
    async def plan(self, trip_id: uuid.UUID, *, for_update: bool = False) -> ItineraryPlan | None:
        statement = select(ItineraryPlan).where(ItineraryPlan.trip_id == trip_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def add(self, plan: ItineraryPlan) -> None:
        self.session.add(plan)
        await self.session.flush()
