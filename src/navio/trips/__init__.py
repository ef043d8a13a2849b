"""Trips: trips, items, collaborators and invites, sharing, comments, activity feed, exports.

Other contexts import only from here."""

from navio.trips.directory import ItemCard, TripCard, trip_card, trip_items
from navio.trips.errors import TripForbidden, TripNotFound

__all__ = ["ItemCard", "TripCard", "TripForbidden", "TripNotFound", "trip_card", "trip_items"]
