from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class DailyMetric(Base):
    """One owner's count and total of a metric on a day (UTC), per currency ('' when not
    money). Rows only grow, by one upsert per event."""

    __tablename__ = "analytics_daily"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_analytics_daily_day", "day"),)


class Experiment(IdMixin, TimestampMixin, Base):
    """An A/B experiment: its variants (the first is the control) with their weights, the share
    of traffic in it, the goal event, and where it is in its life (draft, running, stopped).
    The id salts the assignment hash, so units split independently between experiments."""

    __tablename__ = "analytics_experiment"

    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(2000), default="")
    goal: Mapped[str] = mapped_column(String(64))
    variants: Mapped[list[dict[str, Any]]] = mapped_column()
    traffic_percent: Mapped[int] = mapped_column(Integer)
    planned_units: Mapped[int] = mapped_column(Integer)
    value_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    winner: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by: Mapped[uuid.UUID] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (UniqueConstraint("key", name="uq_analytics_experiment_key"),)


class Exposure(Base):
    """A unit's first exposure to an experiment and the variant it saw."""

    __tablename__ = "analytics_exposure"

    experiment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("analytics_experiment.id", ondelete="CASCADE"), primary_key=True
    )
    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    variant: Mapped[str] = mapped_column(String(64))
    exposed_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_analytics_exposure_unit", "unit"),)


class TrackedEvent(Base):
    """Something a unit did: sent by an app (`POST /analytics/events`, its id making a resend
    harmless) or recorded from the platform's own events (a booking confirmed, a swap...).
    `value` in minor units of `currency`, or a plain count when `currency` is ''."""

    __tablename__ = "analytics_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="")
    occurred_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        Index("ix_analytics_event_goal", "name", "unit", "occurred_at"),
        Index("ix_analytics_event_unit", "unit"),
    )


class Alias(Base):
    """An app install (anonymous unit) that signed in: from then on it is that person's unit,
    its exposures and events moved to them."""

    __tablename__ = "analytics_alias"

    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    person: Mapped[str] = mapped_column(String(64))
    identified_at: Mapped[datetime] = mapped_column()


__all__ = ["Alias", "DailyMetric", "Experiment", "Exposure", "TrackedEvent"]
