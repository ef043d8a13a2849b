"""`navio worker`: the outbox relay, the broker's consumers and the periodic jobs."""

from __future__ import annotations

import asyncio
import signal

import structlog

from navio.kernel.db import Database, create_engine
from navio.kernel.outbox import OutboxRelay
from navio.kernel.pubsub import create_broadcast
from navio.main import build_registry, connect_broker
from navio.settings import Settings

log = structlog.get_logger("navio.worker")


async def run_worker(settings: Settings, *, once: bool = False) -> None:
    """Without a broker the relay hands events to the handlers here; with one it publishes
    them, and this process also consumes them (one queue per event and handler, shared by
    every worker). `once` delivers (or publishes) what is pending and exits."""
    db = Database(create_engine(settings.database_url, pool_size=settings.database_pool_size))
    # live pushes made here reach the API processes' WebSockets through Redis
    broadcast = create_broadcast(settings.redis_url)
    registry = build_registry(broadcast, settings)
    broker = await connect_broker(settings)
    relay = OutboxRelay(
        db,
        registry,
        batch_size=settings.outbox.batch_size,
        max_attempts=settings.outbox.max_attempts,
        poll_interval=settings.outbox.poll_interval_seconds,
        broker=broker,
    )
    try:
        if once:
            await relay.drain()
            return
        if broker is not None:
            broker.consume(registry.subscriptions(), relay.apply)
            await broker.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        relay.start()
        log.info("worker.started", database=db.dialect, broker=broker is not None)
        await stop.wait()
        log.info("worker.stopping")
    finally:
        await relay.stop()
        if broker is not None:
            await broker.close()
        await broadcast.close()
        await db.dispose()
