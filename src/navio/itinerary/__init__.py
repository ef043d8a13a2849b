"""Itinerary planner: day-by-day schedules respecting opening hours, travel times and budget."""
