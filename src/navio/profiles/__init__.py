"""Profiles: personal details, travel preferences, saved places, payment-method tokens."""

from navio.profiles.directory import TravelPreferences, travel_preferences
from navio.profiles.domain import Dietary, Interest, Mobility, Pace, TravelStyle

__all__ = [
    "Dietary",
    "Interest",
    "Mobility",
    "Pace",
    "TravelPreferences",
    "TravelStyle",
    "travel_preferences",
]
