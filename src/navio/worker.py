"""`navio worker`: delivers outbox events to the subscribers of every context."""

from __future__ import annotations

import asyncio
import signal

import structlog

from navio.kernel.db import Database, create_engine
from navio.kernel.outbox import OutboxRelay
from navio.kernel.pubsub import create_broadcast
from navio.main import build_registry
from navio.settings import Settings

log = structlog.get_logger("navio.worker")


async def run_worker(settings: Settings, *, once: bool = False) -> None:
    db = Database(create_engine(settings.database_url, pool_size=settings.database_pool_size))
    # live pushes made here reach the API processes' WebSockets through Redis
    broadcast = create_broadcast(settings.redis_url)
    relay = OutboxRelay(
        db,
        build_registry(broadcast, settings),
        batch_size=settings.outbox.batch_size,
        max_attempts=settings.outbox.max_attempts,
        poll_interval=settings.outbox.poll_interval_seconds,
    )
    try:
        if once:
            await relay.drain()
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        relay.start()
        log.info("worker.started", database=db.dialect)
        await stop.wait()
        log.info("worker.stopping")
    finally:
        await relay.stop()
        await broadcast.close()
        await db.dispose()
