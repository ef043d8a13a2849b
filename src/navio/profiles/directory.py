"""What other contexts may read of a traveler's preferences (the planner)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from navio.kernel.db import SessionSource
from navio.profiles.repository import ProfilesRepository


@dataclass(frozen=True, slots=True)
class TravelPreferences:
    pace: str = "moderate"
    interests: tuple[str, ...] = ()
    dietary: tuple[str, ...] = ()
    mobility: tuple[str, ...] = ()


async def travel_preferences(source: SessionSource, user_id: uuid.UUID) -> TravelPreferences:
    """The traveler's pace, interests, dietary needs and mobility (defaults when unset)."""
    row = await ProfilesRepository(source).preferences(user_id)
    if row is None:
        return TravelPreferences()
    data = row.data or {}
    return TravelPreferences(
        pace=row.pace,
        interests=tuple(data.get("interests", [])),
        dietary=tuple(data.get("dietary", [])),
        mobility=tuple(data.get("mobility", [])),
    )
