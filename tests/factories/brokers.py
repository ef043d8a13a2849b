"""The real message brokers the tests use (RabbitMQ, NATS JetStream): reaching them, and removing
a test's namespace (its exchanges, queues or stream) afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid

import aio_pika
import nats
from nats.js.errors import NotFoundError

from navio.kernel.broker import queue_name, stream_name
from navio.kernel.events import HandlerRegistry
from tests.conftest import service_missing

RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")
BROKER_URLS = {"rabbitmq": RABBITMQ_URL, "nats": NATS_URL}


def new_namespace() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


async def reachable(url: str) -> None:
    try:
        if url.startswith("amqp"):
            connection = await aio_pika.connect(url, timeout=5)
            await connection.close()
        else:
            client = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
            await client.close()
    except Exception as exc:
        service_missing(url.split(":", 1)[0], exc)


async def remove_namespace(url: str, namespace: str, registry: HandlerRegistry) -> None:
    if url.startswith("amqp"):
        connection = await aio_pika.connect(url)
        async with connection:
            channel = await connection.channel()
            for event_name, sub in registry.subscriptions():
                await channel.queue_delete(queue_name(namespace, event_name, sub.handler_name))
            await channel.queue_delete(f"{namespace}.dead")
            await channel.exchange_delete(f"{namespace}.events")
            await channel.exchange_delete(f"{namespace}.dead")
    else:
        client = await nats.connect(url)
        try:
            with contextlib.suppress(NotFoundError):  # never declared
                await client.jetstream().delete_stream(stream_name(namespace))
        finally:
            await client.close()
