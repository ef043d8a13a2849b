"""Every transit query. Never commits."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select

from navio.kernel.db import Repository
from navio.kernel.geo import bounding_box
from navio.transit.models import Feed, FlightNetworkData, Stop


class TransitRepository(Repository):
    async def feed_named(self, name: str) -> Feed | None:
        return await self.session.scalar(select(Feed).where(Feed.name == name))

    async def flight_network_named(self, name: str) -> FlightNetworkData | None:
        return await self.session.scalar(
            select(FlightNetworkData).where(FlightNetworkData.name == name)
        )

    async def flight_network_latest(self) -> tuple[uuid.UUID, str] | None:
        """(id, sha256) of the most recently imported route network, without its content."""
        row = (
            await self.session.execute(
                select(FlightNetworkData.id, FlightNetworkData.sha256)
                .order_by(FlightNetworkData.updated_at.desc())
                .limit(1)
            )
        ).first()
        return (row.id, row.sha256) if row else None

    async def flight_network_content(self, network_id: uuid.UUID) -> bytes | None:
        return await self.session.scalar(
            select(FlightNetworkData.content).where(FlightNetworkData.id == network_id)
        )

    async def feed_content(self, feed_id: uuid.UUID) -> bytes | None:
        return await self.session.scalar(select(Feed.content).where(Feed.id == feed_id))

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
        min_lat, min_lon, max_lat, max_lon = bounding_box(lat, lon, radius_m)
        rows = await self.session.scalars(
            select(Stop)
            .where(Stop.lat.between(min_lat, max_lat))
            .where(Stop.lon.between(min_lon, max_lon))
            # nearest first by the equirectangular approximation (exact distances follow)
            .order_by(
                (Stop.lat - lat) * (Stop.lat - lat)
                + (Stop.lon - lon) * (Stop.lon - lon) * (math.cos(math.radians(lat)) ** 2)
            )
            .limit(limit * 4)
        )
        return list(rows)
