"""Trip items: add, change, move and remove, with each day's order kept 0..n-1."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from navio.iam import Principal
from navio.kernel.versioning import check_if_match
from navio.places import place_cards
from navio.trips import domain
from navio.trips.domain import Action
from navio.trips.errors import (
    InvalidTripItem,
    TripItemNotFound,
)
from navio.trips.events import (
    ItemAdded,
    ItemMoved,
    ItemRemoved,
    ItemUpdated,
)
from navio.trips.models import Trip, TripItem
from navio.trips.schemas import (
    ItemCreate,
    ItemMove,
    ItemRead,
    ItemUpdate,
)
from navio.trips.service.base import Access, ServiceBase


class ItemOperations(ServiceBase):
    # ---------------------------------------------------------------- items
    def _validate_item(self, trip: Trip, item: TripItem) -> None:
        problem = domain.item_times_problem(
            item.day, item.start_time, item.end_time, trip.start_date, trip.end_date
        )
        if problem:
            raise InvalidTripItem(problem[1], field=problem[0])
        if (item.lat is None) != (item.lon is None):
            raise InvalidTripItem("give both lat and lon, or neither", field="lat")
        if (item.cost_minor is None) != (
            item.cost_currency is None
        ) and item.cost_minor is not None:
            raise InvalidTripItem("a cost needs its currency", field="cost_currency")

    async def _participants(self, trip: Trip, ids: Sequence[uuid.UUID]) -> list[str]:
        if not ids:
            return []
        members = {m.user_id for m in await self.repo.members(trip.id)}
        strangers = [str(i) for i in ids if i not in members]
        if strangers:
            raise InvalidTripItem(
                "participants must be collaborators on the trip", field="participants"
            )
        return [str(i) for i in dict.fromkeys(ids)]

    async def _place_at(self, trip_id: uuid.UUID, item: TripItem, position: int | None) -> None:
        """Put the item at `position` within its day (end when None) and renumber the day.
        Positions in a day are always 0..n-1, so appending needs only the count."""
        if position is None:
            item.position = await self.repo.count_day_items(trip_id, item.day, exclude=item.id)
            return
        others = [i for i in await self.repo.day_items(trip_id, item.day) if i.id != item.id]
        index = len(others) if position is None else min(position, len(others))
        ordered = [*others[:index], item, *others[index:]]
        for n, entry in enumerate(ordered):
            entry.position = n

    async def _renumber(self, trip_id: uuid.UUID, day: date | None, leaving: uuid.UUID) -> None:
        """Close the gap an item left in its former day."""
        remaining = [i for i in await self.repo.day_items(trip_id, day) if i.id != leaving]
        for n, entry in enumerate(remaining):
            entry.position = n

    async def _locate(self, item: TripItem) -> None:
        """An item on a catalogue place must name a real one; its name and position fill
        what the item leaves out."""
        if item.place_id is None:
            return
        card = (await place_cards(self.repo.session, [item.place_id])).get(item.place_id)
        if card is None:
            raise InvalidTripItem("no such place in the catalogue", field="place_id")
        item.location = item.location or card.name
        if item.lat is None and item.lon is None:
            item.lat, item.lon = card.lat, card.lon

    async def _new_item(self, access: Access, actor: uuid.UUID, body: ItemCreate) -> TripItem:
        trip = access.trip
        now = self.clock.now()
        item = TripItem(
            trip_id=trip.id,
            kind=body.kind.value,
            title=body.title,
            place_id=body.place_id,
            location=body.location,
            lat=body.lat,
            lon=body.lon,
            day=body.day,
            start_time=body.start_time,
            end_time=body.end_time,
            timezone=body.timezone or trip.timezone,
            position=0,
            cost_minor=body.cost_minor,
            cost_currency=body.cost_currency
            or (trip.currency if body.cost_minor is not None else None),
            participants=await self._participants(trip, body.participants),
            details=body.details,
            notes=body.notes,
            booking_reference=body.booking_reference,
            created_by=actor,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await self._locate(item)
        self._validate_item(trip, item)
        await self._place_at(trip.id, item, body.position)
        await self.repo.add(item)
        self._touch(trip)
        self._record(
            ItemAdded,
            trip,
            actor,
            subject_id=item.id,
            data=self._item(item, access).model_dump(mode="json"),
        )
        return item

    async def add_item(
        self, principal: Principal, trip_id: uuid.UUID, body: ItemCreate
    ) -> ItemRead:
        access = await self.access(principal, trip_id, Action.EDIT, for_update=True)
        item = await self._new_item(access, principal.user_id, body)
        return self._item(item, access)

    async def items(
        self, principal: Principal | None, trip_id: uuid.UUID, link_token: str | None
    ) -> list[ItemRead]:
        access = await self.access(principal, trip_id, Action.VIEW, link_token=link_token)
        return [self._item(i, access) for i in await self.repo.items(trip_id)]

    async def _existing_item(self, trip_id: uuid.UUID, item_id: uuid.UUID) -> TripItem:
        item = await self.repo.item(trip_id, item_id)
        if item is None:
            raise TripItemNotFound()
        return item

    async def _change_item(
        self, access: Access, actor: uuid.UUID, item: TripItem, body: ItemUpdate
    ) -> TripItem:
        changes = body.model_dump(exclude_unset=True)
        if "participants" in changes and changes["participants"] is not None:
            changes["participants"] = await self._participants(access.trip, body.participants or [])
        if "kind" in changes and changes["kind"] is not None:
            changes["kind"] = domain.ItemKind(changes["kind"]).value
        required = {"kind", "title", "timezone", "participants", "details"}
        old_day = item.day
        for key, value in changes.items():
            if value is None and key in required:
                continue
            setattr(item, key, value)
        if changes.get("place_id") is not None:
            await self._locate(item)
        if "cost_minor" in changes and item.cost_minor is not None and item.cost_currency is None:
            item.cost_currency = access.trip.currency
        self._validate_item(access.trip, item)
        if item.day != old_day:
            await self._place_at(access.trip.id, item, None)
            await self._renumber(access.trip.id, old_day, leaving=item.id)
        item.version += 1
        item.updated_at = self.clock.now()
        self._touch(access.trip)
        await self.repo.session.flush()
        self._record(
            ItemUpdated,
            access.trip,
            actor,
            subject_id=item.id,
            data={
                "fields": sorted(changes),
                "item": self._item(item, access).model_dump(mode="json"),
            },
        )
        return item

    async def update_item(
        self,
        principal: Principal,
        trip_id: uuid.UUID,
        item_id: uuid.UUID,
        body: ItemUpdate,
        if_match: str | None,
    ) -> ItemRead:
        access = await self.access(principal, trip_id, Action.EDIT, for_update=True)
        item = await self._existing_item(trip_id, item_id)
        check_if_match(if_match, item.version)
        return self._item(await self._change_item(access, principal.user_id, item, body), access)

    async def move_item(
        self,
        principal: Principal,
        trip_id: uuid.UUID,
        item_id: uuid.UUID,
        body: ItemMove,
        if_match: str | None,
    ) -> list[ItemRead]:
        """Move an item to a day and position; returns the target day's items in order."""
        access = await self.access(principal, trip_id, Action.EDIT, for_update=True)
        item = await self._existing_item(trip_id, item_id)
        check_if_match(if_match, item.version)
        source_day = item.day
        item.day = body.day
        self._validate_item(access.trip, item)
        await self._place_at(trip_id, item, body.position)
        if source_day != body.day:
            await self._renumber(trip_id, source_day, leaving=item.id)
        item.version += 1
        item.updated_at = self.clock.now()
        self._touch(access.trip)
        await self.repo.session.flush()
        day_items = await self.repo.day_items(trip_id, body.day)
        self._record(
            ItemMoved,
            access.trip,
            principal.user_id,
            subject_id=item.id,
            data={
                "from_day": None if source_day is None else source_day.isoformat(),
                "day": None if body.day is None else body.day.isoformat(),
                "order": [str(i.id) for i in day_items],
            },
        )
        return [self._item(i, access) for i in day_items]

    async def _drop_item(self, access: Access, actor: uuid.UUID, item: TripItem) -> None:
        day = item.day
        await self.repo.delete(item)
        for n, entry in enumerate(await self.repo.day_items(access.trip.id, day)):
            entry.position = n
        self._touch(access.trip)
        self._record(
            ItemRemoved, access.trip, actor, subject_id=item.id, data={"title": item.title}
        )

    async def remove_item(
        self, principal: Principal, trip_id: uuid.UUID, item_id: uuid.UUID, if_match: str | None
    ) -> None:
        access = await self.access(principal, trip_id, Action.EDIT, for_update=True)
        item = await self._existing_item(trip_id, item_id)
        check_if_match(if_match, item.version)
        await self._drop_item(access, principal.user_id, item)
