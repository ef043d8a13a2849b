"""Trip use cases. Every call resolves the caller's role on the trip first; nothing is read or
changed without it. Never commits."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from navio.iam import Principal, user_by_email, user_cards
from navio.kernel.clock import Clock
from navio.kernel.events import EventRecorder
from navio.kernel.pagination import Cursor, Page, page_of
from navio.kernel.security import Signer, TokenError, new_opaque_token, token_digest
from navio.trips import domain
from navio.trips.domain import Action, Role, Status, Visibility
from navio.trips.errors import (
    AlreadyCollaborator,
    CollaboratorNotFound,
    CommentNotFound,
    IfMatchMalformed,
    InvalidInvite,
    InvalidStatusChange,
    InvalidTrip,
    InvalidTripItem,
    InviteExpired,
    InviteUsed,
    OwnerCannotLeave,
    StaleVersion,
    SuggestionDecided,
    SuggestionNotFound,
    TripForbidden,
    TripItemNotFound,
    TripNotFound,
)
from navio.trips.events import (
    CollaboratorAdded,
    CollaboratorRemoved,
    CollaboratorRoleChanged,
    CommentDeleted,
    CommentEdited,
    CommentPosted,
    InviteSent,
    ItemAdded,
    ItemMoved,
    ItemRemoved,
    ItemUpdated,
    OwnershipTransferred,
    SuggestionMade,
    TripCreated,
    TripDeleted,
    TripEvent,
    TripSharingChanged,
    TripUpdated,
)
from navio.trips.events import SuggestionDecided as SuggestionDecidedEvent
from navio.trips.export import ExportItem, ExportTrip
from navio.trips.models import Trip, TripComment, TripInvite, TripItem, TripMember, TripSuggestion
from navio.trips.repository import TripsRepository
from navio.trips.schemas import (
    ActivityRead,
    Collaborator,
    CollaboratorAdd,
    CollaboratorResult,
    CommentCreate,
    CommentRead,
    CommentUpdate,
    Destination,
    ItemCreate,
    ItemMove,
    ItemRead,
    ItemUpdate,
    SharingRead,
    SharingUpdate,
    SuggestionCreate,
    SuggestionRead,
    TripCreate,
    TripRead,
    TripSummary,
    TripUpdate,
)

INVITE_PURPOSE = "trip-invite"
_INVITE_LAYOUT = struct.Struct(">16sQ")  # invite id, expiry (unix seconds)


@dataclass(frozen=True)
class Access:
    trip: Trip
    role: Role | None
    shared: bool  # reached through the link token or because the trip is public

    def can(self, action: Action) -> bool:
        return domain.allowed(self.role, action, shared_view=self.shared)


def etag(version: int) -> str:
    return f'"{version}"'


def _check_if_match(if_match: str | None, version: int) -> None:
    """No If-Match: last write wins. A stale one: 412, so the client re-reads and merges."""
    if if_match is None:
        return
    tags = [t.strip() for t in if_match.split(",") if t.strip()]
    if "*" in tags:
        return
    versions = []
    for tag in tags:
        raw = tag.removeprefix("W/").strip('"')
        if not raw.isdigit():
            raise IfMatchMalformed(field="If-Match")
        versions.append(int(raw))
    if version not in versions:
        raise StaleVersion(f"the current version is {version}", current_etag=etag(version))


class TripsService:
    def __init__(
        self, repo: TripsRepository, events: EventRecorder, clock: Clock, secret: str
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        self.signer = Signer(secret, INVITE_PURPOSE)

    # ---------------------------------------------------------------- access
    async def access(
        self,
        principal: Principal | None,
        trip_id: uuid.UUID,
        action: Action,
        *,
        link_token: str | None = None,
        for_update: bool = False,
    ) -> Access:
        """The trip and the caller's role, or 404 to anyone who may not even see it (a
        stranger learns nothing, not even that the id exists), 403 to those who may see
        it but not do this."""
        trip = await self.repo.trip(trip_id, for_update=for_update)
        if trip is None:
            raise TripNotFound()
        role = None
        if principal is not None:
            found = await self.repo.role_of(trip_id, principal.user_id)
            role = Role(found) if found else None
        shared = trip.visibility == Visibility.PUBLIC or (
            trip.visibility == Visibility.LINK
            and link_token is not None
            and trip.share_token_hash is not None
            and token_digest(link_token) == trip.share_token_hash
        )
        access = Access(trip, role, shared)
        if not access.can(Action.VIEW):
            raise TripNotFound()
        if not access.can(action):
            raise TripForbidden(f"role {role or 'none'} may not {action.value} this trip")
        return access

    def _record(
        self, event: type[TripEvent], trip: Trip, actor: uuid.UUID | None, **kw: Any
    ) -> None:
        self.events.record(event(trip_id=trip.id, actor_id=actor, **kw))

    def _touch(self, trip: Trip) -> None:
        trip.version += 1
        trip.updated_at = self.clock.now()

    # ---------------------------------------------------------------- reading
    async def _read(self, access: Access) -> TripRead:
        trip = access.trip
        members = await self.repo.members(trip.id) if access.role is not None else []
        cards = await user_cards(self.repo.session, [m.user_id for m in members])
        return TripRead(
            id=trip.id,
            title=trip.title,
            destinations=[Destination(**d) for d in trip.destinations],
            start_date=trip.start_date,
            end_date=trip.end_date,
            timezone=trip.timezone,
            travelers=trip.travelers,
            currency=trip.currency,
            status=Status(trip.status),
            cover_url=trip.cover_url,
            notes=trip.notes,
            visibility=Visibility(trip.visibility),
            hide_costs=trip.hide_costs,
            owner_id=trip.owner_id,
            my_role=access.role,
            version=trip.version,
            created_at=trip.created_at,
            updated_at=trip.updated_at,
            collaborators=[
                Collaborator(
                    user_id=m.user_id,
                    display_name=cards[m.user_id].display_name if m.user_id in cards else "",
                    email=cards[m.user_id].email if m.user_id in cards else None,
                    role=Role(m.role),
                    added_at=m.added_at,
                )
                for m in members
            ],
        )

    def _item(self, item: TripItem, access: Access) -> ItemRead:
        hide = access.role is None and access.trip.hide_costs
        public = access.role is None
        return ItemRead(
            id=item.id,
            trip_id=item.trip_id,
            kind=domain.ItemKind(item.kind),
            title=item.title,
            place_id=item.place_id,
            location=item.location,
            lat=item.lat,
            lon=item.lon,
            day=item.day,
            start_time=item.start_time,
            end_time=item.end_time,
            timezone=item.timezone,
            position=item.position,
            cost_minor=None if hide else item.cost_minor,
            cost_currency=None if hide else item.cost_currency,
            # a shared view shows the plan, not who is in it
            participants=[] if public else [uuid.UUID(p) for p in item.participants],
            details=item.details,
            notes=item.notes,
            booking_reference=None if public else item.booking_reference,
            created_by=None if public else item.created_by,
            version=item.version,
            updated_at=item.updated_at,
        )

    # ---------------------------------------------------------------- trips
    async def create(self, principal: Principal, body: TripCreate) -> TripRead:
        problem = domain.trip_dates_problem(body.start_date, body.end_date)
        if problem:
            raise InvalidTrip(problem, field="end_date")
        now = self.clock.now()
        trip = Trip(
            owner_id=principal.user_id,
            title=body.title,
            destinations=[d.model_dump(mode="json") for d in body.destinations],
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
        _check_if_match(if_match, trip.version)
        changes = body.model_dump(exclude_unset=True)
        if "status" in changes and changes["status"] != trip.status:
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
        if changes.get("destinations") is not None:
            trip.destinations = [
                Destination(**d).model_dump(mode="json") for d in changes["destinations"]
            ]
        if changes.get("status") is not None:
            trip.status = Status(changes["status"]).value
        trip.start_date, trip.end_date = start, end
        self._touch(trip)
        await self.repo.session.flush()
        self._record(TripUpdated, trip, principal.user_id, data={"fields": sorted(changes)})
        return await self._read(access)

    async def delete(self, principal: Principal, trip_id: uuid.UUID, if_match: str | None) -> None:
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        _check_if_match(if_match, access.trip.version)
        self._record(TripDeleted, access.trip, principal.user_id, data={"title": access.trip.title})
        await self.repo.delete_trip_rows(trip_id)

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
        _check_if_match(if_match, item.version)
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
        _check_if_match(if_match, item.version)
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
        _check_if_match(if_match, item.version)
        await self._drop_item(access, principal.user_id, item)

    # ---------------------------------------------------------------- collaborators
    async def add_collaborator(
        self, principal: Principal, trip_id: uuid.UUID, body: CollaboratorAdd, base_url: str
    ) -> CollaboratorResult:
        if (body.user_id is None) == (body.email is None):
            raise InvalidTrip("give user_id or email, not both", field="user_id")
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        trip = access.trip
        now = self.clock.now()
        user_id = body.user_id
        if user_id is not None:
            cards = await user_cards(self.repo.session, [user_id])
            if user_id not in cards:
                raise CollaboratorNotFound("no such user", field="user_id")
            if await self.repo.member(trip_id, user_id) is not None:
                raise AlreadyCollaborator()
            member = TripMember(
                trip_id=trip_id,
                user_id=user_id,
                role=body.role,
                added_at=now,
                added_by=principal.user_id,
            )
            await self.repo.add(member)
            self._touch(trip)
            self._record(
                CollaboratorAdded,
                trip,
                principal.user_id,
                subject_id=user_id,
                data={"role": body.role},
            )
            return CollaboratorResult(
                status="added",
                collaborator=Collaborator(
                    user_id=user_id,
                    display_name=cards[user_id].display_name,
                    email=cards[user_id].email,
                    role=Role(body.role),
                    added_at=now,
                ),
            )
        assert body.email is not None
        email = body.email.strip().lower()
        existing = await user_by_email(self.repo.session, email)
        if existing is not None and await self.repo.member(trip_id, existing.id) is not None:
            raise AlreadyCollaborator()
        invite = TripInvite(
            trip_id=trip_id,
            email=email,
            role=body.role,
            invited_by=principal.user_id,
            expires_at=now + domain.INVITE_TTL,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(invite)
        token = self.signer.sign(
            _INVITE_LAYOUT.pack(invite.id.bytes, int(invite.expires_at.timestamp()))
        )
        self._record(
            InviteSent,
            trip,
            principal.user_id,
            subject_id=invite.id,
            data={
                "email": email,
                "role": body.role,
                "trip_title": trip.title,
                "link": f"{base_url.rstrip('/')}/trips/invites/accept?token={token}",
                "token": token,
                "expires_at": invite.expires_at.isoformat(),
            },
        )
        return CollaboratorResult(
            status="invited", invite_id=invite.id, invite_token=token, expires_at=invite.expires_at
        )

    async def accept_invite(self, principal: Principal, token: str) -> TripRead:
        try:
            raw_id, expires = _INVITE_LAYOUT.unpack(self.signer.unsign(token))
        except (TokenError, struct.error) as exc:
            raise InvalidInvite("the invitation token is not valid", field="token") from exc
        now = self.clock.now()
        if expires < now.timestamp():
            raise InviteExpired()
        invite = await self.repo.invite(uuid.UUID(bytes=raw_id))
        if invite is None:
            raise InvalidInvite("the invitation no longer exists", field="token")
        if invite.accepted_at is not None or invite.revoked_at is not None:
            raise InviteUsed()
        if invite.expires_at < now:
            raise InviteExpired()
        trip = await self.repo.trip(invite.trip_id, for_update=True)
        if trip is None:
            raise InvalidInvite("the trip no longer exists", field="token")
        invite.accepted_at = now
        invite.accepted_by = principal.user_id
        member = await self.repo.member(trip.id, principal.user_id)
        if member is None:
            # whoever holds the link is the invitee: the token went to that address
            await self.repo.add(
                TripMember(
                    trip_id=trip.id,
                    user_id=principal.user_id,
                    role=invite.role,
                    added_at=now,
                    added_by=invite.invited_by,
                )
            )
            self._touch(trip)
            self._record(
                CollaboratorAdded,
                trip,
                principal.user_id,
                subject_id=principal.user_id,
                data={"role": invite.role, "invite_id": str(invite.id)},
            )
        await self.repo.session.flush()
        role = Role((await self.repo.role_of(trip.id, principal.user_id)) or invite.role)
        return await self._read(Access(trip, role, False))

    async def change_role(
        self, principal: Principal, trip_id: uuid.UUID, user_id: uuid.UUID, role: str
    ) -> Collaborator:
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        member = await self.repo.member(trip_id, user_id)
        if member is None:
            raise CollaboratorNotFound()
        if member.role == Role.OWNER:
            raise TripForbidden("the owner's role changes only by transferring ownership")
        previous = member.role
        member.role = role
        self._touch(access.trip)
        await self.repo.session.flush()
        self._record(
            CollaboratorRoleChanged,
            access.trip,
            principal.user_id,
            subject_id=user_id,
            data={"role": role, "previous": previous},
        )
        cards = await user_cards(self.repo.session, [user_id])
        card = cards.get(user_id)
        return Collaborator(
            user_id=user_id,
            display_name=card.display_name if card else "",
            email=card.email if card else None,
            role=Role(role),
            added_at=member.added_at,
        )

    async def remove_collaborator(
        self, principal: Principal, trip_id: uuid.UUID, user_id: uuid.UUID
    ) -> None:
        leaving = user_id == principal.user_id
        access = await self.access(
            principal, trip_id, Action.VIEW if leaving else Action.MANAGE, for_update=True
        )
        if leaving and access.role is None:
            raise TripForbidden("you have no role on this trip")
        member = await self.repo.member(trip_id, user_id)
        if member is None:
            raise CollaboratorNotFound()
        if member.role == Role.OWNER:
            raise OwnerCannotLeave()
        await self.repo.delete(member)
        self._touch(access.trip)
        self._record(
            CollaboratorRemoved,
            access.trip,
            principal.user_id,
            subject_id=user_id,
            data={"left": leaving, "role": member.role},
        )

    async def transfer_ownership(
        self, principal: Principal, trip_id: uuid.UUID, user_id: uuid.UUID
    ) -> TripRead:
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        if user_id == principal.user_id:
            raise InvalidTrip("you already own this trip", field="user_id")
        member = await self.repo.member(trip_id, user_id)
        if member is None:
            raise CollaboratorNotFound("the new owner must already be a collaborator")
        me = await self.repo.member(trip_id, principal.user_id)
        assert me is not None
        me.role = Role.EDITOR.value
        member.role = Role.OWNER.value
        access.trip.owner_id = user_id
        self._touch(access.trip)
        await self.repo.session.flush()
        self._record(
            OwnershipTransferred,
            access.trip,
            principal.user_id,
            subject_id=user_id,
            data={"previous_owner": str(principal.user_id)},
        )
        return await self._read(Access(access.trip, Role.EDITOR, False))

    # ---------------------------------------------------------------- sharing
    async def set_sharing(
        self, principal: Principal, trip_id: uuid.UUID, body: SharingUpdate
    ) -> SharingRead:
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        trip = access.trip
        token = None
        trip.visibility = body.visibility.value
        if body.hide_costs is not None:
            trip.hide_costs = body.hide_costs
        if body.visibility == Visibility.PRIVATE:
            trip.share_token_hash = None  # revoke the link
        elif body.visibility == Visibility.LINK and (
            body.rotate_link or trip.share_token_hash is None
        ):
            token = new_opaque_token()
            trip.share_token_hash = token_digest(token)
        self._touch(trip)
        await self.repo.session.flush()
        self._record(
            TripSharingChanged,
            trip,
            principal.user_id,
            data={"visibility": trip.visibility, "hide_costs": trip.hide_costs},
        )
        return SharingRead(
            visibility=Visibility(trip.visibility), hide_costs=trip.hide_costs, link_token=token
        )

    # ---------------------------------------------------------------- comments
    async def _comment_reads(self, comments: Sequence[TripComment]) -> list[CommentRead]:
        cards = await user_cards(self.repo.session, [c.author_id for c in comments])
        return [
            CommentRead(
                id=c.id,
                trip_id=c.trip_id,
                item_id=c.item_id,
                author_id=c.author_id,
                author_name=cards[c.author_id].display_name if c.author_id in cards else "",
                body=c.body,
                created_at=c.created_at,
                edited_at=c.edited_at,
            )
            for c in comments
        ]

    async def post_comment(
        self, principal: Principal, trip_id: uuid.UUID, body: CommentCreate
    ) -> CommentRead:
        access = await self.access(principal, trip_id, Action.COMMENT)
        if body.item_id is not None:
            await self._existing_item(trip_id, body.item_id)
        now = self.clock.now()
        comment = TripComment(
            trip_id=trip_id,
            item_id=body.item_id,
            author_id=principal.user_id,
            body=body.body,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(comment)
        self._record(
            CommentPosted,
            access.trip,
            principal.user_id,
            subject_id=comment.id,
            data={
                "item_id": None if body.item_id is None else str(body.item_id),
                "body": body.body,
            },
        )
        return (await self._comment_reads([comment]))[0]

    async def comments(
        self,
        principal: Principal,
        trip_id: uuid.UUID,
        item_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> Page[CommentRead]:
        await self.access(principal, trip_id, Action.VIEW_PRIVATE)
        after = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.comments(trip_id, item_id, limit, after)
        page, next_cursor = page_of(rows, limit, lambda c: Cursor(c.created_at, c.id))
        return Page(items=await self._comment_reads(page), next_cursor=next_cursor)

    async def _own_comment(
        self, principal: Principal, trip_id: uuid.UUID, comment_id: uuid.UUID, moderate: bool
    ) -> tuple[Access, TripComment]:
        access = await self.access(principal, trip_id, Action.VIEW_PRIVATE)
        comment = await self.repo.comment(trip_id, comment_id)
        if comment is None:
            raise CommentNotFound()
        mine = comment.author_id == principal.user_id
        if not mine and not (moderate and access.role == Role.OWNER):
            raise TripForbidden("only the author may change a comment")
        if mine and not access.can(Action.COMMENT) and not moderate:
            raise TripForbidden("your role may not comment")
        return access, comment

    async def edit_comment(
        self, principal: Principal, trip_id: uuid.UUID, comment_id: uuid.UUID, body: CommentUpdate
    ) -> CommentRead:
        access, comment = await self._own_comment(principal, trip_id, comment_id, moderate=False)
        comment.body = body.body
        comment.edited_at = self.clock.now()
        await self.repo.session.flush()
        self._record(
            CommentEdited,
            access.trip,
            principal.user_id,
            subject_id=comment.id,
            data={"body": body.body},
        )
        return (await self._comment_reads([comment]))[0]

    async def delete_comment(
        self, principal: Principal, trip_id: uuid.UUID, comment_id: uuid.UUID
    ) -> None:
        access, comment = await self._own_comment(principal, trip_id, comment_id, moderate=True)
        await self.repo.delete(comment)
        self._record(CommentDeleted, access.trip, principal.user_id, subject_id=comment_id)

    # ---------------------------------------------------------------- suggestions
    def _suggestion(self, s: TripSuggestion) -> SuggestionRead:
        return SuggestionRead.model_validate(s, from_attributes=True)

    async def suggest(
        self, principal: Principal, trip_id: uuid.UUID, body: SuggestionCreate
    ) -> SuggestionRead:
        access = await self.access(principal, trip_id, Action.SUGGEST)
        try:
            if body.action == "add_item":
                payload = ItemCreate.model_validate(body.item).model_dump(mode="json")
            elif body.action == "update_item":
                payload = ItemUpdate.model_validate(body.item).model_dump(
                    mode="json", exclude_unset=True
                )
            else:
                payload = {}
        except ValidationError as exc:
            raise InvalidTripItem(
                "the suggested item is not valid",
                field="item",
                errors=exc.errors(include_url=False, include_context=False),
            ) from exc
        if body.action != "add_item":
            if body.item_id is None:
                raise InvalidTripItem("name the item to change", field="item_id")
            await self._existing_item(trip_id, body.item_id)
        now = self.clock.now()
        suggestion = TripSuggestion(
            trip_id=trip_id,
            author_id=principal.user_id,
            action=body.action,
            item_id=body.item_id,
            payload=payload,
            status="pending",
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(suggestion)
        self._record(
            SuggestionMade,
            access.trip,
            principal.user_id,
            subject_id=suggestion.id,
            data={
                "action": body.action,
                "item_id": None if body.item_id is None else str(body.item_id),
            },
        )
        return self._suggestion(suggestion)

    async def suggestions(
        self, principal: Principal, trip_id: uuid.UUID, status: str | None
    ) -> list[SuggestionRead]:
        await self.access(principal, trip_id, Action.VIEW_PRIVATE)
        return [self._suggestion(s) for s in await self.repo.suggestions(trip_id, status)]

    async def decide(
        self, principal: Principal, trip_id: uuid.UUID, suggestion_id: uuid.UUID, accept: bool
    ) -> SuggestionRead:
        access = await self.access(principal, trip_id, Action.EDIT, for_update=True)
        suggestion = await self.repo.suggestion(trip_id, suggestion_id)
        if suggestion is None:
            raise SuggestionNotFound()
        if suggestion.status != "pending":
            raise SuggestionDecided()
        if accept:
            # applied as the decider's edit, checked against the trip as it is now
            if suggestion.action == "add_item":
                await self._new_item(
                    access, principal.user_id, ItemCreate.model_validate(suggestion.payload)
                )
            else:
                assert suggestion.item_id is not None
                item = await self._existing_item(trip_id, suggestion.item_id)
                if suggestion.action == "update_item":
                    await self._change_item(
                        access,
                        principal.user_id,
                        item,
                        ItemUpdate.model_validate(suggestion.payload),
                    )
                else:
                    await self._drop_item(access, principal.user_id, item)
        suggestion.status = "accepted" if accept else "rejected"
        suggestion.decided_by = principal.user_id
        suggestion.decided_at = self.clock.now()
        await self.repo.session.flush()
        self._record(
            SuggestionDecidedEvent,
            access.trip,
            principal.user_id,
            subject_id=suggestion.id,
            data={"status": suggestion.status, "author_id": str(suggestion.author_id)},
        )
        return self._suggestion(suggestion)

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

    @staticmethod
    def version_of(read: TripRead | ItemRead) -> str:
        return etag(read.version)
