from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Date, Float, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class Feed(IdMixin, TimestampMixin, Base):
    """An imported GTFS feed: the zip as given (compiled per service day on demand, the
    compiled arrays cached on disk) and its validation report."""

    __tablename__ = "transit_feed"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date | None] = mapped_column(Date, default=None)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None)
    stops: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # megabytes: loaded only to compile a day missing from the disk cache
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class Stop(Base):
    __tablename__ = "transit_stop"

    feed_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    stop_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_transit_stop_lat_lon", "lat", "lon"),)


class FlightNetworkData(IdMixin, TimestampMixin, Base):
    """An imported airline route network (OpenFlights routes.dat format), kept as given
    (gzip) with its parse report; every process builds the network from it on first use."""

    __tablename__ = "transit_flight_network"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    routes: Mapped[int] = mapped_column(Integer)
    airports: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content: Mapped[bytes] = mapped_column(LargeBinary)
