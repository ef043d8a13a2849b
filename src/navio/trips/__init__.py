"""Trips: trips, items, collaborators and invites, sharing, comments, activity feed, exports.

Other contexts import only from here."""

from navio.trips.directory import ItemCard, TripCard, trip_card, trip_items
from navio.trips.errors import TripForbidden, TripNotFound
from navio.trips.events import CollaboratorAdded, InviteSent, TripDeleted
from navio.trips.handlers import live_channel

__all__ = [
    "CollaboratorAdded",
    "InviteSent",
    "ItemCard",
    "TripCard",
    "TripDeleted",
    "TripForbidden",
    "TripNotFound",
    "live_channel",
    "trip_card",
    "trip_items",
]
