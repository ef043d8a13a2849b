"""Every trips query. Never commits."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from navio.kernel.db import Repository
from navio.kernel.pagination import Cursor, newest_first
from navio.trips.models import (
    Trip,
    TripActivity,
    TripComment,
    TripInvite,
    TripItem,
    TripMember,
    TripSuggestion,
)


def _after(
    created: InstrumentedAttribute[datetime],
    ident: InstrumentedAttribute[uuid.UUID],
    cursor: Cursor | None,
) -> ColumnElement[bool]:
    """Keyset condition: rows after the cursor in (created_at, id) order."""
    if cursor is None:
        return true()
    return or_(
        created > cursor.created_at,
        and_(created == cursor.created_at, ident > cursor.id),
    )


class TripsRepository(Repository):
    # trips
    async def trip(self, trip_id: uuid.UUID, *, for_update: bool = False) -> Trip | None:
        statement = select(Trip).where(Trip.id == trip_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def add(self, obj: object) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def delete(self, obj: object) -> None:
        await self.session.delete(obj)
        await self.session.flush()

    async def delete_trip_rows(self, trip_id: uuid.UUID) -> None:
        for model in (TripItem, TripMember, TripInvite, TripComment, TripSuggestion):
            await self.session.execute(delete(model).where(model.trip_id == trip_id))
        await self.session.execute(delete(Trip).where(Trip.id == trip_id))

    async def my_trips(
        self,
        user_id: uuid.UUID,
        limit: int,
        after: Cursor | None,
        status: str | None,
        starts_from: date | None,
        starts_until: date | None,
    ) -> list[tuple[Trip, str]]:
        statement = (
            select(Trip, TripMember.role)
            .join(TripMember, TripMember.trip_id == Trip.id)
            .where(TripMember.user_id == user_id)
            .where(_after(Trip.created_at, Trip.id, after))
        )
        if status:
            statement = statement.where(Trip.status == status)
        if starts_from:
            statement = statement.where(Trip.start_date >= starts_from)
        if starts_until:
            statement = statement.where(Trip.start_date <= starts_until)
        statement = statement.order_by(Trip.created_at, Trip.id).limit(limit + 1)
        return [(trip, role) for trip, role in (await self.session.execute(statement)).all()]

    # members
    async def member(self, trip_id: uuid.UUID, user_id: uuid.UUID) -> TripMember | None:
        return await self.session.get(TripMember, (trip_id, user_id))

    async def role_of(self, trip_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        return await self.session.scalar(
            select(TripMember.role).where(
                TripMember.trip_id == trip_id, TripMember.user_id == user_id
            )
        )

    async def members(self, trip_id: uuid.UUID) -> list[TripMember]:
        rows = await self.session.scalars(
            select(TripMember)
            .where(TripMember.trip_id == trip_id)
            .order_by(TripMember.added_at, TripMember.user_id)
        )
        return list(rows)

    # items
    async def item(self, trip_id: uuid.UUID, item_id: uuid.UUID) -> TripItem | None:
        return await self.session.scalar(
            select(TripItem).where(TripItem.id == item_id, TripItem.trip_id == trip_id)
        )

    async def items(self, trip_id: uuid.UUID) -> list[TripItem]:
        rows = await self.session.scalars(
            select(TripItem)
            .where(TripItem.trip_id == trip_id)
            .order_by(TripItem.day.is_(None), TripItem.day, TripItem.position, TripItem.id)
        )
        return list(rows)

    async def day_items(self, trip_id: uuid.UUID, day: date | None) -> list[TripItem]:
        day_clause = TripItem.day.is_(None) if day is None else TripItem.day == day
        rows = await self.session.scalars(
            select(TripItem)
            .where(TripItem.trip_id == trip_id, day_clause)
            .order_by(TripItem.position, TripItem.created_at, TripItem.id)
        )
        return list(rows)

    async def count_day_items(
        self, trip_id: uuid.UUID, day: date | None, *, exclude: uuid.UUID
    ) -> int:
        day_clause = TripItem.day.is_(None) if day is None else TripItem.day == day
        found = await self.session.scalar(
            select(func.count())
            .select_from(TripItem)
            .where(TripItem.trip_id == trip_id, day_clause, TripItem.id != exclude)
        )
        return int(found or 0)

    async def items_outside(self, trip_id: uuid.UUID, start: date, end: date) -> int:
        rows = await self.session.scalars(
            select(TripItem.id).where(
                TripItem.trip_id == trip_id,
                TripItem.day.is_not(None),
                or_(TripItem.day < start, TripItem.day > end),
            )
        )
        return len(list(rows))

    # invites
    async def invite(self, invite_id: uuid.UUID) -> TripInvite | None:
        return await self.session.get(TripInvite, invite_id)

    # comments
    async def comment(self, trip_id: uuid.UUID, comment_id: uuid.UUID) -> TripComment | None:
        return await self.session.scalar(
            select(TripComment).where(TripComment.id == comment_id, TripComment.trip_id == trip_id)
        )

    async def comments(
        self, trip_id: uuid.UUID, item_id: uuid.UUID | None, limit: int, after: Cursor | None
    ) -> list[TripComment]:
        statement = select(TripComment).where(
            TripComment.trip_id == trip_id,
            _after(TripComment.created_at, TripComment.id, after),
        )
        if item_id is not None:
            statement = statement.where(TripComment.item_id == item_id)
        statement = statement.order_by(TripComment.created_at, TripComment.id).limit(limit + 1)
        return list(await self.session.scalars(statement))

    # suggestions
    async def suggestion(
        self, trip_id: uuid.UUID, suggestion_id: uuid.UUID
    ) -> TripSuggestion | None:
        return await self.session.scalar(
            select(TripSuggestion).where(
                TripSuggestion.id == suggestion_id, TripSuggestion.trip_id == trip_id
            )
        )

    async def suggestions(self, trip_id: uuid.UUID, status: str | None) -> list[TripSuggestion]:
        statement = select(TripSuggestion).where(TripSuggestion.trip_id == trip_id)
        if status:
            statement = statement.where(TripSuggestion.status == status)
        statement = statement.order_by(TripSuggestion.created_at, TripSuggestion.id).limit(500)
        return list(await self.session.scalars(statement))

    # activity
    async def add_activity(self, activity: TripActivity) -> None:
        self.session.add(activity)
        await self.session.flush()

    async def delete_activity(self, trip_id: uuid.UUID) -> None:
        await self.session.execute(delete(TripActivity).where(TripActivity.trip_id == trip_id))

    async def activity(
        self, trip_id: uuid.UUID, limit: int, before: Cursor | None
    ) -> list[TripActivity]:
        """Newest first."""
        statement = select(TripActivity).where(TripActivity.trip_id == trip_id)
        page = newest_first(statement, TripActivity.created_at, TripActivity.id, limit, before)
        return list(await self.session.scalars(page))
