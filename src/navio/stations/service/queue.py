"""The queue: places with signed codes, check-in by the crew, swaps paid from the wallet."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from navio.iam import Principal
from navio.kernel.errors import Forbidden
from navio.kernel.pagination import Cursor, Page, page_of
from navio.kernel.security import TokenError
from navio.stations import domain
from navio.stations.domain import BatteryStatus, QueueStatus
from navio.stations.errors import (
    AlreadyQueued,
    BatteryUnavailable,
    InvalidQueueCode,
    InvalidSwap,
    StationClosed,
    TicketNotFound,
    TicketStateConflict,
)
from navio.stations.events import BatterySwapped, TravelerCalled
from navio.stations.models import Battery, QueueTicket, Station, Swap
from navio.stations.schemas import (
    SwapCreate,
    SwapRead,
    TicketRead,
)
from navio.stations.service.base import (
    StationsBase,
    _model,
    _swap_read,
)
from navio.wallet import ledger


class QueueOperations(StationsBase):
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
        # a credit of a plan the rider bought from this operator first (the one expiring
        # soonest), else the station's price from the wallet
        credit = await self.repo.usable_credit(ticket.user_id, station.owner_id, now)
        amount, transfer_id = 0, None
        if credit is not None:
            credit.swaps_left -= 1
        else:
            paid, _ = await ledger(self.repo.session, self.clock).pay(
                f"swap:{ticket.id}",
                ticket.user_id,
                station.owner_id,
                station.price_minor,
                station.currency,
                refs={"station": str(station.id), "ticket": str(ticket.id)},
            )
            amount, transfer_id = station.price_minor, paid.id
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
            amount_minor=amount,
            currency=station.currency,
            transfer_id=transfer_id,
            credit_id=credit.id if credit else None,
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
                credits_left=credit.swaps_left if credit else None,
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
