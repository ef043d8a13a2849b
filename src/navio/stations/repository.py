"""Every station query. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from navio.kernel.db import Repository
from navio.kernel.geo import in_box
from navio.kernel.pagination import Cursor, newest_first
from navio.stations.models import (
    Battery,
    Credit,
    Fault,
    Plan,
    QueueTicket,
    Staff,
    Station,
    Swap,
)

ACTIVE = ("waiting", "called")


class StationsRepository(Repository):
    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def delete(self, row: object) -> None:
        await self.session.delete(row)
        await self.session.flush()

    # ---------------------------------------------------------------- stations
    async def station(self, station_id: uuid.UUID, *, for_update: bool = False) -> Station | None:
        statement = select(Station).where(Station.id == station_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def stations_of(self, owner_id: uuid.UUID) -> list[Station]:
        statement = select(Station).where(Station.owner_id == owner_id).order_by(Station.created_at)
        return list(await self.session.scalars(statement.limit(1000)))

    async def near(self, lat: float, lon: float, radius_m: float, limit: int) -> list[Station]:
        """Open stations in the circle's bounding box (the caller measures the circle)."""
        statement = select(Station).where(
            Station.open.is_(True), in_box(Station.lat, Station.lon, lat, lon, radius_m)
        )
        return list(await self.session.scalars(statement.limit(limit)))

    # ---------------------------------------------------------------- staff
    async def staff(self, station_id: uuid.UUID) -> list[Staff]:
        statement = select(Staff).where(Staff.station_id == station_id).order_by(Staff.added_at)
        return list(await self.session.scalars(statement))

    async def staff_member(self, station_id: uuid.UUID, user_id: uuid.UUID) -> Staff | None:
        return await self.session.get(Staff, (station_id, user_id))

    # ---------------------------------------------------------------- batteries
    async def battery(self, battery_id: uuid.UUID, *, for_update: bool = False) -> Battery | None:
        statement = select(Battery).where(Battery.id == battery_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def battery_by_serial(self, serial: str, *, for_update: bool = False) -> Battery | None:
        statement = select(Battery).where(Battery.serial == serial)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def batteries_at(self, station_ids: Sequence[uuid.UUID]) -> list[Battery]:
        """Every pack at these stations or on its way to one of them."""
        if not station_ids:
            return []
        statement = select(Battery).where(
            Battery.station_id.in_(station_ids) | Battery.destination_id.in_(station_ids)
        )
        return list(await self.session.scalars(statement.order_by(Battery.serial)))

    async def held_by(self, rider_id: uuid.UUID) -> list[Battery]:
        statement = (
            select(Battery)
            .where(Battery.rider_id == rider_id, Battery.status == "with_rider")
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(await self.session.scalars(statement))

    # ---------------------------------------------------------------- queue
    async def ticket(self, ticket_id: uuid.UUID, *, for_update: bool = False) -> QueueTicket | None:
        statement = select(QueueTicket).where(QueueTicket.id == ticket_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def active_ticket(self, user_id: uuid.UUID) -> QueueTicket | None:
        return await self.session.scalar(
            select(QueueTicket).where(
                QueueTicket.user_id == user_id, QueueTicket.status.in_(ACTIVE)
            )
        )

    async def queue(self, station_ids: Sequence[uuid.UUID]) -> list[QueueTicket]:
        """The active tickets of these stations, in the order they joined."""
        if not station_ids:
            return []
        statement = (
            select(QueueTicket)
            .where(QueueTicket.station_id.in_(station_ids), QueueTicket.status.in_(ACTIVE))
            .order_by(QueueTicket.joined_at, QueueTicket.id)
        )
        return list(await self.session.scalars(statement))

    async def joined_since(self, station_id: uuid.UUID, since: datetime) -> list[datetime]:
        """When riders joined the station's queue (served, left or still there), from `since`."""
        statement = select(QueueTicket.joined_at).where(
            QueueTicket.station_id == station_id, QueueTicket.joined_at >= since
        )
        return list(await self.session.scalars(statement))

    # ---------------------------------------------------------------- swaps and faults
    async def swaps(self, station_id: uuid.UUID, limit: int, before: Cursor | None) -> list[Swap]:
        statement = select(Swap).where(Swap.station_id == station_id)
        page = newest_first(statement, Swap.swapped_at, Swap.id, limit, before)
        return list(await self.session.scalars(page))

    async def fault(self, fault_id: uuid.UUID, *, for_update: bool = False) -> Fault | None:
        statement = select(Fault).where(Fault.id == fault_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def faults(
        self, station_id: uuid.UUID, status: str | None, limit: int, before: Cursor | None
    ) -> list[Fault]:
        statement = select(Fault).where(Fault.station_id == station_id)
        if status is not None:
            statement = statement.where(Fault.status == status)
        page = newest_first(statement, Fault.created_at, Fault.id, limit, before)
        return list(await self.session.scalars(page))

    async def open_faults_of(self, battery_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Fault)
            .where(Fault.battery_id == battery_id, Fault.status != "resolved")
        )
        return int(count or 0)

    # ---------------------------------------------------------------- plans and credits
    async def plan(self, plan_id: uuid.UUID, *, for_update: bool = False) -> Plan | None:
        statement = select(Plan).where(Plan.id == plan_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def plans_of(self, owner_id: uuid.UUID, *, active_only: bool) -> list[Plan]:
        statement = select(Plan).where(Plan.owner_id == owner_id)
        if active_only:
            statement = statement.where(Plan.active.is_(True))
        return list(await self.session.scalars(statement.order_by(Plan.created_at, Plan.id)))

    async def usable_credit(
        self, user_id: uuid.UUID, owner_id: uuid.UUID, now: datetime
    ) -> Credit | None:
        """The rider's credit with this operator that expires first and has swaps left,
        locked: two swaps at once use two swaps of it, never the same one."""
        statement = (
            select(Credit)
            .where(
                Credit.user_id == user_id,
                Credit.owner_id == owner_id,
                Credit.expires_at > now,
                Credit.swaps_left > 0,
            )
            .order_by(Credit.expires_at, Credit.id)
            .limit(1)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return await self.session.scalar(statement)

    async def credits_of(self, user_id: uuid.UUID) -> list[Credit]:
        statement = (
            select(Credit)
            .where(Credit.user_id == user_id)
            .order_by(Credit.bought_at.desc(), Credit.id)
        )
        return list(await self.session.scalars(statement))
