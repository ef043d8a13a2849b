"""What every trip use case shares: the caller's access, events, versions and read models."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from navio.iam import Principal, UserCard, user_cards
from navio.kernel.clock import Clock
from navio.kernel.db import SessionSource
from navio.kernel.events import EventRecorder
from navio.kernel.security import Signer, token_digest
from navio.places import place_cards
from navio.trips import domain
from navio.trips.domain import Action, Role, Status, Visibility
from navio.trips.errors import (
    InvalidTrip,
    TripForbidden,
    TripNotFound,
)
from navio.trips.events import (
    TripEvent,
)
from navio.trips.models import Trip, TripItem, TripMember
from navio.trips.repository import TripsRepository
from navio.trips.schemas import (
    Collaborator,
    Destination,
    ItemRead,
    TripRead,
)

INVITE_PURPOSE = "trip-invite"
INVITE_LAYOUT = struct.Struct(">16sQ")  # invite id, expiry (unix seconds)


@dataclass(frozen=True)
class Access:
    trip: Trip
    role: Role | None
    shared: bool  # reached through the link token or because the trip is public

    def can(self, action: Action) -> bool:
        return domain.allowed(self.role, action, shared_view=self.shared)


def collaborator(member: TripMember, card: UserCard | None) -> Collaborator:
    return Collaborator(
        user_id=member.user_id,
        display_name=card.display_name if card else "",
        email=card.email if card else None,
        role=Role(member.role),
        added_at=member.added_at,
    )


async def located(
    source: SessionSource, destinations: Sequence[Destination]
) -> list[dict[str, Any]]:
    """Destinations as stored: a catalogue place must exist, and fills country and position."""
    cards = await place_cards(source, [d.place_id for d in destinations if d.place_id])
    stored = []
    for d in destinations:
        if d.place_id is not None:
            card = cards.get(d.place_id)
            if card is None:
                raise InvalidTrip("no such place in the catalogue", field="destinations")
            d = d.model_copy(
                update={
                    "country_code": d.country_code or card.country_code,
                    "lat": d.lat if d.lat is not None else card.lat,
                    "lon": d.lon if d.lon is not None else card.lon,
                }
            )
        stored.append(d.model_dump(mode="json"))
    return stored


class ServiceBase:
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
            collaborators=[collaborator(m, cards.get(m.user_id)) for m in members],
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
