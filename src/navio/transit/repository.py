"""Every transit query. Never commits."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select

from navio.kernel.db import Repository
from navio.transit.models import Feed, Stop


class TransitRepository(Repository):
    async def feed_named(self, name: str) -> Feed | None:
        return await self.session.scalar(select(Feed).where(Feed.name == name))

    async def feed(self, feed_id: uuid.UUID) -> Feed | None:
        return await self.session.get(Feed, feed_id)

    async def add(self, *objects: object) -> None:
        self.session.add_all(objects)
        await self.session.flush()

    async def replace_stops(self, feed_id: uuid.UUID, stops: Sequence[Stop]) -> None:
        await self.session.execute(delete(Stop).where(Stop.feed_id == feed_id))
        self.session.add_all(stops)
        await self.session.flush()

    async def stops_near(self, lat: float, lon: float, radius_m: float, limit: int) -> list[Stop]:
        dlat = radius_m / 111_000
        dlon = radius_m / max(1.0, 111_000 * math.cos(math.radians(lat)))
        rows = await self.session.scalars(
            select(Stop)
            .where(Stop.lat.between(lat - dlat, lat + dlat))
            .where(Stop.lon.between(lon - dlon, lon + dlon))
            .limit(limit * 20)
        )
        return list(rows)
