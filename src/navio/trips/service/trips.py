"""Trips themselves: create, read, list, change, delete, export, live access."""

from __future__ import annotations

import uuid
from datetime import date

from navio.iam import Principal
from navio.kernel.pagination import Cursor, Page, page_of
from navio.kernel.versioning import check_if_match
from navio.trips import domain
from navio.trips.domain import Action, Role, Status, Visibility
from navio.trips.errors import (
    InvalidStatusChange,
    InvalidTrip,
)
from navio.trips.events import (
    TripCreated,
    TripDeleted,
    TripUpdated,
)
from navio.trips.export import ExportItem, ExportTrip
from navio.trips.models import Trip, TripMember
from navio.trips.schemas import (
    ActivityRead,
    TripCreate,
    TripRead,
    TripSummary,
    TripUpdate,
)
from navio.trips.service.base import Access, ServiceBase, located


class TripOperations(ServiceBase):
    # ---------------------------------------------------------------- trips
    async def create(self, principal: Principal, body: TripCreate) -> TripRead:
        problem = domain.trip_dates_problem(body.start_date, body.end_date)
        if problem:
            raise InvalidTrip(problem, field="end_date")
        now = self.clock.now()
        trip = Trip(
            owner_id=principal.user_id,
            title=body.title,
            destinations=await located(self.repo.session, body.destinations),
            start_date=body.start_date,
            end_date=body.end_date,
            timezone=body.timezone,
            travelers=body.travelers,
            currency=body.currency,
            status=Status.PLANNING.value,
            cover_url=body.cover_url,
            notes=body.notes,
            visibility=Visibility.PRIVATE.value,
            hide_costs=False,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(trip)
        await self.repo.add(
            TripMember(
                trip_id=trip.id,
                user_id=principal.user_id,
                role=Role.OWNER.value,
                added_at=now,
                added_by=principal.user_id,
            )
        )
        self._record(TripCreated, trip, principal.user_id, data={"title": trip.title})
        return await self._read(Access(trip, Role.OWNER, False))

    async def get(
        self, principal: Principal | None, trip_id: uuid.UUID, link_token: str | None
    ) -> TripRead:
        return await self._read(
            await self.access(principal, trip_id, Action.VIEW, link_token=link_token)
        )

    async def list_mine(
        self,
        principal: Principal,
        limit: int,
        cursor: str | None,
        status: Status | None,
        starts_from: date | None,
        starts_until: date | None,
    ) -> Page[TripSummary]:
        after = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.my_trips(
            principal.user_id,
            limit,
            after,
            status.value if status else None,
            starts_from,
            starts_until,
        )
        page, next_cursor = page_of(rows, limit, lambda r: Cursor(r[0].created_at, r[0].id))
        return Page(
            items=[
                TripSummary(
                    id=t.id,
                    title=t.title,
                    start_date=t.start_date,
                    end_date=t.end_date,
                    timezone=t.timezone,
                    status=Status(t.status),
                    my_role=Role(role),
                    updated_at=t.updated_at,
                )
                for t, role in page
            ],
            next_cursor=next_cursor,
        )

    async def update(
        self, principal: Principal, trip_id: uuid.UUID, body: TripUpdate, if_match: str | None
    ) -> TripRead:
        access = await self.access(principal, trip_id, Action.EDIT, for_update=True)
        trip = access.trip
        check_if_match(if_match, trip.version)
        changes = body.model_dump(exclude_unset=True)
        # null, like an absent field, changes nothing: a trip always has a status
        if changes.get("status") is not None and changes["status"] != trip.status:
            target = Status(changes["status"])
            if target not in domain.STATUS_MOVES[Status(trip.status)]:
                raise InvalidStatusChange(
                    f"a {trip.status} trip cannot become {target.value}", field="status"
                )
        start = changes.get("start_date") or trip.start_date
        end = changes.get("end_date") or trip.end_date
        problem = domain.trip_dates_problem(start, end)
        if problem:
            raise InvalidTrip(problem, field="end_date")
        if (start, end) != (trip.start_date, trip.end_date):
            outside = await self.repo.items_outside(trip.id, start, end)
            if outside:
                raise InvalidTrip(
                    f"{outside} item(s) fall outside {start} to {end}; move them first",
                    field="start_date",
                )
        for key in ("title", "timezone", "travelers", "currency", "cover_url", "notes"):
            if key in changes and changes[key] is not None:
                setattr(trip, key, changes[key])
        if "cover_url" in changes and changes["cover_url"] is None:
            trip.cover_url = None
        if "notes" in changes and changes["notes"] is None:
            trip.notes = None
        if body.destinations is not None:
            trip.destinations = await located(self.repo.session, body.destinations)
        if changes.get("status") is not None:
            trip.status = Status(changes["status"]).value
        trip.start_date, trip.end_date = start, end
        self._touch(trip)
        await self.repo.session.flush()
        self._record(TripUpdated, trip, principal.user_id, data={"fields": sorted(changes)})
        return await self._read(access)

    async def delete(self, principal: Principal, trip_id: uuid.UUID, if_match: str | None) -> None:
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        check_if_match(if_match, access.trip.version)
        self._record(TripDeleted, access.trip, principal.user_id, data={"title": access.trip.title})
        await self.repo.delete_trip_rows(trip_id)

    # ---------------------------------------------------------------- feed, export
    async def activity(
        self, principal: Principal, trip_id: uuid.UUID, limit: int, cursor: str | None
    ) -> Page[ActivityRead]:
        await self.access(principal, trip_id, Action.VIEW_PRIVATE)
        before = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.activity(trip_id, limit, before)
        page, next_cursor = page_of(rows, limit, lambda a: Cursor(a.created_at, a.id))
        return Page(
            items=[ActivityRead.model_validate(a, from_attributes=True) for a in page],
            next_cursor=next_cursor,
        )

    async def export(
        self, principal: Principal | None, trip_id: uuid.UUID, link_token: str | None
    ) -> ExportTrip:
        access = await self.access(principal, trip_id, Action.VIEW, link_token=link_token)
        trip = access.trip
        items = await self.repo.items(trip_id)
        return ExportTrip(
            id=trip.id,
            title=trip.title,
            start_date=trip.start_date,
            end_date=trip.end_date,
            timezone=trip.timezone,
            notes=trip.notes,
            updated_at=trip.updated_at,
            items=[
                ExportItem(
                    id=i.id,
                    kind=i.kind,
                    title=i.title,
                    day=i.day,
                    start_time=i.start_time,
                    end_time=i.end_time,
                    timezone=i.timezone,
                    location=i.location,
                    lat=i.lat,
                    lon=i.lon,
                    notes=i.notes,
                )
                for i in items
            ],
        )

    async def live_role(self, principal: Principal, trip_id: uuid.UUID) -> Role:
        """The role that admits a live connection (checked on connect and on role changes)."""
        access = await self.access(principal, trip_id, Action.LIVE)
        assert access.role is not None
        return access.role
