"""Trips: trips, items, collaborators and invites, sharing, comments, activity feed, exports.

Other contexts import only from here."""

from navio.trips.directory import ItemCard, TripCard, trip_card, trip_items
from navio.trips.errors import TripForbidden, TripNotFound
from navio.trips.events import CollaboratorAdded, InviteSent, TripDeleted
from navio.trips.handlers import publish_live

__all__ = [
    "CollaboratorAdded",
    "InviteSent",
    "ItemCard",
    "TripCard",
    "TripDeleted",
    "TripForbidden",
    "TripNotFound",
    "publish_live",
    "trip_card",
    "trip_items",
]
