"""Packs: registered, read, moved between an operator's stations, received."""

from __future__ import annotations

import uuid

from navio.iam import Principal
from navio.kernel.errors import Forbidden
from navio.stations import domain
from navio.stations.domain import BatteryStatus
from navio.stations.errors import (
    BatteryExists,
    BatteryNotFound,
    BatteryUnavailable,
    InvalidStation,
)
from navio.stations.models import Battery, Station
from navio.stations.schemas import (
    BatteryCreate,
    BatteryMove,
    BatteryRead,
    BatteryReading,
)
from navio.stations.service.base import (
    StationsBase,
    _battery_read,
)


class PackOperations(StationsBase):
    # ================================================================ batteries
    async def register_battery(
        self, principal: Principal, station_id: uuid.UUID, body: BatteryCreate
    ) -> BatteryRead:
        station = await self._owned(principal, station_id)
        if await self.repo.battery_by_serial(body.serial) is not None:
            raise BatteryExists(field="serial")
        now = self.clock.now()
        battery = Battery(
            id=uuid.uuid4(),
            serial=body.serial,
            owner_id=station.owner_id,
            station_id=station.id,
            capacity_wh=body.capacity_wh or station.pack_wh,
            soc=body.soc,
            read_at=now,
            health_pct=body.health_pct,
            cycles=0,
            status=BatteryStatus.CHARGING.value,
            version=1,
        )
        await self.repo.add(battery)
        self._changed(station.id, "pack_arrived")
        return _battery_read(battery, station, now)

    async def batteries(self, principal: Principal, station_id: uuid.UUID) -> list[BatteryRead]:
        station = await self._crewed(principal, station_id)
        now = self.clock.now()
        return [_battery_read(b, station, now) for b in await self.repo.batteries_at([station.id])]

    async def _station_battery(
        self, principal: Principal, battery_id: uuid.UUID
    ) -> tuple[Battery, Station]:
        """A pack at (or on its way to) a station whose crew the caller is."""
        battery = await self.repo.battery(battery_id, for_update=True)
        where = battery.station_id or battery.destination_id if battery else None
        if battery is None or where is None:
            raise BatteryNotFound()
        try:
            station = await self._crewed(principal, where)
        except Forbidden:
            raise BatteryNotFound() from None
        return battery, station

    async def read_battery(
        self, principal: Principal, battery_id: uuid.UUID, body: BatteryReading
    ) -> BatteryRead:
        """A reading taken at the station: the charge from here on follows from it."""
        battery, station = await self._station_battery(principal, battery_id)
        if battery.station_id != station.id:
            raise BatteryUnavailable("the pack is on its way: read it when it arrives")
        now = self.clock.now()
        battery.soc = body.soc
        battery.read_at = now
        if body.health_pct is not None:
            battery.health_pct = body.health_pct
        battery.version += 1
        self._changed(station.id, "pack_read")
        return _battery_read(battery, station, now)

    async def move_battery(
        self, principal: Principal, battery_id: uuid.UUID, body: BatteryMove
    ) -> BatteryRead:
        """Logistics: a pack leaves one of the operator's stations for another."""
        battery = await self.repo.battery(battery_id, for_update=True)
        if battery is None or battery.owner_id != principal.user_id:
            raise BatteryNotFound()
        target = await self.repo.station(body.to_station_id)
        if target is None or target.owner_id != principal.user_id:
            raise InvalidStation("move packs between your own stations", field="to_station_id")
        if battery.status != BatteryStatus.CHARGING.value or battery.station_id is None:
            raise BatteryUnavailable(f"a {battery.status} pack stays where it is")
        if battery.station_id == target.id:
            raise InvalidStation("the pack is there already", field="to_station_id")
        source = await self._station(battery.station_id)
        now = self.clock.now()
        battery.soc = domain.soc_at(
            battery.soc, battery.read_at, now, battery.capacity_wh, source.charger_kw
        )
        battery.read_at = now
        battery.station_id = None
        battery.destination_id = target.id
        battery.status = BatteryStatus.IN_TRANSIT.value
        battery.version += 1
        self._changed(source.id, "pack_left")
        return _battery_read(battery, target, now)

    async def receive_battery(
        self, principal: Principal, battery_id: uuid.UUID, body: BatteryReading
    ) -> BatteryRead:
        battery, station = await self._station_battery(principal, battery_id)
        if battery.status != BatteryStatus.IN_TRANSIT.value:
            raise BatteryUnavailable("the pack is not on its way anywhere")
        now = self.clock.now()
        battery.station_id = station.id
        battery.destination_id = None
        battery.status = BatteryStatus.CHARGING.value
        battery.soc = body.soc
        battery.read_at = now
        if body.health_pct is not None:
            battery.health_pct = body.health_pct
        battery.version += 1
        self._changed(station.id, "pack_arrived")
        return _battery_read(battery, station, now)
