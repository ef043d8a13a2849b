"""Outbox events: the database relay running the handlers itself (the baseline) against the
relay publishing to a broker and two workers consuming it (RabbitMQ, NATS JetStream), on
PostgreSQL.

- burst: 2,000 events committed in 20 transactions, then the time until every one has been
  applied by both of its handlers (one writes a row), as events a second;
- latency: 100 single events, one at a time, the relay and the consumers running as in
  `navio worker`: from the commit to the first handler's work (p50 / p95).

Writes var/bench/events.json."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.broker import EventBroker, create_broker
from navio.kernel.db import Database, create_engine
from navio.kernel.events import Envelope, Event, EventRecorder, HandlerRegistry
from navio.kernel.outbox import OutboxRelay, backoff
from navio.migrate import upgrade
from navio.profiles.models import Profile

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "var" / "bench" / "events.json"
ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "navio_bench_events"
BROKERS = {
    "rabbitmq": os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    "nats": os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222"),
}
BURST, PER_TRANSACTION, SINGLES = 2_000, 100, 100


class Happened(Event):
    name = "bench.happened"
    ref: uuid.UUID


class Handlers:
    def __init__(self) -> None:
        self.applied: dict[str, set[uuid.UUID]] = {"write": set(), "count": set()}
        self.first_seen: dict[uuid.UUID, float] = {}

    async def write(self, session: AsyncSession, envelope: Envelope) -> None:
        session.add(Profile(user_id=uuid.UUID(envelope.payload["ref"]), display_name="bench"))
        await session.flush()
        self.first_seen.setdefault(envelope.id, time.perf_counter())
        self.applied["write"].add(envelope.id)

    async def count(self, session: AsyncSession, envelope: Envelope) -> None:
        self.first_seen.setdefault(envelope.id, time.perf_counter())
        self.applied["count"].add(envelope.id)

    def done(self, ids: list[uuid.UUID]) -> bool:
        return all(set(ids) <= applied for applied in self.applied.values())


def registry_for(handlers: Handlers) -> HandlerRegistry:
    registry = HandlerRegistry()
    registry.subscribe(Happened.name, "bench.write", handlers.write)
    registry.subscribe(Happened.name, "bench.count", handlers.count)
    return registry


async def record(db: Database, count: int) -> list[uuid.UUID]:
    async with db.transaction() as session:
        recorder = EventRecorder(session)
        return [recorder.record(Happened(ref=uuid.uuid4())) for _ in range(count)]


async def until(check: Callable[[], bool], seconds: float = 120) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - sets the handlers fill
            await asyncio.sleep(0.001)


async def recreate() -> str:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    url = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{url}/{DATABASE}"
    await asyncio.to_thread(upgrade, url)
    return url


async def run_mode(url: str, mode: str) -> dict[str, Any]:
    db = Database(create_engine(url, pool_size=10))
    handlers = Handlers()
    registry = registry_for(handlers)
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    brokers: list[EventBroker] = []

    def broker() -> EventBroker:
        made = create_broker(BROKERS[mode], namespace=namespace, max_attempts=10, backoff=backoff)
        brokers.append(made)
        return made

    publisher = None
    if mode != "database":
        publisher = broker()
        await publisher.connect()
        for _ in range(2):  # two workers' consumers
            consumer = broker()
            await consumer.connect()
            consumer.consume(registry.subscriptions(), OutboxRelay(db, registry).apply)
            await consumer.start()
    relay = OutboxRelay(db, registry, broker=publisher, poll_interval=0.05)
    try:
        ids: list[uuid.UUID] = []
        for _ in range(BURST // PER_TRANSACTION):
            ids += await record(db, PER_TRANSACTION)
        started = time.perf_counter()
        await relay.drain(max_rounds=1_000)
        await until(lambda: handlers.done(ids))
        burst_seconds = time.perf_counter() - started

        relay.start()
        latencies = []
        for _ in range(SINGLES):
            committed = time.perf_counter()
            (event_id,) = await record(db, 1)
            relay.wake()  # as the unit of work does after a commit
            await until(lambda event_id=event_id: handlers.done([event_id]))
            latencies.append((handlers.first_seen[event_id] - committed) * 1000)
        await relay.stop()
        latencies.sort()
        return {
            "burst_events_per_second": round(BURST / burst_seconds),
            "latency_ms_p50": round(statistics.median(latencies), 1),
            "latency_ms_p95": round(latencies[int(0.95 * len(latencies)) - 1], 1),
        }
    finally:
        for made in brokers:
            await made.close()
        if mode != "database":
            await broker().drop(registry.subscriptions())
        await db.dispose()


async def main() -> None:
    results: dict[str, Any] = {}
    for mode in ("database", "rabbitmq", "nats"):
        url = await recreate()  # each mode on an empty database
        results[mode] = await run_mode(url, mode)
        print(mode, results[mode], flush=True)
    base = results["database"]
    for mode in ("rabbitmq", "nats"):
        results[mode]["burst_vs_database"] = round(
            results[mode]["burst_events_per_second"] / base["burst_events_per_second"], 2
        )
        results[mode]["latency_p50_vs_database"] = round(
            results[mode]["latency_ms_p50"] / base["latency_ms_p50"], 2
        )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
