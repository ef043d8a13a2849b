"""Trips: trips, items, collaborators and invites, sharing, comments, activity feed, exports.

Other contexts import only from here."""

from navio.trips.directory import TripCard, trip_card
from navio.trips.errors import TripForbidden, TripNotFound

__all__ = ["TripCard", "TripForbidden", "TripNotFound", "trip_card"]
