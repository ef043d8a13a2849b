"""Outbox relay: delivers committed events to subscribers, at least once, idempotently."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel import idempotency
from navio.kernel.db import Database
from navio.kernel.events import (
    Envelope,
    HandlerRegistry,
    OutboxEvent,
    Periodic,
    ProcessedEvent,
    Subscription,
)

if TYPE_CHECKING:  # the broker clients load only where a broker is configured
    from navio.kernel.broker import EventBroker

log = structlog.get_logger("navio.outbox")


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 2 ** min(attempts, 10)))


HOUSEKEEPING_SECONDS = 3600.0
# every relay's own periodic jobs, beside those the contexts register
BUILT_IN = (Periodic("kernel.idempotency_purge", HOUSEKEEPING_SECONDS, job=idempotency.purge_in),)


class OutboxRelay:
    """Takes committed events from the outbox in order and hands them on: to the registry's
    handlers in this process (embedded), or, given a broker, to the broker, from which
    `navio worker` processes consume them (`apply`)."""

    def __init__(
        self,
        db: Database,
        registry: HandlerRegistry,
        *,
        batch_size: int = 100,
        max_attempts: int = 10,
        poll_interval: float = 1.0,
        broker: EventBroker | None = None,
    ) -> None:
        self._db = db
        self._registry = registry
        self._broker = broker
        self._applied = False
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._poll_interval = poll_interval
        self._next_periodic: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def _due(self, now: datetime) -> tuple[ColumnElement[bool], ...]:
        return (
            OutboxEvent.published_at.is_(None),
            OutboxEvent.dead_at.is_(None),
            OutboxEvent.available_at <= now,
            # rows claimed with a lease by relays of earlier versions
            or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
        )

    async def _take(self, session: AsyncSession) -> list[OutboxEvent]:
        """Due events, locked by this transaction until it ends (PostgreSQL skips rows another
        relay holds; SQLite has one writer at a time). A relay that dies mid-batch rolls back:
        its events stay due and nothing it did is kept."""
        query = (
            select(OutboxEvent)
            .where(*self._due(datetime.now(UTC)))
            .order_by(OutboxEvent.occurred_at, OutboxEvent.id)
            .limit(self._batch_size)
        )
        if self._db.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list((await session.scalars(query)).all())

    async def _deliver(self, session: AsyncSession, envelope: Envelope) -> str | None:
        """Every subscriber in its own savepoint: a failing handler rolls back only its own
        work (and its processed mark), and the event is retried for it alone."""
        for sub in self._registry.for_event(envelope.name):
            try:
                async with session.begin_nested():
                    if not await self._mark_processed(session, envelope, sub.handler_name):
                        continue
                    await sub.handler(session, envelope)
            except Exception as exc:
                log.exception(
                    "outbox.handler_failed",
                    event_name=envelope.name,
                    event_id=str(envelope.id),
                    handler=sub.handler_name,
                )
                return f"{sub.handler_name}: {type(exc).__name__}: {exc}"[:2000]
        return None

    async def apply(self, envelope: Envelope, subscription: Subscription) -> None:
        """One event for one subscriber, delivered by the broker: the processed mark and the
        handler's work in one transaction (a repeat finds the mark and does nothing); raises
        when the handler failed, and nothing of it is kept."""
        async with self._db.transaction() as session:
            if await self._mark_processed(session, envelope, subscription.handler_name):
                await subscription.handler(session, envelope)
        self._applied = True
        self._wake.set()

    @staticmethod
    async def _mark_processed(session: AsyncSession, envelope: Envelope, handler: str) -> bool:
        """Claim (event, handler) inside the handler's transaction; False if already applied.

        Only this insert's unique violation means "done elsewhere": a constraint the handler
        itself hits later is a handler failure and is retried."""
        if await session.get(ProcessedEvent, (envelope.id, handler)) is not None:
            return False
        try:
            async with session.begin_nested():
                session.add(
                    ProcessedEvent(
                        event_id=envelope.id, handler=handler, processed_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            return False
        return True

    async def run_once(self) -> int:
        """Deliver one batch in one transaction; returns how many events were taken.

        One write transaction per batch: on SQLite, where writers take turns, a relay that
        needed the lock three times per event fell seconds behind a stream of requests."""
        # An idle poll is a plain read: no write lock, no write transaction, every second.
        async with self._db.transaction(write=False) as session:
            due = select(OutboxEvent.id).where(*self._due(datetime.now(UTC))).limit(1)
            if await session.scalar(due) is None:
                return 0
        async with self._db.transaction() as session:
            rows = await self._take(session)
            if self._broker is not None:
                return await self._publish(rows)
            for row in rows:
                envelope = Envelope(
                    row.id, row.name, row.version, dict(row.payload), row.occurred_at
                )
                error = await self._deliver(session, envelope)
                now = datetime.now(UTC)
                row.claimed_until = None
                if error is None:
                    row.published_at = now
                    row.last_error = None
                else:
                    row.attempts += 1
                    row.last_error = error
                    if row.attempts >= self._max_attempts:
                        row.dead_at = now
                    else:
                        row.available_at = now + backoff(row.attempts)
            return len(rows)

    async def _publish(self, rows: list[OutboxEvent]) -> int:
        """Hand the batch to the broker and mark it published once the broker has confirmed
        every event; a broker that fails raises, the transaction rolls back and the events stay
        due (a crash between the confirm and the commit publishes them again: consumers keep
        the processed marks, and JetStream drops a repeated id within its window)."""
        assert self._broker is not None
        await self._broker.publish(
            [Envelope(r.id, r.name, r.version, dict(r.payload), r.occurred_at) for r in rows]
        )
        now = datetime.now(UTC)
        for row in rows:
            row.claimed_until = None
            row.published_at = now
            row.last_error = None
        return len(rows)

    async def drain(self, max_rounds: int = 100) -> None:
        """Deliver everything currently deliverable (tests, CLI, shutdown)."""
        for _ in range(max_rounds):
            if await self.run_once() == 0:
                return

    async def run_periodic(
        self, *, now: datetime | None = None, force: bool = False, after_events: bool = False
    ) -> dict[str, int]:
        """Run the registry's periodic jobs that are due (all of them with `force`; with
        `after_events`, those that asked to run after events too), each in its own
        transaction; a failing job is logged and tried again at its next turn."""
        done: dict[str, int] = {}
        tick = time.monotonic()
        for periodic in (*BUILT_IN, *self._registry.periodic()):
            eager = after_events and periodic.after_events
            if not force and not eager and tick < self._next_periodic.get(periodic.name, 0.0):
                continue
            self._next_periodic[periodic.name] = tick + periodic.every_seconds
            at = now or datetime.now(UTC)
            try:
                if periodic.database_job is not None:
                    done[periodic.name] = await periodic.database_job(self._db, at)
                else:
                    assert periodic.job is not None
                    async with self._db.transaction() as session:
                        done[periodic.name] = await periodic.job(session, at)
            except Exception:
                log.exception("outbox.periodic_failed", job=periodic.name)
                continue
            if done[periodic.name]:
                log.info("outbox.periodic", job=periodic.name, changed=done[periodic.name])
        return done

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self.run_periodic()
                taken = await self.run_once()
            except Exception:
                log.exception("outbox.relay_failed")
                taken = 0
            applied, self._applied = self._applied, False
            if taken or applied:
                try:
                    await self.run_periodic(after_events=True)
                except Exception:
                    log.exception("outbox.relay_failed")
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
            self._wake.clear()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="navio-outbox-relay")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let the current batch finish (a cancelled transaction could leak a lock), then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=grace_seconds)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None

    async def pending(self) -> int:
        async with self._db.transaction(write=False) as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None), OutboxEvent.dead_at.is_(None))
            )
            return int(count or 0)
