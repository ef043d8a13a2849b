"""Fault tickets: reported by anyone signed in, worked on by the station's crew."""

from __future__ import annotations

import uuid

from navio.iam import Principal
from navio.kernel.errors import Forbidden
from navio.kernel.pagination import Cursor, Page, page_of
from navio.stations import domain
from navio.stations.domain import BatteryStatus, FaultStatus, RuleError
from navio.stations.errors import (
    BatteryNotFound,
    FaultNotFound,
    FaultStateConflict,
)
from navio.stations.events import FaultReported
from navio.stations.models import Fault
from navio.stations.schemas import (
    FaultCreate,
    FaultRead,
    FaultUpdate,
)
from navio.stations.service.base import (
    StationsBase,
    _fault_read,
)


class FaultOperations(StationsBase):
    # ================================================================ faults
    async def report(
        self, principal: Principal, station_id: uuid.UUID, body: FaultCreate
    ) -> FaultRead:
        """Anyone signed in reports a fault of a station; a pack named must be the station's
        or the reporter's own. Reported by the station's crew, a pack goes out of service until
        the fault is resolved; reported by anyone else, the crew decide (a traveler cannot take
        a station's packs out of service)."""
        station = await self._station(station_id)
        battery = None
        if body.battery_id is not None:
            battery = await self.repo.battery(body.battery_id, for_update=True)
            ours = battery is not None and station.id in (
                battery.station_id,
                battery.destination_id,
            )
            theirs = battery is not None and battery.rider_id == principal.user_id
            if battery is None or not (ours or theirs):
                raise BatteryNotFound("no such pack at this station or with you")
            crew = await self._is_crew(station, principal.user_id)
            if crew and battery.status == BatteryStatus.CHARGING.value:
                battery.status = BatteryStatus.FAULTY.value
                battery.version += 1
                self._changed(station.id, "pack_out_of_service")
        now = self.clock.now()
        fault = Fault(
            id=uuid.uuid4(),
            station_id=station.id,
            battery_id=battery.id if battery else None,
            reporter_id=principal.user_id,
            category=body.category,
            description=body.description,
            status=FaultStatus.OPEN.value,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(fault)
        self.events.record(
            FaultReported(
                fault_id=fault.id,
                station_id=station.id,
                owner_id=station.owner_id,
                station_name=station.name,
                category=body.category,
            )
        )
        return _fault_read(fault)

    async def faults(
        self,
        principal: Principal,
        station_id: uuid.UUID,
        status: FaultStatus | None,
        limit: int,
        cursor: str | None,
    ) -> Page[FaultRead]:
        station = await self._crewed(principal, station_id)
        rows = await self.repo.faults(
            station.id,
            status.value if status else None,
            limit,
            Cursor.decode(cursor) if cursor else None,
        )
        page, next_cursor = page_of(rows, limit, lambda f: Cursor(f.created_at, f.id))
        return Page(items=[_fault_read(f) for f in page], next_cursor=next_cursor)

    async def update_fault(
        self, principal: Principal, fault_id: uuid.UUID, body: FaultUpdate
    ) -> FaultRead:
        fault = await self.repo.fault(fault_id, for_update=True)
        if fault is None:
            raise FaultNotFound()
        try:
            await self._crewed(principal, fault.station_id)
        except Forbidden:
            if fault.reporter_id != principal.user_id:
                raise FaultNotFound() from None
            raise
        try:
            domain.fault_move(FaultStatus(fault.status), body.status)
        except RuleError as exc:
            raise FaultStateConflict(str(exc)) from exc
        now = self.clock.now()
        fault.status = body.status.value
        fault.updated_at = now
        if body.resolution is not None:
            fault.resolution = body.resolution
        if body.status is FaultStatus.RESOLVED:
            fault.resolved_at = now
            await self.repo.session.flush()
            if fault.battery_id is not None:
                battery = await self.repo.battery(fault.battery_id, for_update=True)
                if (
                    battery is not None
                    and battery.status == BatteryStatus.FAULTY.value
                    and await self.repo.open_faults_of(battery.id) == 0
                ):
                    battery.status = BatteryStatus.CHARGING.value
                    battery.read_at = now  # it did not charge while out of service
                    battery.version += 1
                    self._changed(battery.station_id or fault.station_id, "pack_back_in_service")
        return _fault_read(fault)
