"""Journey events, delivered through the outbox, are pushed to the trip's live channel (the
socket the people on the trip already hold); a deleted trip takes its journeys with it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.events import Envelope, HandlerRegistry
from navio.kernel.pubsub import Broadcast
from navio.tracking.events import JOURNEY_EVENTS
from navio.tracking.repository import TrackingRepository
from navio.trips import TripDeleted, publish_live

LIVE = "tracking.live"
FORGET = "tracking.forget_deleted_trip"


def register(registry: HandlerRegistry, broadcast: Broadcast) -> None:
    async def on_journey_event(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        await publish_live(
            broadcast,
            envelope,
            payload["trip_id"],
            payload["traveler_id"],
            payload["journey_id"],
            payload.get("data") or {},
        )

    async def on_trip_deleted(session: AsyncSession, envelope: Envelope) -> None:
        await TrackingRepository(session).delete_trip(uuid.UUID(envelope.payload["trip_id"]))

    for event in JOURNEY_EVENTS:
        registry.subscribe(event.name, LIVE, on_journey_event)
    registry.subscribe(TripDeleted.name, FORGET, on_trip_deleted)
