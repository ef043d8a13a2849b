"""The stations service's shared part: constants, access to a station, its live state, and
the reads every part returns."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from navio.iam import Principal
from navio.kernel.cache import Cache
from navio.kernel.clock import Clock
from navio.kernel.errors import Forbidden
from navio.kernel.events import EventRecorder
from navio.kernel.security import Signer
from navio.stations import domain, forecast
from navio.stations.domain import BatteryStatus
from navio.stations.errors import (
    StationNotFound,
)
from navio.stations.events import QueueChanged
from navio.stations.models import Battery, Fault, Station, Swap
from navio.stations.repository import StationsRepository
from navio.stations.schemas import (
    BatteryRead,
    FaultRead,
    HourForecast,
    StationRead,
    SwapRead,
)

QUEUE_PURPOSE = "station-queue"
MAX_RECOMMENDED = 20
CANDIDATES = 200


def _model(station: Station) -> domain.Station:
    return domain.Station(
        bays=station.bays,
        service=timedelta(minutes=station.service_minutes),
        capacity_wh=station.pack_wh,
        charger_kw=station.charger_kw,
    )


class StationsBase:
    def __init__(
        self,
        repo: StationsRepository,
        events: EventRecorder,
        clock: Clock,
        secret: str,
        cache: Cache | None = None,
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        self.signer = Signer(secret, QUEUE_PURPOSE)
        self.cache = cache  # forecasts, kept a minute

    # ================================================================ access
    async def _station(self, station_id: uuid.UUID, *, for_update: bool = False) -> Station:
        station = await self.repo.station(station_id, for_update=for_update)
        if station is None:
            raise StationNotFound()
        return station

    async def _owned(self, principal: Principal, station_id: uuid.UUID) -> Station:
        station = await self._station(station_id, for_update=True)
        if station.owner_id != principal.user_id:
            raise Forbidden("only the station's operator does that")
        return station

    async def _crewed(self, principal: Principal, station_id: uuid.UUID) -> Station:
        """The station, for its operator and its staff."""
        station = await self._station(station_id)
        if not await self._is_crew(station, principal.user_id):
            raise Forbidden("only the station's operator and staff do that")
        return station

    def _changed(self, station_id: uuid.UUID, reason: str) -> None:
        """Waiting times at the station moved: its live sockets recompute (handlers.py)."""
        self.events.record(QueueChanged(station_id=station_id, reason=reason))

    async def _is_crew(self, station: Station, user_id: uuid.UUID) -> bool:
        return station.owner_id == user_id or (
            await self.repo.staff_member(station.id, user_id) is not None
        )

    # ================================================================ live state
    @staticmethod
    def _ready_by_station(
        stations: Sequence[Station], batteries: Sequence[Battery]
    ) -> dict[uuid.UUID, list[datetime]]:
        """When each station's charging packs hold enough, grouped in one pass."""
        power = {s.id: s.charger_kw for s in stations}
        ready: dict[uuid.UUID, list[datetime]] = {s.id: [] for s in stations}
        for b in batteries:
            if b.station_id in power and b.status == BatteryStatus.CHARGING.value:
                at = domain.ready_at(b.soc, b.read_at, b.capacity_wh, power[b.station_id])
                ready[b.station_id].append(at)
        return ready

    async def _live(
        self,
        stations: Sequence[Station],
        ready_by: dict[uuid.UUID, list[datetime]] | None = None,
    ) -> list[StationRead]:
        now = self.clock.now()
        ids = [s.id for s in stations]
        if ready_by is None:
            ready_by = self._ready_by_station(stations, await self.repo.batteries_at(ids))
        queued_by = Counter(t.station_id for t in await self.repo.queue(ids))
        reads = []
        for station in stations:
            ready, queued = ready_by[station.id], queued_by[station.id]
            wait = domain.wait_for(_model(station), ready, queued + 1, now)
            reads.append(
                _station_read(
                    station,
                    queued=queued,
                    ready=sum(1 for at in ready if at <= now),
                    charging=sum(1 for at in ready if at > now),
                    wait_minutes=domain.minutes(wait),
                )
            )
        return reads


# ==================================================================== reads
def _station_read(
    station: Station, *, queued: int, ready: int, charging: int, wait_minutes: int | None
) -> StationRead:
    return StationRead(
        id=station.id,
        owner_id=station.owner_id,
        name=station.name,
        lat=station.lat,
        lon=station.lon,
        address=station.address,
        bays=station.bays,
        service_minutes=station.service_minutes,
        charger_kw=station.charger_kw,
        pack_wh=station.pack_wh,
        price_minor=station.price_minor,
        currency=station.currency,
        open=station.open,
        version=station.version,
        queued=queued,
        ready_batteries=ready,
        charging_batteries=charging,
        wait_minutes=wait_minutes,
    )


def _battery_read(battery: Battery, station: Station, now: datetime) -> BatteryRead:
    charging = battery.status == BatteryStatus.CHARGING.value and battery.station_id == station.id
    soc = (
        domain.soc_at(battery.soc, battery.read_at, now, battery.capacity_wh, station.charger_kw)
        if charging
        else battery.soc
    )
    ready = (
        domain.ready_at(battery.soc, battery.read_at, battery.capacity_wh, station.charger_kw)
        if charging
        else None
    )
    return BatteryRead(
        id=battery.id,
        serial=battery.serial,
        station_id=battery.station_id,
        destination_id=battery.destination_id,
        rider_id=battery.rider_id,
        capacity_wh=battery.capacity_wh,
        soc=round(soc, 1),
        ready_at=ready,
        health_pct=battery.health_pct,
        cycles=battery.cycles,
        status=BatteryStatus(battery.status),
        read_at=battery.read_at,
    )


def _hour_forecast(
    hour: forecast.HourOutlook, zone: ZoneInfo, days_off: frozenset[date]
) -> HourForecast:
    mean = hour.wait_mean
    local = hour.starts_at.astimezone(zone)
    return HourForecast(
        starts_at=hour.starts_at,
        local_start=local,
        public_holiday=local.date() in days_off,
        arrivals_expected=round(hour.arrivals, 2),
        wait_minutes_mean=None if mean is None else round(mean.total_seconds() / 60, 1),
        wait_minutes_p50=domain.minutes(hour.wait_p50),
        wait_minutes_p90=domain.minutes(hour.wait_p90),
        no_pack_chance=round(hour.no_pack, 3),
    )


def _swap_read(swap: Swap) -> SwapRead:
    return SwapRead.model_validate(swap, from_attributes=True)


def _fault_read(fault: Fault) -> FaultRead:
    return FaultRead.model_validate(fault, from_attributes=True)
