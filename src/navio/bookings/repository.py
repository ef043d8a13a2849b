"""Every bookings query. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from navio.bookings.models import Booking, Ticket
from navio.kernel.db import Repository


class BookingsRepository(Repository):
    async def add(self, *objects: object) -> None:
        self.session.add_all(objects)
        await self.session.flush()

    async def booking(self, booking_id: uuid.UUID, *, for_update: bool = False) -> Booking | None:
        statement = select(Booking).where(Booking.id == booking_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def bookings(self, user_id: uuid.UUID, trip_id: uuid.UUID | None) -> list[Booking]:
        statement = select(Booking).where(Booking.user_id == user_id)
        if trip_id is not None:
            statement = statement.where(Booking.trip_id == trip_id)
        rows = await self.session.scalars(statement.order_by(Booking.created_at, Booking.id))
        return list(rows)

    async def unpaid_since(self, before: datetime, limit: int) -> list[Booking]:
        """Card bookings still awaiting payment, created before `before`, locked (rows another
        transaction holds are skipped on PostgreSQL: two relays share the work)."""
        statement = (
            select(Booking)
            .where(
                Booking.status == "awaiting_payment",
                Booking.pay_with == "card",
                Booking.created_at < before,
            )
            .order_by(Booking.created_at, Booking.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return list(await self.session.scalars(statement))

    async def tickets(self, booking_id: uuid.UUID) -> list[Ticket]:
        rows = await self.session.scalars(
            select(Ticket).where(Ticket.booking_id == booking_id).order_by(Ticket.issued_at)
        )
        return list(rows)

    async def ticket(self, ticket_id: uuid.UUID) -> Ticket | None:
        return await self.session.scalar(
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
