"""Trips: trips, items, collaborators and invites, sharing, comments, activity feed, exports.

Other contexts import only from here."""

from navio.kernel.clock import Clock
from navio.kernel.db import SessionSource
from navio.kernel.events import EventRecorder
from navio.trips.directory import ItemCard, TripCard, trip_card, trip_items
from navio.trips.errors import TripForbidden, TripNotFound
from navio.trips.events import CollaboratorAdded, InviteSent, TripCreated, TripDeleted
from navio.trips.handlers import publish_live
from navio.trips.repository import TripsRepository
from navio.trips.schemas import Destination, ItemCreate, TripCreate, TripRead
from navio.trips.service import TripsService


def trips_service(
    source: SessionSource, events: EventRecorder, clock: Clock, secret: str
) -> TripsService:
    """The trips use cases for another context's request (its unit of work, its principal)."""
    return TripsService(TripsRepository(source), events, clock, secret)


__all__ = [
    "CollaboratorAdded",
    "Destination",
    "InviteSent",
    "ItemCard",
    "ItemCreate",
    "TripCard",
    "TripCreate",
    "TripCreated",
    "TripDeleted",
    "TripForbidden",
    "TripNotFound",
    "TripRead",
    "TripsService",
    "publish_live",
    "trip_card",
    "trip_items",
    "trips_service",
]
