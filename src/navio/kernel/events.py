"""Domain events, the outbox writer and the idempotent handler registry."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, Database, SessionSource, resolve_session
from navio.kernel.ids import new_id


class Event(BaseModel):
    """A fact that happened. Subclasses set `name` (dotted, past tense) and `version`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    version: ClassVar[int] = 1


class OutboxEvent(Base):
    __tablename__ = "kernel_outbox_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    available_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    dead_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_kernel_outbox_event_pending", "published_at", "available_at"),)


class ProcessedEvent(Base):
    """(event, handler) pairs already applied: makes at-least-once delivery idempotent."""

    __tablename__ = "kernel_processed_event"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime]


@dataclass(frozen=True)
class Envelope:
    id: uuid.UUID
    name: str
    version: int
    payload: dict[str, Any]
    occurred_at: datetime


class EventRecorder:
    """Writes events into the outbox inside the caller's transaction."""

    def __init__(self, session: SessionSource) -> None:
        self._source = session
        self.recorded = 0
        self._last: datetime | None = None

    def record(self, event: Event, *, occurred_at: datetime | None = None) -> uuid.UUID:
        at = occurred_at or datetime.now(UTC)
        # the relay delivers by (occurred_at, id) and ids are random: events recorded together
        # at one instant would go out in any order, so each comes a microsecond after the last
        if self._last is not None and at <= self._last:
            at = self._last + timedelta(microseconds=1)
        self._last = at
        row = OutboxEvent(
            id=new_id(),
            name=event.name,
            version=event.version,
            payload=event.model_dump(mode="json"),
            occurred_at=at,
            available_at=at,
            attempts=0,
        )
        resolve_session(self._source).add(row)
        self.recorded += 1
        return row.id


Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    handler_name: str
    handler: Handler


# A job the relays run every so often in a transaction of its own (`now` is the time it runs
# for); returns how many things it changed. Every relay runs it, so it must be safe to run
# twice at once (PostgreSQL: SKIP LOCKED; a state that is checked before it changes).
PeriodicJob = Callable[[AsyncSession, datetime], Awaitable[int]]
# A job that opens its own transactions, for work that must not hold one open (a message sent
# over the network): it claims in one transaction, does the work, records the outcome in another.
DatabaseJob = Callable[[Database, datetime], Awaitable[int]]


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: float
    job: PeriodicJob | None = None
    database_job: DatabaseJob | None = None
    # also run right after the relay handled events (their handlers may have queued its work)
    after_events: bool = False


class HandlerRegistry:
    def __init__(self) -> None:
        self._subs: dict[str, list[Subscription]] = defaultdict(list)
        self._periodic: dict[str, Periodic] = {}

    def every(self, name: str, seconds: float, job: PeriodicJob) -> None:
        self._add(Periodic(name, seconds, job=job))

    def every_with_database(
        self, name: str, seconds: float, job: DatabaseJob, *, after_events: bool = False
    ) -> None:
        self._add(Periodic(name, seconds, database_job=job, after_events=after_events))

    def _add(self, periodic: Periodic) -> None:
        if periodic.name in self._periodic:
            raise ValueError(f"periodic job {periodic.name!r} already registered")
        if periodic.every_seconds <= 0:
            raise ValueError("a periodic job needs a positive interval")
        self._periodic[periodic.name] = periodic

    def periodic(self) -> list[Periodic]:
        return list(self._periodic.values())

    def subscribe(self, event_name: str, handler_name: str, handler: Handler) -> None:
        if any(s.handler_name == handler_name for s in self._subs[event_name]):
            raise ValueError(f"handler {handler_name!r} already subscribed to {event_name!r}")
        self._subs[event_name].append(Subscription(handler_name, handler))

    def unsubscribe(self, event_name: str, handler_name: str) -> None:
        self._subs[event_name] = [
            s for s in self._subs[event_name] if s.handler_name != handler_name
        ]

    def for_event(self, event_name: str) -> list[Subscription]:
        return list(self._subs.get(event_name, ()))

    def subscriptions(self) -> list[tuple[str, Subscription]]:
        """Every (event name, subscription) pair: a broker gives each its own queue."""
        return [(name, sub) for name, subs in self._subs.items() for sub in subs]
