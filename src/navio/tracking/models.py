from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base
from navio.kernel.ids import new_id


class Journey(Base):
    """A traveler sharing their way to a destination with the people on a trip. `progress` is
    the domain's state between batches of fixes (last fix, anchor, pace, fences inside)."""

    __tablename__ = "tracking_journey"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    trip_id: Mapped[uuid.UUID] = mapped_column()
    traveler_id: Mapped[uuid.UUID] = mapped_column()
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    destination: Mapped[dict[str, Any]] = mapped_column()  # name, lat, lon, radius_m
    geofences: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    positions: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column()
    arrived_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        Index("ix_tracking_journey_trip_started", "trip_id", "started_at"),
        # one shared journey at a time per traveler and trip, whatever the interleaving
        Index(
            "uq_tracking_journey_active",
            "trip_id",
            "traveler_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )


class Position(Base):
    __tablename__ = "tracking_position"

    journey_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(primary_key=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float] = mapped_column(Float)


__all__ = ["Journey", "Position"]
