"""Battery-swap stations: operators run stations, their staff and packs; travelers find the
station that gets them going soonest, queue with a signed code, and swap a depleted pack for a
charged one, paid from their wallet to the operator. Never commits."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from navio.iam import Principal, user_cards
from navio.kernel.clock import Clock
from navio.kernel.errors import Forbidden
from navio.kernel.events import EventRecorder
from navio.kernel.geo import haversine_m
from navio.kernel.money import is_currency
from navio.kernel.pagination import Cursor, Page, page_of
from navio.kernel.security import Signer, TokenError
from navio.kernel.versioning import check_if_match
from navio.stations import domain
from navio.stations.domain import BatteryStatus, FaultStatus, QueueStatus, RuleError
from navio.stations.errors import (
    AlreadyQueued,
    BatteryExists,
    BatteryNotFound,
    BatteryUnavailable,
    FaultNotFound,
    FaultStateConflict,
    InvalidQueueCode,
    InvalidStation,
    InvalidSwap,
    StationClosed,
    StationNotFound,
    TicketNotFound,
    TicketStateConflict,
)
from navio.stations.events import BatterySwapped, FaultReported, QueueChanged, TravelerCalled
from navio.stations.models import Battery, Fault, QueueTicket, Staff, Station, Swap
from navio.stations.repository import StationsRepository
from navio.stations.schemas import (
    BatteryCreate,
    BatteryMove,
    BatteryRead,
    BatteryReading,
    FaultCreate,
    FaultRead,
    FaultUpdate,
    Recommendation,
    StaffRead,
    StationCreate,
    StationRead,
    StationUpdate,
    SwapCreate,
    SwapRead,
    TicketRead,
)
from navio.wallet import ledger

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


class StationsService:
    def __init__(
        self, repo: StationsRepository, events: EventRecorder, clock: Clock, secret: str
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        self.signer = Signer(secret, QUEUE_PURPOSE)

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

    # ================================================================ queue
    def _code(self, ticket: QueueTicket) -> str:
        payload = {"t": str(ticket.id), "s": str(ticket.station_id)}
        return self.signer.sign(json.dumps(payload, separators=(",", ":")).encode())

    async def _ticket_read(self, ticket: QueueTicket) -> TicketRead:
        position = wait = None
        if ticket.status == QueueStatus.WAITING.value:
            station = await self._station(ticket.station_id)
            queue = await self.repo.queue([station.id])
            position = 1 + sum(
                1
                for t in queue
                if t.status == QueueStatus.CALLED.value
                or (t.joined_at, t.id) < (ticket.joined_at, ticket.id)
            )
            batteries = await self.repo.batteries_at([station.id])
            wait = domain.minutes(
                domain.wait_for(
                    _model(station),
                    self._ready_by_station([station], batteries)[station.id],
                    position,
                    self.clock.now(),
                )
            )
        active = ticket.status in {QueueStatus.WAITING.value, QueueStatus.CALLED.value}
        return TicketRead(
            id=ticket.id,
            station_id=ticket.station_id,
            status=QueueStatus(ticket.status),
            position=position,
            wait_minutes=wait,
            joined_at=ticket.joined_at,
            called_at=ticket.called_at,
            ended_at=ticket.ended_at,
            qr=self._code(ticket) if active else None,
        )

    async def join(self, principal: Principal, station_id: uuid.UUID) -> TicketRead:
        station = await self._station(station_id)
        if not station.open:
            raise StationClosed()
        active = await self.repo.active_ticket(principal.user_id)
        if active is not None:
            raise AlreadyQueued("leave that queue first", ticket_id=str(active.id))
        ticket = QueueTicket(
            id=uuid.uuid4(),
            station_id=station.id,
            user_id=principal.user_id,
            status=QueueStatus.WAITING.value,
            joined_at=self.clock.now(),
        )
        await self.repo.add(ticket)
        self._changed(station.id, "joined")
        return await self._ticket_read(ticket)

    async def _my_ticket(
        self, principal: Principal, ticket_id: uuid.UUID, *, for_update: bool = False
    ) -> QueueTicket:
        ticket = await self.repo.ticket(ticket_id, for_update=for_update)
        if ticket is None:
            raise TicketNotFound()
        if ticket.user_id != principal.user_id:
            try:
                await self._crewed(principal, ticket.station_id)
            except Forbidden:
                raise TicketNotFound() from None
        return ticket

    async def ticket(self, principal: Principal, ticket_id: uuid.UUID) -> TicketRead:
        return await self._ticket_read(await self._my_ticket(principal, ticket_id))

    async def leave(self, principal: Principal, ticket_id: uuid.UUID) -> TicketRead:
        ticket = await self._my_ticket(principal, ticket_id, for_update=True)
        if ticket.user_id != principal.user_id:
            raise Forbidden("a traveler leaves a queue themselves")
        if ticket.status not in {QueueStatus.WAITING.value, QueueStatus.CALLED.value}:
            raise TicketStateConflict(f"the ticket is {ticket.status}")
        ticket.status = QueueStatus.LEFT.value
        ticket.ended_at = self.clock.now()
        self._changed(ticket.station_id, "left")
        return await self._ticket_read(ticket)

    async def check_in(self, principal: Principal, station_id: uuid.UUID, code: str) -> TicketRead:
        """Staff scan a traveler's code: the traveler has a bay."""
        station = await self._crewed(principal, station_id)
        try:
            claims = json.loads(self.signer.unsign(code.strip()))
            ticket_id, signed_station = uuid.UUID(claims["t"]), uuid.UUID(claims["s"])
        except (TokenError, ValueError, KeyError, TypeError) as exc:
            raise InvalidQueueCode("not a queue code Navio issued", field="qr") from exc
        if signed_station != station.id:
            raise InvalidQueueCode("the code is for another station", field="qr")
        ticket = await self.repo.ticket(ticket_id, for_update=True)
        if ticket is None:
            raise InvalidQueueCode("no such ticket", field="qr")
        if ticket.status != QueueStatus.WAITING.value:
            raise TicketStateConflict(f"the ticket is {ticket.status}")
        ticket.status = QueueStatus.CALLED.value
        ticket.called_at = self.clock.now()
        self.events.record(
            TravelerCalled(
                ticket_id=ticket.id,
                station_id=station.id,
                user_id=ticket.user_id,
                station_name=station.name,
            )
        )
        self._changed(station.id, "called")
        return await self._ticket_read(ticket)

    # ================================================================ swaps
    async def swap(self, principal: Principal, station_id: uuid.UUID, body: SwapCreate) -> SwapRead:
        station = await self._crewed(principal, station_id)
        ticket = await self.repo.ticket(body.ticket_id, for_update=True)
        if ticket is None or ticket.station_id != station.id:
            raise InvalidSwap("no such ticket at this station", field="ticket_id")
        if ticket.status != QueueStatus.CALLED.value:
            raise TicketStateConflict(f"the ticket is {ticket.status}: check the traveler in first")
        now = self.clock.now()
        out = await self.repo.battery(body.battery_out_id, for_update=True)
        if out is None or out.station_id != station.id:
            raise InvalidSwap("no such pack at this station", field="battery_out_id")
        soc_out = domain.soc_at(out.soc, out.read_at, now, out.capacity_wh, station.charger_kw)
        if out.status != BatteryStatus.CHARGING.value or soc_out < domain.READY_SOC:
            raise BatteryUnavailable(
                f"the pack holds {soc_out:.0f} % ({out.status}); it is handed out from "
                f"{domain.READY_SOC:.0f} %"
            )
        returned = await self._returned(ticket, body, station, now)
        paid, _ = await ledger(self.repo.session, self.clock).pay(
            f"swap:{ticket.id}",
            ticket.user_id,
            station.owner_id,
            station.price_minor,
            station.currency,
            refs={"station": str(station.id), "ticket": str(ticket.id)},
        )
        out.status = BatteryStatus.WITH_RIDER.value
        out.rider_id = ticket.user_id
        out.station_id = None
        out.soc = soc_out
        out.read_at = now
        out.version += 1
        ticket.status = QueueStatus.SERVED.value
        ticket.ended_at = now
        swap = Swap(
            id=uuid.uuid4(),
            station_id=station.id,
            ticket_id=ticket.id,
            user_id=ticket.user_id,
            staff_id=principal.user_id,
            battery_out_id=out.id,
            battery_in_id=returned.id if returned else None,
            soc_out=round(soc_out, 1),
            soc_in=body.soc_in if returned else None,
            amount_minor=station.price_minor,
            currency=station.currency,
            transfer_id=paid.id,
            swapped_at=now,
        )
        await self.repo.add(swap)
        self.events.record(
            BatterySwapped(
                swap_id=swap.id,
                station_id=station.id,
                owner_id=station.owner_id,
                user_id=ticket.user_id,
                station_name=station.name,
                amount_minor=swap.amount_minor,
                currency=swap.currency,
            )
        )
        self._changed(station.id, "served")
        return _swap_read(swap)

    async def _returned(
        self, ticket: QueueTicket, body: SwapCreate, station: Station, now: datetime
    ) -> Battery | None:
        """The pack the rider brings back (the one they hold, if any): it starts charging here."""
        held = await self.repo.held_by(ticket.user_id)
        if body.battery_in_serial is None:
            if held:
                serials = ", ".join(b.serial for b in held)
                raise InvalidSwap(
                    f"the rider holds {serials}: take it back", field="battery_in_serial"
                )
            return None
        returned = next((b for b in held if b.serial == body.battery_in_serial), None)
        if returned is None:
            raise InvalidSwap("the rider does not hold that pack", field="battery_in_serial")
        if returned.owner_id != station.owner_id:
            raise InvalidSwap(
                "the pack belongs to another operator: it goes back to one of their stations",
                field="battery_in_serial",
            )
        if body.soc_in is None:
            raise InvalidSwap("read the returned pack's charge", field="soc_in")
        returned.status = BatteryStatus.CHARGING.value
        returned.rider_id = None
        returned.station_id = station.id
        returned.soc = body.soc_in
        returned.read_at = now
        returned.cycles += 1
        returned.version += 1
        return returned

    async def swaps(
        self, principal: Principal, station_id: uuid.UUID, limit: int, cursor: str | None
    ) -> Page[SwapRead]:
        station = await self._crewed(principal, station_id)
        rows = await self.repo.swaps(station.id, limit, Cursor.decode(cursor) if cursor else None)
        page, next_cursor = page_of(rows, limit, lambda s: Cursor(s.swapped_at, s.id))
        return Page(items=[_swap_read(s) for s in page], next_cursor=next_cursor)

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


def _swap_read(swap: Swap) -> SwapRead:
    return SwapRead.model_validate(swap, from_attributes=True)


def _fault_read(fault: Fault) -> FaultRead:
    return FaultRead.model_validate(fault, from_attributes=True)
