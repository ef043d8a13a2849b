"""Trip events. Every one carries the trip, who acted and what it is about, so one handler
builds the activity feed and pushes live updates from any of them."""

from __future__ import annotations

import uuid
from typing import Any

from navio.kernel.events import Event


class TripEvent(Event):
    trip_id: uuid.UUID
    actor_id: uuid.UUID | None
    subject_id: uuid.UUID | None = None
    data: dict[str, Any] = {}


class TripCreated(TripEvent):
    name = "trips.trip_created"


class TripUpdated(TripEvent):
    name = "trips.trip_updated"


class TripDeleted(TripEvent):
    name = "trips.trip_deleted"


class TripSharingChanged(TripEvent):
    name = "trips.sharing_changed"


class ItemAdded(TripEvent):
    name = "trips.item_added"


class ItemUpdated(TripEvent):
    name = "trips.item_updated"


class ItemMoved(TripEvent):
    name = "trips.item_moved"


class ItemRemoved(TripEvent):
    name = "trips.item_removed"


class CollaboratorAdded(TripEvent):
    name = "trips.collaborator_added"


class CollaboratorRoleChanged(TripEvent):
    name = "trips.collaborator_role_changed"


class CollaboratorRemoved(TripEvent):
    name = "trips.collaborator_removed"


class OwnershipTransferred(TripEvent):
    name = "trips.ownership_transferred"


class InviteSent(TripEvent):
    """Carries the link to send (the notifications context mails it)."""

    name = "trips.invite_sent"


class CommentPosted(TripEvent):
    name = "trips.comment_posted"


class CommentEdited(TripEvent):
    name = "trips.comment_edited"


class CommentDeleted(TripEvent):
    name = "trips.comment_deleted"


class SuggestionMade(TripEvent):
    name = "trips.suggestion_made"


class SuggestionDecided(TripEvent):
    name = "trips.suggestion_decided"


TRIP_EVENTS: tuple[type[TripEvent], ...] = (
    TripCreated,
    TripUpdated,
    TripDeleted,
    TripSharingChanged,
    ItemAdded,
    ItemUpdated,
    ItemMoved,
    ItemRemoved,
    CollaboratorAdded,
    CollaboratorRoleChanged,
    CollaboratorRemoved,
    OwnershipTransferred,
    InviteSent,
    CommentPosted,
    CommentEdited,
    CommentDeleted,
    SuggestionMade,
    SuggestionDecided,
)
