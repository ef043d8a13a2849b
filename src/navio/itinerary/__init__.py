"""Itinerary planner: day-by-day schedules respecting opening hours, travel times and budget.

Other contexts import only from here: the travel model per mode (detour factor, typical speed)."""

from navio.itinerary.travel import MODES, Mode, ModeModel

__all__ = ["MODES", "Mode", "ModeModel"]
