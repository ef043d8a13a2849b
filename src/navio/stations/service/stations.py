"""Stations: create, change, read, the live ranking around a rider, the forecast; staff."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from navio.iam import Principal, user_cards
from navio.kernel.geo import country_of_zone, haversine_m, time_zone_at
from navio.kernel.money import is_currency
from navio.kernel.versioning import check_if_match
from navio.stations import domain, forecast
from navio.stations.errors import (
    InvalidStation,
)
from navio.stations.models import Staff, Station
from navio.stations.schemas import (
    ForecastHistory,
    ForecastRead,
    Recommendation,
    StaffRead,
    StationCreate,
    StationRead,
    StationUpdate,
)
from navio.stations.service.base import (
    CANDIDATES,
    StationsBase,
    _hour_forecast,
    _model,
)

FORECAST_CACHE_SECONDS = 60.0


class StationOperations(StationsBase):
    # ================================================================ stations
    async def create(self, principal: Principal, body: StationCreate) -> StationRead:
        if not is_currency(body.currency):
            raise InvalidStation(f"{body.currency!r} is not a currency", field="currency")
        if not body.name.strip():
            raise InvalidStation("name the station", field="name")
        now = self.clock.now()
        station = Station(
            id=uuid.uuid4(),
            owner_id=principal.user_id,
            name=body.name.strip(),
            lat=body.lat,
            lon=body.lon,
            address=body.address,
            bays=body.bays,
            service_minutes=body.service_minutes,
            charger_kw=body.charger_kw,
            pack_wh=body.pack_wh,
            price_minor=body.price_minor,
            currency=body.currency,
            open=True,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(station)
        return (await self._live([station]))[0]

    async def update(
        self, principal: Principal, station_id: uuid.UUID, body: StationUpdate, if_match: str | None
    ) -> StationRead:
        station = await self._owned(principal, station_id)
        check_if_match(if_match, station.version)
        changes = body.model_dump(exclude_unset=True)
        for field in ("name", "bays", "service_minutes", "charger_kw", "price_minor", "open"):
            if field in changes and changes[field] is None:
                raise InvalidStation(f"{field} cannot be removed", field=field)
        if "name" in changes:
            if not changes["name"].strip():
                raise InvalidStation("name the station", field="name")
            changes["name"] = changes["name"].strip()
        changed = {f: v for f, v in changes.items() if getattr(station, f) != v}
        if changed:
            now = self.clock.now()
            if "charger_kw" in changed:
                # a new charger power counts from now: what charged so far is read at the old one
                for battery in await self.repo.batteries_at([station.id]):
                    if battery.station_id == station.id and battery.status == "charging":
                        battery.soc = domain.soc_at(
                            battery.soc,
                            battery.read_at,
                            now,
                            battery.capacity_wh,
                            station.charger_kw,
                        )
                        battery.read_at = now
            for field, value in changed.items():
                setattr(station, field, value)
            station.version += 1
            station.updated_at = now
            self._changed(station.id, "station")
        return (await self._live([station]))[0]

    async def get(self, station_id: uuid.UUID) -> StationRead:
        return (await self._live([await self._station(station_id)]))[0]

    async def mine(self, principal: Principal) -> list[StationRead]:
        return await self._live(await self.repo.stations_of(principal.user_id))

    async def recommend(
        self, lat: float, lon: float, radius_m: float, limit: int
    ) -> list[Recommendation]:
        """Open stations within the radius, soonest done first: the ride there, the wait on
        arrival behind those queued now, and the swap."""
        now = self.clock.now()
        found = [
            (station, haversine_m(lat, lon, station.lat, station.lon))
            for station in await self.repo.near(lat, lon, radius_m, CANDIDATES)
        ]
        found = [(s, d) for s, d in found if d <= radius_m]
        if not found:
            return []
        near = [s for s, _ in found]
        ready_by = self._ready_by_station(near, await self.repo.batteries_at([s.id for s in near]))
        lives = {read.id: read for read in await self._live(near, ready_by)}
        ranked: list[tuple[float, Recommendation]] = []
        for station, distance in found:
            live = lives[station.id]
            travel = domain.travel_time(distance)
            wait = domain.arrival_wait(
                _model(station), ready_by[station.id], live.queued, now, travel
            )
            done = None if wait is None else travel + wait + _model(station).service
            recommendation = Recommendation(
                station=live,
                distance_m=round(distance, 1),
                travel_minutes=domain.minutes(travel) or 0,
                wait_minutes_on_arrival=domain.minutes(wait),
                done_in_minutes=domain.minutes(done),
            )
            key = done.total_seconds() if done is not None else float("inf")
            ranked.append((key, recommendation))
        ranked.sort(key=lambda pair: (pair[0], pair[1].distance_m))
        return [r for _, r in ranked[:limit]]

    async def forecast(self, station_id: uuid.UUID, hours: int) -> ForecastRead:
        """The coming hours: riders expected from the station's own past, and the wait of one
        who comes at the middle of each hour, simulated from the queue and packs of now. Kept
        FORECAST_CACHE_SECONDS in the cache (a public route whose answer costs tens of
        milliseconds of simulation; boards and apps ask it again and again)."""
        now = self.clock.now()
        key = f"stations:forecast:{station_id}:{hours}:{now:%Y%m%dT%H}"
        if self.cache is not None and (kept := await self.cache.get(key)) is not None:
            return ForecastRead.model_validate_json(kept)
        read = await self._forecast(station_id, hours, now)
        if self.cache is not None:
            await self.cache.set(key, read.model_dump_json().encode(), FORECAST_CACHE_SECONDS)
        return read

    async def _forecast(self, station_id: uuid.UUID, hours: int, now: datetime) -> ForecastRead:
        station = await self._station(station_id)
        zone = ZoneInfo(time_zone_at(station.lat, station.lon))
        since = max(station.created_at, now - timedelta(weeks=forecast.HISTORY_WEEKS))
        first = forecast.hour_floor(now)
        days_off = forecast.public_holidays(
            country_of_zone(zone.key), range(since.year, (now + timedelta(hours=hours)).year + 1)
        )
        demand = forecast.estimate(
            await self.repo.joined_since(station.id, since), since, now, zone, days_off
        )
        rates = [
            demand.rates[forecast.slot_of(first + i * forecast.HOUR, zone, days_off)]
            for i in range(hours)
        ]
        ready = self._ready_by_station([station], await self.repo.batteries_at([station.id]))
        seed = station.id.int % 2**32 ^ int(first.timestamp())  # the same answer all hour
        outlook = forecast.outlook(
            _model(station),
            ready[station.id],
            len(await self.repo.queue([station.id])),
            now,
            rates,
            seed=seed,
        )
        rows = [_hour_forecast(hour, zone, days_off) for hour in outlook]
        timed = [r for r in rows if r.wait_minutes_p50 is not None]
        best = min(timed, key=lambda r: (r.wait_minutes_p50, r.starts_at)) if timed else None
        return ForecastRead(
            station_id=station.id,
            time_zone=zone.key,
            generated_at=now,
            history=ForecastHistory(weeks=round(demand.weeks, 2), arrivals=demand.arrivals),
            hours=rows,
            best_hour=best.starts_at if best else None,
        )

    # ================================================================ staff
    async def add_staff(
        self, principal: Principal, station_id: uuid.UUID, user_id: uuid.UUID
    ) -> StaffRead:
        station = await self._owned(principal, station_id)
        card = (await user_cards(self.repo.session, [user_id])).get(user_id)
        if card is None:
            raise InvalidStation("no such user", field="user_id")
        member = await self.repo.staff_member(station.id, user_id)
        if member is None:
            member = Staff(station_id=station.id, user_id=user_id, added_at=self.clock.now())
            await self.repo.add(member)
        return StaffRead(user_id=user_id, display_name=card.display_name, added_at=member.added_at)

    async def remove_staff(
        self, principal: Principal, station_id: uuid.UUID, user_id: uuid.UUID
    ) -> None:
        station = await self._owned(principal, station_id)
        member = await self.repo.staff_member(station.id, user_id)
        if member is not None:
            await self.repo.delete(member)

    async def staff(self, principal: Principal, station_id: uuid.UUID) -> list[StaffRead]:
        station = await self._crewed(principal, station_id)
        members = await self.repo.staff(station.id)
        cards = await user_cards(self.repo.session, [m.user_id for m in members])
        return [
            StaffRead(
                user_id=m.user_id,
                display_name=cards[m.user_id].display_name if m.user_id in cards else "",
                added_at=m.added_at,
            )
            for m in members
        ]
