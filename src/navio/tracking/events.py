"""Journey events, through the outbox: each is pushed to the trip's live channel, so the people
on a trip follow a traveler's journey on the socket they already have."""

from __future__ import annotations

import uuid
from typing import Any

from navio.kernel.events import Event


class JourneyEvent(Event):
    trip_id: uuid.UUID
    journey_id: uuid.UUID
    traveler_id: uuid.UUID
    data: dict[str, Any] = {}


class JourneyStarted(JourneyEvent):
    name = "tracking.journey_started"


class PositionRecorded(JourneyEvent):
    """One per batch of fixes: the latest position, the distance and the estimate."""

    name = "tracking.position_recorded"


class GeofenceEntered(JourneyEvent):
    name = "tracking.geofence_entered"


class GeofenceExited(JourneyEvent):
    name = "tracking.geofence_exited"


class JourneyArrived(JourneyEvent):
    name = "tracking.journey_arrived"


class JourneyEnded(JourneyEvent):
    name = "tracking.journey_ended"


JOURNEY_EVENTS: tuple[type[JourneyEvent], ...] = (
    JourneyStarted,
    PositionRecorded,
    GeofenceEntered,
    GeofenceExited,
    JourneyArrived,
    JourneyEnded,
)
