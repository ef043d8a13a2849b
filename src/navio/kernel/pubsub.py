"""Fan-out of live messages to connected clients (WebSockets): in-process, or through Redis
pub/sub so a message published by any process reaches subscribers in every process.

Delivery is best-effort and at-least-once upstream (the outbox may redeliver), so messages
carry ids and clients drop the ones they have seen. A subscriber too slow to keep up loses its
queue's oldest messages rather than slowing everyone else down; it is told so. A subscriber
may put None in its own queue to wake its reader for good (its client went away)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as aioredis
import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

log = structlog.get_logger(__name__)

QUEUE_SIZE = 1_000
OVERFLOW = '{"type":"overflow"}'


class Broadcast(Protocol):
    backend: str

    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(
        self, channel: str
    ) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[str | None]]: ...

    async def close(self) -> None: ...


class LocalBroadcast:
    backend = "memory"

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[str | None]]] = defaultdict(set)

    def _deliver(self, channel: str, message: str) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(OVERFLOW)
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(message)

    async def publish(self, channel: str, message: str) -> None:
        self._deliver(channel, message)

    async def _first_subscriber(self, channel: str) -> None:
        return None

    async def _last_unsubscribed(self, channel: str) -> None:
        return None

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[str | None]]:
        queue: asyncio.Queue[str | None] = asyncio.Queue(QUEUE_SIZE)
        first = not self._queues.get(channel)
        self._queues[channel].add(queue)
        try:
            if first:
                await self._first_subscriber(channel)
            yield queue
        finally:
            self._queues[channel].discard(queue)
            if not self._queues[channel]:
                del self._queues[channel]
                await self._last_unsubscribed(channel)

    async def close(self) -> None:
        self._queues.clear()


class RedisBroadcast(LocalBroadcast):
    """Publishes to Redis; listens only to the channels this process has subscribers for."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "navio:live:") -> None:
        super().__init__()
        self._redis = aioredis.Redis.from_url(url)
        self._prefix = prefix
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, channel: str, message: str) -> None:
        await self._redis.publish(self._prefix + channel, message)

    async def _first_subscriber(self, channel: str) -> None:
        async with self._lock:
            await self._pubsub.subscribe(self._prefix + channel)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="redis-broadcast")

    async def _last_unsubscribed(self, channel: str) -> None:
        async with self._lock:
            await self._pubsub.unsubscribe(self._prefix + channel)

    async def _read(self) -> None:
        while True:
            try:
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await self._pubsub.get_message(timeout=1.0)
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"].decode().removeprefix(self._prefix)
                data = message["data"]
                self._deliver(channel, data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception:  # the connection dropped: redis-py reconnects on the next call
                log.warning("redis_broadcast_read_failed", exc_info=True)
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]
        await self._redis.aclose()
        await super().close()


def create_broadcast(redis_url: str | None) -> LocalBroadcast:
    return RedisBroadcast(redis_url) if redis_url else LocalBroadcast()


async def until_client_leaves(websocket: WebSocket, queue: asyncio.Queue[str | None]) -> None:
    """Reads (and ignores) what a live socket's client sends, to notice it going away, and then
    wakes the socket's sender with None."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(None)
