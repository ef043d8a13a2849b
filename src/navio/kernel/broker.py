"""Outbox events over a message broker (FastStream): RabbitMQ or NATS JetStream.

In scaled mode the relay publishes each committed outbox event once the broker has confirmed it
(RabbitMQ publisher confirms on a durable topic exchange; a JetStream acknowledgement, the event id
as `Nats-Msg-Id` so that a repeat within the stream's window is stored once), and `navio worker`
processes consume them: one durable queue (RabbitMQ quorum queue, JetStream durable pull
consumer) per subscription, i.e. per (event, handler) pair, shared by every worker, so each
event reaches each handler in one worker, and a handler that keeps failing holds up only its own
queue. Handlers apply through `Apply` (the relay's own: processed mark and handler in one
transaction), which makes a repeated delivery harmless; a failed one is delivered again after
`backoff(attempt)` and given up after `max_attempts` (RabbitMQ moves it to the
`<namespace>.dead` queue; JetStream stops delivering it and keeps it in the stream, which holds
a week of events). A subscription's queue takes the events published from its creation on, on
both brokers: a handler added in a release does not get the stream's past.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import orjson
import structlog
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitMessage,
    RabbitQueue,
)

from navio.kernel.events import Envelope, Subscription

log = structlog.get_logger("navio.broker")

# Applies one event for one subscriber; raises when the handler failed (it is retried).
Apply = Callable[[Envelope, Subscription], Awaitable[None]]
Backoff = Callable[[int], timedelta]

# a handler failing again and again: RabbitMQ holds its queue this long at most before the
# message goes back (JetStream waits without holding anything)
MAX_HOLD_SECONDS = 30.0
GIVE_UP = -1.0
PREFETCH = 8
CRASH_LIMIT = 100
STREAM_MAX_AGE_SECONDS = 7 * 86_400.0


def encode(envelope: Envelope) -> bytes:
    return orjson.dumps(
        {
            "id": str(envelope.id),
            "name": envelope.name,
            "version": envelope.version,
            "payload": envelope.payload,
            "occurred_at": envelope.occurred_at.isoformat(),
        }
    )


def decode(body: bytes) -> Envelope:
    data = orjson.loads(body)
    return Envelope(
        uuid.UUID(data["id"]),
        data["name"],
        int(data["version"]),
        dict(data["payload"]),
        datetime.fromisoformat(data["occurred_at"]),
    )


def queue_name(namespace: str, event_name: str, handler_name: str) -> str:
    """A subscription's queue (RabbitMQ) or durable consumer (JetStream: no dots allowed)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{namespace}__{event_name}__{handler_name}")


def stream_name(namespace: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", namespace.upper()) + "_EVENTS"


class EventBroker(Protocol):
    async def connect(self) -> None: ...

    async def publish(self, envelopes: Sequence[Envelope]) -> None: ...

    def consume(self, subscriptions: Sequence[tuple[str, Subscription]], apply: Apply) -> None: ...

    async def start(self) -> None: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...

    async def drop(self, subscriptions: Sequence[tuple[str, Subscription]]) -> None:
        """Remove what this namespace declared (its queues and exchanges, or its stream):
        for a deployment taken down, and for tests and benchmarks that share a broker."""
        ...


def create_broker(
    url: str, *, namespace: str = "navio", max_attempts: int, backoff: Backoff
) -> EventBroker:
    """`namespace` prefixes every exchange, queue, stream and subject: deployments (or test
    runs) sharing one broker stay apart."""
    if url.startswith(("amqp://", "amqps://")):
        return RabbitEventBroker(url, namespace, max_attempts=max_attempts, backoff=backoff)
    if url.startswith(("nats://", "tls://")):
        return NatsEventBroker(url, namespace, max_attempts=max_attempts, backoff=backoff)
    raise ValueError("NAVIO_BROKER_URL must start with amqp://, amqps://, nats:// or tls://")


class _Consumer:
    """What both brokers do with a delivery: apply it, then settle it."""

    def __init__(self, apply: Apply, max_attempts: int, backoff: Backoff) -> None:
        self._apply = apply
        self._max_attempts = max_attempts
        self._backoff = backoff

    async def handle(self, body: bytes, subscription: Subscription, attempt: int) -> float | None:
        """None when done (applied or applied before), GIVE_UP when it failed for the last
        time or cannot be read, else the seconds to wait before the next delivery."""
        try:
            envelope = decode(body)
        except (ValueError, KeyError, TypeError):
            log.error("broker.unreadable_message", handler=subscription.handler_name)
            return GIVE_UP
        try:
            await self._apply(envelope, subscription)
        except Exception:
            log.exception(
                "broker.handler_failed",
                event_name=envelope.name,
                event_id=str(envelope.id),
                handler=subscription.handler_name,
                attempt=attempt,
            )
            if attempt >= self._max_attempts:
                log.error(
                    "broker.handler_gave_up",
                    event_name=envelope.name,
                    event_id=str(envelope.id),
                    handler=subscription.handler_name,
                )
                return GIVE_UP
            return self._backoff(attempt).total_seconds()
        return None


class RabbitEventBroker:
    def __init__(self, url: str, namespace: str, *, max_attempts: int, backoff: Backoff) -> None:
        # a consumer holds at most PREFETCH unacknowledged deliveries of a queue: the rest stay
        # for the other workers (without a limit one worker would take a whole backlog)
        self._url = url
        self._broker = RabbitBroker(
            url, log_level=logging.DEBUG, default_channel=Channel(prefetch_count=PREFETCH)
        )
        self.namespace = namespace
        self._exchange = RabbitExchange(
            f"{namespace}.events", type=ExchangeType.TOPIC, durable=True
        )
        self.dead_queue = f"{namespace}.dead"
        self._max_attempts = max_attempts
        self._backoff = backoff

    async def connect(self) -> None:
        await self._broker.connect()
        await self._broker.declare_exchange(self._exchange)
        # given-up deliveries wait in `<namespace>.dead` for an operator (nothing consumes it)
        dead = RabbitExchange(self.dead_queue, type=ExchangeType.FANOUT, durable=True)
        await self._broker.declare_exchange(dead)
        queue = await self._broker.declare_queue(RabbitQueue(self.dead_queue, durable=True))
        await queue.bind(self.dead_queue)

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        # each call returns once the broker confirmed it (publisher confirms on the channel)
        await asyncio.gather(
            *(
                self._broker.publish(
                    encode(envelope),
                    exchange=self._exchange,
                    routing_key=envelope.name,
                    persist=True,
                    message_id=str(envelope.id),
                    content_type="application/json",
                    mandatory=False,
                )
                for envelope in envelopes
            )
        )

    def consume(self, subscriptions: Sequence[tuple[str, Subscription]], apply: Apply) -> None:
        consumer = _Consumer(apply, self._max_attempts, self._backoff)
        dead = f"{self.namespace}.dead"
        for event_name, subscription in subscriptions:
            queue = RabbitQueue(
                queue_name(self.namespace, event_name, subscription.handler_name),
                queue_type=QueueType.QUORUM,
                durable=True,
                routing_key=event_name,
                arguments={
                    # the consumer gives up after max_attempts itself; this limit catches a
                    # message that kills its worker every time (fixed: RabbitMQ refuses to
                    # declare a queue again with other arguments)
                    "x-delivery-limit": CRASH_LIMIT,
                    "x-dead-letter-exchange": dead,
                },
            )

            self._broker.subscriber(queue, self._exchange, ack_policy=AckPolicy.MANUAL)(
                self._on_message(consumer, subscription)
            )

    def _on_message(
        self, consumer: _Consumer, subscription: Subscription
    ) -> Callable[[RabbitMessage], Awaitable[None]]:
        # FastStream reads the callback's signature: the message only, the body taken raw
        async def on_message(message: RabbitMessage) -> None:
            # x-delivery-count: how many times this message went back (quorum queues)
            attempt = int(message.headers.get("x-delivery-count", 0) or 0) + 1
            wait = await consumer.handle(message.body, subscription, attempt)
            if wait is None:
                await message.ack()
            elif wait == GIVE_UP:
                await message.reject()  # to the dead-letter exchange
            else:
                await asyncio.sleep(min(wait, MAX_HOLD_SECONDS))
                await message.nack(requeue=True)

        return on_message

    async def start(self) -> None:
        await self._broker.start()

    async def ping(self) -> None:
        if not await self._broker.ping(timeout=2):
            raise ConnectionError("RabbitMQ does not answer")

    async def drop(self, subscriptions: Sequence[tuple[str, Subscription]]) -> None:
        import aio_pika  # FastStream's own driver

        connection = await aio_pika.connect(self._url)
        async with connection:
            channel = await connection.channel()
            for event_name, sub in subscriptions:
                await channel.queue_delete(queue_name(self.namespace, event_name, sub.handler_name))
            await channel.queue_delete(self.dead_queue)
            await channel.exchange_delete(self._exchange.name)
            await channel.exchange_delete(self.dead_queue)

    async def close(self) -> None:
        await self._broker.stop()


class NatsEventBroker:
    def __init__(self, url: str, namespace: str, *, max_attempts: int, backoff: Backoff) -> None:
        self._url = url
        self._broker = NatsBroker(url, log_level=logging.DEBUG)
        self.namespace = namespace
        self.stream = stream_name(namespace)
        self._prefix = f"{namespace}.events."
        self._stream = JStream(self.stream, declare=False)
        self._max_attempts = max_attempts
        self._backoff = backoff

    async def connect(self) -> None:
        from nats.js.api import StreamConfig
        from nats.js.errors import BadRequestError

        await self._broker.connect()
        # declared here, on every subject of the events (FastStream would declare it on the
        # subscribed subjects only, and an event nobody consumes yet could not be published)
        js = self._broker.config.connection_state.stream
        config = StreamConfig(
            name=self.stream,
            subjects=[f"{self._prefix}>"],
            duplicate_window=120.0,
            max_age=STREAM_MAX_AGE_SECONDS,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:  # it exists with another shape: bring it to this one
            await js.update_stream(config)

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        await asyncio.gather(
            *(
                self._broker.publish(
                    encode(envelope),
                    subject=self._prefix + envelope.name,
                    stream=self.stream,
                    headers={"Nats-Msg-Id": str(envelope.id)},
                )
                for envelope in envelopes
            )
        )

    def consume(self, subscriptions: Sequence[tuple[str, Subscription]], apply: Apply) -> None:
        from nats.js.api import AckPolicy as JsAckPolicy
        from nats.js.api import ConsumerConfig, DeliverPolicy

        consumer = _Consumer(apply, self._max_attempts, self._backoff)
        for event_name, subscription in subscriptions:
            durable = queue_name(self.namespace, event_name, subscription.handler_name)

            self._broker.subscriber(
                self._prefix + event_name,
                stream=self._stream,
                durable=durable,
                pull_sub=PullSub(batch_size=PREFETCH, timeout=1.0),
                config=ConsumerConfig(
                    durable_name=durable,
                    ack_policy=JsAckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.NEW,
                    max_deliver=self._max_attempts,
                    ack_wait=60.0,
                ),
                ack_policy=AckPolicy.MANUAL,
            )(self._on_message(consumer, subscription))

    @staticmethod
    def _on_message(
        consumer: _Consumer, subscription: Subscription
    ) -> Callable[[NatsMessage], Awaitable[None]]:
        async def on_message(message: NatsMessage) -> None:
            attempt = int(message.raw_message.metadata.num_delivered)
            wait = await consumer.handle(message.body, subscription, attempt)
            if wait is None:
                await message.ack()
            elif wait == GIVE_UP:
                await message.reject()  # no more deliveries; the stream keeps it
            else:
                await message.nack(delay=wait)

        return on_message

    async def start(self) -> None:
        await self._broker.start()

    async def ping(self) -> None:
        if not await self._broker.ping(timeout=2):
            raise ConnectionError("NATS does not answer")

    async def drop(self, subscriptions: Sequence[tuple[str, Subscription]]) -> None:
        import nats  # FastStream's own driver
        from nats.js.errors import NotFoundError

        client = await nats.connect(self._url)
        try:
            with contextlib.suppress(NotFoundError):  # never declared
                await client.jetstream().delete_stream(self.stream)  # its consumers with it
        finally:
            await client.close()

    async def close(self) -> None:
        await self._broker.stop()
