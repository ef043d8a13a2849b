"""Outbox: only committed events are delivered, once per handler, with retries and dead letters.

Runs on SQLite and PostgreSQL through the `app` fixture (which empties every table afterwards);
the app's own background relay is stopped so each test drives delivery by hand."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.db import Database
from navio.kernel.events import (
    Envelope,
    Event,
    EventRecorder,
    Handler,
    HandlerRegistry,
    OutboxEvent,
    ProcessedEvent,
)
from navio.kernel.outbox import OutboxRelay, backoff
from navio.profiles.models import Profile


class ThingHappened(Event):
    name = "test.thing_happened"
    ref: uuid.UUID
    label: str


class Recorder:
    """Handlers that count their calls and leave a row in the database."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, uuid.UUID]] = Counter()
        self.fail_next: dict[str, int] = {}

    def handler(self, name: str, *, writes: bool = False) -> Handler:
        async def handle(session: AsyncSession, envelope: Envelope) -> None:
            self.calls[(name, envelope.id)] += 1
            if writes:
                # A real effect in the handler's transaction (any table will do): one row per
                # (handler, event).
                ref = uuid.uuid5(uuid.UUID(envelope.payload["ref"]), name)
                session.add(
                    Profile(user_id=ref, display_name=f"{name}:{envelope.payload['label']}")
                )
                await session.flush()
            if self.fail_next.get(name, 0) > 0:
                self.fail_next[name] -= 1
                raise RuntimeError(f"{name} boom")

        return handle

    def count(self, name: str) -> int:
        return sum(n for (handler, _), n in self.calls.items() if handler == name)


@pytest.fixture
async def db(app: FastAPI) -> Database:
    # The API's relay would race with ours; deliveries here are driven by run_once().
    await app.state.relay.stop()
    database: Database = app.state.db
    return database


async def record(db: Database, *events: Event) -> list[uuid.UUID]:
    async with db.transaction() as session:
        recorder = EventRecorder(session)
        return [recorder.record(event) for event in events]


async def outbox_row(db: Database, event_id: uuid.UUID) -> OutboxEvent:
    async with db.transaction(write=False) as session:
        row = await session.get(OutboxEvent, event_id)
        assert row is not None
        return row


async def processed(db: Database, event_id: uuid.UUID) -> set[str]:
    async with db.transaction(write=False) as session:
        rows = await session.scalars(
            select(ProcessedEvent.handler).where(ProcessedEvent.event_id == event_id)
        )
        return set(rows)


async def profile_names(db: Database) -> set[str]:
    async with db.transaction(write=False) as session:
        return {str(n) for n in await session.scalars(select(Profile.display_name))}


async def make_available_now(db: Database, event_id: uuid.UUID) -> None:
    """Skip the backoff wait: what the passage of time would do."""
    async with db.transaction() as session:
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id)
            .values(available_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def thing(label: str) -> ThingHappened:
    return ThingHappened(ref=uuid.uuid4(), label=label)


# ---------------------------------------------------------------- tests


def test_backoff_grows_exponentially_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff(9).total_seconds() == 512
    assert backoff(10).total_seconds() == 600
    assert backoff(50).total_seconds() == 600


async def test_rolled_back_events_are_never_delivered(db: Database) -> None:
    recorder = Recorder()
    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "h", recorder.handler("h"))
    relay = OutboxRelay(db, registry)

    async def record_then_fail() -> None:
        async with db.transaction() as session:
            EventRecorder(session).record(thing("lost"))
            await session.flush()  # it reached the database inside the transaction
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        await record_then_fail()

    assert await relay.run_once() == 0
    assert recorder.calls == Counter()
    async with db.transaction(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    assert await relay.pending() == 0


async def test_committed_events_are_delivered_once_per_handler(db: Database) -> None:
    recorder = Recorder()
    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "first", recorder.handler("first", writes=False))
    registry.subscribe(ThingHappened.name, "second", recorder.handler("second"))
    relay = OutboxRelay(db, registry)

    e1, e2 = await record(db, thing("one"), thing("two"))
    assert await relay.pending() == 2

    assert await relay.run_once() == 2
    assert recorder.calls == Counter(
        {("first", e1): 1, ("second", e1): 1, ("first", e2): 1, ("second", e2): 1}
    )
    assert await processed(db, e1) == {"first", "second"}
    assert await processed(db, e2) == {"first", "second"}
    for event_id in (e1, e2):
        row = await outbox_row(db, event_id)
        assert row.published_at is not None
        assert row.attempts == 0
        assert row.last_error is None
        assert row.claimed_until is None
        assert row.dead_at is None
    assert await relay.pending() == 0

    # Nothing is taken again.
    await relay.drain()
    assert await relay.run_once() == 0
    assert sum(recorder.calls.values()) == 4


async def test_payload_reaches_handlers_intact(db: Database) -> None:
    seen: list[Envelope] = []

    async def handler(_session: AsyncSession, envelope: Envelope) -> None:
        seen.append(envelope)

    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "h", handler)
    event = thing("naïve ✓")
    (event_id,) = await record(db, event)
    await OutboxRelay(db, registry).drain()

    assert len(seen) == 1
    assert seen[0].id == event_id
    assert seen[0].name == "test.thing_happened"
    assert seen[0].version == 1
    assert seen[0].payload == {"ref": str(event.ref), "label": "naïve ✓"}
    assert seen[0].occurred_at.tzinfo is not None


async def test_events_recorded_together_are_delivered_in_the_order_recorded(
    db: Database,
) -> None:
    labels: list[str] = []

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        labels.append(envelope.payload["label"])

    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "h", handle)
    at = datetime.now(UTC) - timedelta(seconds=5)
    names = [f"step {i}" for i in range(40)]
    async with db.transaction() as session:
        recorder = EventRecorder(session)
        for name in names:  # one instant for all, as a use case's clock gives
            recorder.record(thing(name), occurred_at=at)
    await OutboxRelay(db, registry).drain()
    assert labels == names


async def test_events_without_subscribers_are_published(db: Database) -> None:
    (event_id,) = await record(db, thing("nobody listens"))
    relay = OutboxRelay(db, HandlerRegistry())
    assert await relay.run_once() == 1
    assert (await outbox_row(db, event_id)).published_at is not None
    assert await relay.pending() == 0


async def test_failing_handler_is_retried_with_backoff(db: Database) -> None:
    recorder = Recorder()
    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "a", recorder.handler("a", writes=True))
    registry.subscribe(ThingHappened.name, "b", recorder.handler("b", writes=True))
    registry.subscribe(ThingHappened.name, "c", recorder.handler("c", writes=True))
    relay = OutboxRelay(db, registry, max_attempts=5)
    recorder.fail_next["b"] = 1

    (event_id,) = await record(db, thing("x"))
    before = datetime.now(UTC)
    assert await relay.run_once() == 1

    row = await outbox_row(db, event_id)
    assert row.attempts == 1
    assert row.last_error is not None
    assert row.last_error.startswith("b: RuntimeError: b boom")
    assert row.published_at is None
    assert row.dead_at is None
    assert row.claimed_until is None
    # Next try after backoff(1) = 2 s.
    assert (
        before + timedelta(seconds=1.5)
        <= row.available_at
        <= datetime.now(UTC) + timedelta(seconds=2.5)
    )
    # a's effect is kept and remembered; b's write rolled back with it; c not reached yet.
    assert await processed(db, event_id) == {"a"}
    assert await profile_names(db) == {"a:x"}
    assert recorder.count("b") == 1
    assert recorder.count("c") == 0

    # Not due yet: nothing is taken.
    assert await relay.run_once() == 0
    assert await relay.pending() == 1

    await make_available_now(db, event_id)
    assert await relay.run_once() == 1

    row = await outbox_row(db, event_id)
    assert row.published_at is not None
    assert row.last_error is None
    assert row.attempts == 1
    assert recorder.calls == Counter({("a", event_id): 1, ("b", event_id): 2, ("c", event_id): 1})
    assert await processed(db, event_id) == {"a", "b", "c"}
    assert await profile_names(db) == {"a:x", "b:x", "c:x"}


async def test_handler_integrity_error_is_a_failure_not_a_duplicate(db: Database) -> None:
    taken = uuid.uuid4()
    async with db.transaction() as session:
        session.add(Profile(user_id=taken, display_name="already here"))

    calls: list[uuid.UUID] = []

    async def conflicting(session: AsyncSession, envelope: Envelope) -> None:
        calls.append(envelope.id)
        session.add(Profile(user_id=taken, display_name="clash"))
        await session.flush()

    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "conflicting", conflicting)
    relay = OutboxRelay(db, registry)
    (event_id,) = await record(db, thing("clash"))

    assert await relay.run_once() == 1
    assert calls == [event_id]
    row = await outbox_row(db, event_id)
    assert row.published_at is None
    assert row.attempts == 1
    assert row.last_error is not None
    assert "IntegrityError" in row.last_error
    assert await processed(db, event_id) == set()


async def test_redelivery_does_not_apply_a_handler_twice(db: Database) -> None:
    recorder = Recorder()
    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "h", recorder.handler("h", writes=True))
    relay = OutboxRelay(db, registry)

    (event_id,) = await record(db, thing("once"))
    await relay.drain()
    assert recorder.calls == Counter({("h", event_id): 1})

    # At-least-once: the relay crashed after the handlers ran but before marking it published.
    async with db.transaction() as session:
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.id == event_id).values(published_at=None)
        )
    assert await relay.pending() == 1
    assert await relay.run_once() == 1

    assert recorder.calls == Counter({("h", event_id): 1})
    assert await profile_names(db) == {"h:once"}
    assert (await outbox_row(db, event_id)).published_at is not None
    assert await relay.pending() == 0


async def test_two_relays_share_the_idempotency_guard(db: Database) -> None:
    recorder = Recorder()
    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "h", recorder.handler("h", writes=True))
    (event_id,) = await record(db, thing("shared"))

    await OutboxRelay(db, registry).run_once()
    async with db.transaction() as session:
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.id == event_id).values(published_at=None)
        )
    await OutboxRelay(db, registry).run_once()
    assert recorder.count("h") == 1


async def test_a_relay_that_dies_mid_batch_keeps_nothing_and_leaves_the_events(
    db: Database,
) -> None:
    recorder = Recorder()
    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "h", recorder.handler("h", writes=True))
    dying = {"left": 1}

    async def dies(session: AsyncSession, envelope: Envelope) -> None:
        if dying["left"]:
            dying["left"] -= 1
            raise asyncio.CancelledError  # the process is being killed mid-delivery

    registry.subscribe(ThingHappened.name, "z_dies", dies)
    (event_id,) = await record(db, thing("interrupted"))
    with pytest.raises(asyncio.CancelledError):
        await OutboxRelay(db, registry).run_once()
    row = await outbox_row(db, event_id)
    assert row.published_at is None and row.attempts == 0
    async with db.transaction(write=False) as session:
        marks = await session.scalar(select(func.count()).select_from(ProcessedEvent))
    assert marks == 0  # "h" ran, but its work and its processed mark were rolled back

    assert await OutboxRelay(db, registry).run_once() == 1
    assert (await outbox_row(db, event_id)).published_at is not None
    assert await OutboxRelay(db, registry).run_once() == 0


async def test_event_is_dead_lettered_after_max_attempts(db: Database) -> None:
    recorder = Recorder()
    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "ok", recorder.handler("ok", writes=True))
    registry.subscribe(ThingHappened.name, "broken", recorder.handler("broken"))
    relay = OutboxRelay(db, registry, max_attempts=3)
    recorder.fail_next["broken"] = 1_000

    (event_id, healthy_id) = await record(db, thing("poison"), thing("healthy"))
    recorder.fail_next["broken"] = 1_000

    for attempt in (1, 2, 3):
        assert await relay.run_once() >= 1
        row = await outbox_row(db, event_id)
        assert row.attempts == attempt
        assert row.last_error is not None
        assert "broken: RuntimeError: broken boom" in row.last_error
        if attempt < 3:
            assert row.dead_at is None
        await make_available_now(db, event_id)
        await make_available_now(db, healthy_id)

    row = await outbox_row(db, event_id)
    assert row.dead_at is not None
    assert row.published_at is None
    assert row.attempts == 3

    # Dead letters are not taken again, not even when due, and are not 'pending'.
    assert await relay.run_once() == 0
    assert recorder.count("broken") == 6  # 3 attempts x 2 events
    assert recorder.calls[("ok", event_id)] == 1
    assert await relay.pending() == 0


async def test_recorder_counts_and_returns_ids(db: Database) -> None:
    async with db.transaction() as session:
        recorder = EventRecorder(session)
        first = recorder.record(thing("a"))
        second = recorder.record(thing("b"), occurred_at=datetime(2030, 1, 1, tzinfo=UTC))
        assert recorder.recorded == 2
    assert first != second
    row = await outbox_row(db, second)
    assert row.occurred_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert row.available_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert row.name == "test.thing_happened"
    assert row.version == 1
    assert row.attempts == 0


def test_registry_refuses_a_handler_name_twice() -> None:
    async def handler(_session: AsyncSession, _envelope: Envelope) -> None:
        return None

    registry = HandlerRegistry()
    registry.subscribe("e", "h", handler)
    with pytest.raises(ValueError, match="already subscribed"):
        registry.subscribe("e", "h", handler)
    registry.subscribe("other", "h", handler)
    registry.unsubscribe("e", "h")
    assert registry.for_event("e") == []
    assert [s.handler_name for s in registry.for_event("other")] == ["h"]


async def test_a_job_that_asked_runs_right_after_events(db: Database) -> None:
    """The webhook sender's way: its work is queued by handlers, so the running relay runs it
    as soon as it has handled events, not only at its (here hour-long) interval; a job that did
    not ask waits for its interval."""
    recorder = Recorder()
    registry = HandlerRegistry()
    registry.subscribe(ThingHappened.name, "first", recorder.handler("first"))
    turns: Counter[str] = Counter()

    def job(name: str) -> Callable[[Database, datetime], Awaitable[int]]:
        async def run(database: Database, now: datetime) -> int:
            turns[name] += 1
            return 0

        return run

    registry.every_with_database("eager", 3600, job("eager"), after_events=True)
    registry.every_with_database("patient", 3600, job("patient"))
    relay = OutboxRelay(db, registry, poll_interval=0.05)
    relay.start()
    try:
        for _ in range(100):  # the first turn runs every job once
            if turns["patient"]:
                break
            await asyncio.sleep(0.02)
        assert turns == Counter({"eager": 1, "patient": 1})
        await record(db, thing("one"))
        relay.wake()
        for _ in range(100):
            if turns["eager"] == 2:
                break
            await asyncio.sleep(0.02)
        assert recorder.count("first") == 1
        assert turns == Counter({"eager": 2, "patient": 1})
    finally:
        await relay.stop()
