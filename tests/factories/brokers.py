"""The real message brokers the tests use (RabbitMQ, NATS JetStream): reaching them, and removing
a test's namespace (its exchanges, queues or stream) afterwards."""

from __future__ import annotations

import os
import uuid

import aio_pika
import nats

from navio.kernel.broker import create_broker
from navio.kernel.events import HandlerRegistry
from navio.kernel.outbox import backoff
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
    broker = create_broker(url, namespace=namespace, max_attempts=1, backoff=backoff)
    await broker.drop(registry.subscriptions())
