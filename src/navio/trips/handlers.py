"""Trip events, delivered through the outbox: the activity feed is written, and every change is
pushed to the trip's live channel (in-process, or Redis pub/sub when configured)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.events import Envelope, HandlerRegistry
from navio.kernel.pubsub import Broadcast
from navio.trips.events import TRIP_EVENTS, TripDeleted
from navio.trips.models import TripActivity
from navio.trips.repository import TripsRepository

HANDLER = "trips.activity_and_live"
# never in a feed or a push: the invitation token goes to the invitee only
PRIVATE_KEYS = frozenset({"token", "link"})


def live_channel(trip_id: uuid.UUID | str) -> str:
    return f"trip:{trip_id}"


async def publish_live(
    broadcast: Broadcast,
    envelope: Envelope,
    trip_id: str,
    actor_id: str | None,
    subject_id: str | None,
    data: dict[str, Any],
) -> None:
    """An event pushed to everyone connected to the trip, in the one shape its socket speaks
    (other contexts push theirs, journeys for one, through this)."""
    message = {
        "type": "event",
        "id": str(envelope.id),
        "event": envelope.name,
        "trip_id": trip_id,
        "actor_id": actor_id,
        "subject_id": subject_id,
        "data": data,
        "occurred_at": envelope.occurred_at.isoformat(),
    }
    await broadcast.publish(live_channel(trip_id), json.dumps(message))


def register(registry: HandlerRegistry, broadcast: Broadcast) -> None:
    async def on_trip_event(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        trip_id = uuid.UUID(payload["trip_id"])
        actor = payload.get("actor_id")
        subject = payload.get("subject_id")
        data = {k: v for k, v in (payload.get("data") or {}).items() if k not in PRIVATE_KEYS}
        repo = TripsRepository(session)
        if envelope.name == TripDeleted.name:
            await repo.delete_activity(trip_id)
        else:
            await repo.add_activity(
                TripActivity(
                    trip_id=trip_id,
                    event_id=envelope.id,
                    event=envelope.name,
                    actor_id=uuid.UUID(actor) if actor else None,
                    subject_id=uuid.UUID(subject) if subject else None,
                    data=data,
                    created_at=envelope.occurred_at,
                )
            )
        await publish_live(broadcast, envelope, str(trip_id), actor, subject, data)

    for event in TRIP_EVENTS:
        registry.subscribe(event.name, HANDLER, on_trip_event)
