"""Tracking: live journeys. A traveler shares their way to a destination with the people on a
trip: positions, distance, pace, ETA, geofences, status polling with ETags and live push."""

from navio.tracking.events import JourneyArrived

__all__ = ["JourneyArrived"]
