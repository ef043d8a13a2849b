"""Outbox events through a real broker (RabbitMQ, NATS JetStream): the relay publishes what was
committed, consumers in two "workers" apply each event once per handler, a failing handler is
retried alone and given up after its attempts, a repeated publication changes nothing.

Each test declares its own namespace on the shared servers and removes it afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aio_pika
import pytest
from fastapi import FastAPI
from faststream.exceptions import IncorrectState
from sqlalchemy import func, select, update

from navio.kernel.broker import EventBroker, create_broker
from navio.kernel.db import Database
from navio.kernel.events import HandlerRegistry, OutboxEvent, ProcessedEvent
from navio.kernel.outbox import OutboxRelay
from tests.factories.brokers import BROKER_URLS, new_namespace, reachable, remove_namespace
from tests.integration.kernel.test_outbox import Recorder, ThingHappened, record

EVENT = ThingHappened.name


def fast_backoff(attempt: int) -> timedelta:
    return timedelta(seconds=0.2 * attempt)


class Setup:
    def __init__(self, url: str, namespace: str, registry: HandlerRegistry) -> None:
        self.url = url
        self.namespace = namespace
        self.registry = registry

    def broker(self, max_attempts: int = 5) -> EventBroker:
        return create_broker(
            self.url, namespace=self.namespace, max_attempts=max_attempts, backoff=fast_backoff
        )


@pytest.fixture(params=["rabbitmq", "nats"])
async def broker_url(request: pytest.FixtureRequest) -> str:
    url = BROKER_URLS[request.param]
    await reachable(url)
    return url


@pytest.fixture
async def db(app: FastAPI) -> Database:
    await app.state.relay.stop()
    database: Database = app.state.db
    return database


@pytest.fixture
async def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def setup(broker_url: str, recorder: Recorder) -> AsyncIterator[Setup]:
    registry = HandlerRegistry()
    registry.subscribe(EVENT, "first", recorder.handler("first", writes=True))
    registry.subscribe(EVENT, "second", recorder.handler("second"))
    registry.subscribe("test.other_happened", "other", recorder.handler("other"))
    namespace = new_namespace()
    yield Setup(broker_url, namespace, registry)
    await remove_namespace(broker_url, namespace, registry)


async def workers(
    setup: Setup, db: Database, count: int, max_attempts: int = 5
) -> tuple[OutboxRelay, list[EventBroker]]:
    """A publishing relay and `count` consuming workers, as `navio worker` wires them."""
    publisher = setup.broker(max_attempts)
    await publisher.connect()
    relay = OutboxRelay(db, setup.registry, broker=publisher, max_attempts=max_attempts)
    consumers = []
    for _ in range(count):
        consumer = setup.broker(max_attempts)
        await consumer.connect()
        worker_relay = OutboxRelay(db, setup.registry, broker=consumer)
        consumer.consume(setup.registry.subscriptions(), worker_relay.apply)
        await consumer.start()
        consumers.append(consumer)
    return relay, [publisher, *consumers]


async def until(check: Callable[[], bool], seconds: float = 20) -> None:
    try:
        async with asyncio.timeout(seconds):
            while not check():  # noqa: ASYNC110 - counters the consumers' tasks fill
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail("not reached in time")


async def processed(db: Database, handler: str) -> int:
    async with db.transaction(write=False) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ProcessedEvent)
            .where(ProcessedEvent.handler == handler)
        )
        return int(count or 0)


async def test_each_event_reaches_each_handler_once(
    db: Database, setup: Setup, recorder: Recorder
) -> None:
    relay, brokers = await workers(setup, db, count=2)
    try:
        events = [ThingHappened(ref=uuid.uuid4(), label=f"n{i}") for i in range(30)]
        ids = await record(db, *events)
        await relay.drain()
        assert await relay.pending() == 0  # published: confirmed by the broker
        await until(lambda: recorder.count("first") >= 30 and recorder.count("second") >= 30)
        await asyncio.sleep(0.5)  # anything delivered twice would show by now
        assert recorder.count("first") == 30
        assert recorder.count("second") == 30
        assert recorder.count("other") == 0
        assert {event_id for (_, event_id) in recorder.calls} == set(ids)
        assert await processed(db, "first") == 30

        # a relay that crashed between the broker's confirm and its commit publishes again
        async with db.transaction() as session:
            await session.execute(
                update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(published_at=None)
            )
        await relay.drain()
        await asyncio.sleep(1.0)
        assert recorder.count("first") == 30
        assert recorder.count("second") == 30
    finally:
        for broker in brokers:
            await broker.close()


async def test_a_failing_handler_is_retried_alone(
    db: Database, setup: Setup, recorder: Recorder
) -> None:
    recorder.fail_next["first"] = 2
    relay, brokers = await workers(setup, db, count=1)
    try:
        (event_id,) = await record(db, ThingHappened(ref=uuid.uuid4(), label="flaky"))
        await relay.drain()
        await until(lambda: recorder.calls[("first", event_id)] >= 3)
        await asyncio.sleep(0.8)
        # two failures rolled back (their processed mark and row with them), the third applied
        assert recorder.calls[("first", event_id)] == 3
        assert recorder.calls[("second", event_id)] == 1
        assert await processed(db, "first") == 1
    finally:
        for broker in brokers:
            await broker.close()


async def test_a_handler_that_keeps_failing_is_given_up(
    db: Database, setup: Setup, recorder: Recorder
) -> None:
    recorder.fail_next["first"] = 1_000
    relay, brokers = await workers(setup, db, count=1, max_attempts=3)
    try:
        (event_id,) = await record(db, ThingHappened(ref=uuid.uuid4(), label="broken"))
        await relay.drain()
        await until(lambda: recorder.calls[("first", event_id)] >= 3)
        await asyncio.sleep(1.5)
        assert recorder.calls[("first", event_id)] == 3
        assert recorder.calls[("second", event_id)] == 1
        assert await processed(db, "first") == 0
        if setup.url.startswith("amqp"):
            # RabbitMQ keeps it in the namespace's dead-letter queue
            connection = await aio_pika.connect(setup.url)
            async with connection:
                channel = await connection.channel()
                dead = await channel.declare_queue(f"{setup.namespace}.dead", passive=True)
                assert dead.declaration_result.message_count == 1
    finally:
        for broker in brokers:
            await broker.close()


async def test_unpublished_events_wait_for_the_broker(db: Database, setup: Setup) -> None:
    """A broker gone fails the batch: nothing is marked published, nothing is lost, and the
    events go out once it is back."""
    gone = setup.broker()
    await gone.connect()
    await gone.close()
    relay = OutboxRelay(db, setup.registry, broker=gone)
    await record(db, ThingHappened(ref=uuid.uuid4(), label="waiting"))
    with pytest.raises(IncorrectState):
        await relay.run_once()
    assert await relay.pending() == 1
    back = setup.broker()
    await back.connect()
    try:
        assert await OutboxRelay(db, setup.registry, broker=back).run_once() == 1
        assert await relay.pending() == 0
    finally:
        await back.close()
