"""Every pricing query. Never commits."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, String, and_, case, false, func, or_, select, type_coerce

from navio.kernel.db import Repository
from navio.kernel.geo import EARTH_RADIUS_M, in_box
from navio.kernel.pagination import Cursor, newest_first
from navio.pricing.models import PriceReport, PriceWatch

MAX_WATCH_RADIUS_M = 50_000.0  # the largest area a question (or a watch) may cover


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a price question looks: an item at a place of the catalogue, or around a point
    within `radius_m`."""

    item: str
    lat: float
    lon: float
    radius_m: float | None
    place_id: uuid.UUID | None


class PricingRepository(Repository):
    async def add(self, row: PriceReport) -> None:
        self.session.add(row)
        await self.session.flush()

    async def report(self, report_id: uuid.UUID) -> PriceReport | None:
        return await self.session.get(PriceReport, report_id)

    async def same_report(
        self, user_id: uuid.UUID, item: str, cell: str, observed_on: date
    ) -> PriceReport | None:
        return await self.session.scalar(
            select(PriceReport).where(
                PriceReport.user_id == user_id,
                PriceReport.item == item,
                PriceReport.cell == cell,
                PriceReport.observed_on == observed_on,
            )
        )

    async def delete(self, row: PriceReport) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def mine(
        self, user_id: uuid.UUID, item: str | None, limit: int, before: Cursor | None
    ) -> list[PriceReport]:
        statement = select(PriceReport).where(PriceReport.user_id == user_id)
        if item is not None:
            statement = statement.where(PriceReport.item == item)
        statement = newest_first(statement, PriceReport.created_at, PriceReport.id, limit, before)
        return list(await self.session.scalars(statement))

    @staticmethod
    def _area(spot: Spot, since: date) -> ColumnElement[bool]:
        """The item's reports since `since` at the spot's place, or within its radius of its
        point: the bounding box (which the index serves), then the circle on the local plane
        (an equirectangular distance: at most 0.41 % from the great circle within 50 km, at
        latitudes up to 70 degrees, measured over 200,000 random pairs; longitudes compared
        across the antimeridian)."""
        if spot.place_id is not None:
            return and_(
                PriceReport.item == spot.item,
                PriceReport.place_id == spot.place_id,
                PriceReport.observed_on >= since,
            )
        assert spot.radius_m is not None
        dlat = PriceReport.lat - spot.lat
        gap = func.abs(PriceReport.lon - spot.lon)
        dlon = case((gap > 180, 360 - gap), else_=gap) * math.cos(math.radians(spot.lat))
        reach = math.degrees(spot.radius_m / EARTH_RADIUS_M)
        return and_(
            PriceReport.item == spot.item,
            in_box(PriceReport.lat, PriceReport.lon, spot.lat, spot.lon, spot.radius_m),
            dlat * dlat + dlon * dlon <= reach * reach,
            PriceReport.observed_on >= since,
        )

    async def latest_reports(self, spot: Spot, since: date) -> list[tuple[str, int, date, int]]:
        """Each reporter's reports of their latest day in the area: (reporter, euro minor,
        day, how many reports they sent in all)."""
        area = self._area(spot, since)
        latest = (
            select(
                PriceReport.user_id.label("reporter"),
                func.max(PriceReport.observed_on).label("day"),
                func.count().label("sent"),
            )
            .where(area)
            .group_by(PriceReport.user_id)
            .subquery()
        )
        statement = (
            select(
                PriceReport.user_id,
                PriceReport.amount_eur_minor,
                PriceReport.observed_on,
                latest.c.sent,
            )
            .join(
                latest,
                and_(
                    PriceReport.user_id == latest.c.reporter,
                    PriceReport.observed_on == latest.c.day,
                ),
            )
            .where(area)
        )
        rows = (await self.session.execute(statement)).all()
        return [(str(user), amount, day, sent) for user, amount, day, sent in rows]

    async def reports_in(self, spot: Spot, since: date) -> list[tuple[object, int, date]]:
        """Every report in the area since `since`: (reporter, euro minor, day), the reporter
        as the driver gives it (text on SQLite: thousands of rows are read, and SQLAlchemy's
        identifier objects cost more than the rest)."""
        statement = select(
            type_coerce(PriceReport.user_id, String),
            PriceReport.amount_eur_minor,
            PriceReport.observed_on,
        ).where(self._area(spot, since))
        return [tuple(row) for row in (await self.session.execute(statement)).all()]  # type: ignore[misc]

    # ---------------------------------------------------------------- watches
    async def add_watch(self, watch: PriceWatch) -> None:
        self.session.add(watch)
        await self.session.flush()

    async def watch(self, watch_id: uuid.UUID) -> PriceWatch | None:
        return await self.session.get(PriceWatch, watch_id)

    async def watches_of(self, user_id: uuid.UUID) -> list[PriceWatch]:
        statement = (
            select(PriceWatch)
            .where(PriceWatch.user_id == user_id)
            .order_by(PriceWatch.created_at.desc(), PriceWatch.id)
        )
        return list(await self.session.scalars(statement))

    async def count_watches(self, user_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(PriceWatch).where(PriceWatch.user_id == user_id)
        )
        return int(count or 0)

    async def watches_over(
        self, item: str, lat: float, lon: float, place_id: uuid.UUID | None
    ) -> list[PriceWatch]:
        """Watches of the item that may cover a report at (lat, lon) or at `place_id`: at that
        place, or with the point in their bounding box at the largest radius (the caller
        keeps those whose circle holds it)."""
        near = and_(
            PriceWatch.place_id.is_(None),
            in_box(PriceWatch.lat, PriceWatch.lon, lat, lon, MAX_WATCH_RADIUS_M),
        )
        at_place = PriceWatch.place_id == place_id if place_id is not None else false()
        statement = select(PriceWatch).where(PriceWatch.item == item, or_(near, at_place))
        return list(await self.session.scalars(statement.with_for_update()))

    async def watches_to_review(self, before: date, limit: int) -> list[PriceWatch]:
        """Watches not reviewed since before `before`, oldest review first (SKIP LOCKED: two
        relays review different ones)."""
        statement = (
            select(PriceWatch)
            .where(or_(PriceWatch.reviewed_on.is_(None), PriceWatch.reviewed_on < before))
            .order_by(PriceWatch.reviewed_on.nulls_first(), PriceWatch.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self.session.scalars(statement))

    async def delete_watch(self, watch: PriceWatch) -> None:
        await self.session.delete(watch)
        await self.session.flush()
