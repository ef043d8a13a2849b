"""Every tracking query. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select

from navio.kernel.db import Repository
from navio.kernel.pagination import Cursor, newest_first
from navio.tracking.models import Journey, Position


class TrackingRepository(Repository):
    async def journey(self, journey_id: uuid.UUID, *, for_update: bool = False) -> Journey | None:
        statement = select(Journey).where(Journey.id == journey_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def active(self, trip_id: uuid.UUID, traveler_id: uuid.UUID) -> Journey | None:
        return await self.session.scalar(
            select(Journey).where(
                Journey.trip_id == trip_id,
                Journey.traveler_id == traveler_id,
                Journey.status == "active",
            )
        )

    async def journeys(
        self, trip_id: uuid.UUID, limit: int, before: Cursor | None, status: str | None
    ) -> list[Journey]:
        """Newest first."""
        statement = select(Journey).where(Journey.trip_id == trip_id)
        if status is not None:
            statement = statement.where(Journey.status == status)
        page = newest_first(statement, Journey.started_at, Journey.id, limit, before)
        return list(await self.session.scalars(page))

    async def add(self, journey: Journey) -> None:
        self.session.add(journey)
        await self.session.flush()

    async def add_positions(self, positions: Sequence[Position]) -> None:
        self.session.add_all(positions)
        await self.session.flush()

    async def track(self, journey_id: uuid.UUID) -> list[Position]:
        statement = (
            select(Position).where(Position.journey_id == journey_id).order_by(Position.recorded_at)
        )
        return list(await self.session.scalars(statement))

    async def delete_trip(self, trip_id: uuid.UUID) -> None:
        """Every journey of the trip and its positions: a deleted trip keeps nobody's track."""
        ids = select(Journey.id).where(Journey.trip_id == trip_id).scalar_subquery()
        await self.session.execute(delete(Position).where(Position.journey_id.in_(ids)))
        await self.session.execute(delete(Journey).where(Journey.trip_id == trip_id))
