"""A change of a station's queue or packs, delivered through the outbox, is pushed to the
station's live channel: every socket on it (any API process, through Redis) reads the
station, or its holder's ticket, again (api.py)."""

from __future__ import annotations

import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.events import Envelope, HandlerRegistry
from navio.kernel.pubsub import Broadcast
from navio.stations.events import QueueChanged

LIVE = "stations.live"


def live_channel(station_id: uuid.UUID | str) -> str:
    return f"station:{station_id}"


def register(registry: HandlerRegistry, broadcast: Broadcast) -> None:
    async def on_queue_changed(session: AsyncSession, envelope: Envelope) -> None:
        message = {"type": "changed", "id": str(envelope.id), "reason": envelope.payload["reason"]}
        await broadcast.publish(live_channel(envelope.payload["station_id"]), json.dumps(message))

    registry.subscribe(QueueChanged.name, LIVE, on_queue_changed)
