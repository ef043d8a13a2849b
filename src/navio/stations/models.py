from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class Station(IdMixin, TimestampMixin, Base):
    """A battery-swap station of an operator: bays served in parallel, a charger power for the
    packs it keeps, a price per swap paid from the rider's wallet to the operator."""

    __tablename__ = "station_station"

    owner_id: Mapped[uuid.UUID] = mapped_column()
    name: Mapped[str] = mapped_column(String(120))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    bays: Mapped[int] = mapped_column(Integer)
    service_minutes: Mapped[int] = mapped_column(Integer)
    charger_kw: Mapped[float] = mapped_column(Float)
    pack_wh: Mapped[int] = mapped_column(Integer)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    open: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_station_station_geo", "lat", "lon"),
        Index("ix_station_station_owner", "owner_id", "created_at"),
    )


class Staff(Base):
    __tablename__ = "station_staff"

    station_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    added_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_station_staff_user", "user_id"),)


class Battery(IdMixin, Base):
    """A pack. At a station it charges (its state of charge follows from the last reading);
    with a rider, moving between stations, faulty or retired it does not."""

    __tablename__ = "station_battery"

    serial: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[uuid.UUID] = mapped_column()
    station_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    rider_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # in transit: the station it is on its way to
    destination_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    capacity_wh: Mapped[int] = mapped_column(Integer)
    soc: Mapped[float] = mapped_column(Float)
    read_at: Mapped[datetime] = mapped_column()
    health_pct: Mapped[float] = mapped_column(Float, default=100.0)
    cycles: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_station_battery_station", "station_id", "status"),)


class QueueTicket(IdMixin, Base):
    __tablename__ = "station_queue"

    station_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column()
    called_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_station_queue_station", "station_id", "status", "joined_at"),
        # one place in any queue at a time per traveler
        Index(
            "uq_station_queue_active",
            "user_id",
            unique=True,
            postgresql_where=text("status IN ('waiting', 'called')"),
            sqlite_where=text("status IN ('waiting', 'called')"),
        ),
    )


class Swap(IdMixin, Base):
    __tablename__ = "station_swap"

    station_id: Mapped[uuid.UUID] = mapped_column()
    ticket_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    staff_id: Mapped[uuid.UUID] = mapped_column()
    battery_out_id: Mapped[uuid.UUID] = mapped_column()
    battery_in_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    soc_out: Mapped[float] = mapped_column(Float)
    soc_in: Mapped[float | None] = mapped_column(Float, default=None)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # paid from the wallet (the ledger's transfer), or with a credit of a plan bought before
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    credit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    swapped_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_station_swap_station", "station_id", "swapped_at", "id"),)


class Fault(IdMixin, TimestampMixin, Base):
    __tablename__ = "station_fault"

    station_id: Mapped[uuid.UUID] = mapped_column()
    battery_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reporter_id: Mapped[uuid.UUID] = mapped_column()
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_station_fault_station", "station_id", "status", "created_at"),)


class Plan(IdMixin, TimestampMixin, Base):
    """An operator's prepaid swaps: `swaps` for `price_minor`, used at any of their stations
    within `valid_days` of buying."""

    __tablename__ = "station_plan"

    owner_id: Mapped[uuid.UUID] = mapped_column()
    name: Mapped[str] = mapped_column(String(80))
    swaps: Mapped[int] = mapped_column(Integer)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    valid_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (Index("ix_station_plan_owner", "owner_id", "created_at"),)


class Credit(IdMixin, Base):
    """A plan a rider bought: the swaps left of it until it expires."""

    __tablename__ = "station_credit"

    plan_id: Mapped[uuid.UUID] = mapped_column()
    owner_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column()
    swaps_bought: Mapped[int] = mapped_column(Integer)
    swaps_left: Mapped[int] = mapped_column(Integer)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    transfer_id: Mapped[uuid.UUID] = mapped_column()
    bought_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        Index("ix_station_credit_user", "user_id", "owner_id", "expires_at"),
        CheckConstraint("swaps_left >= 0", name="swaps_left_not_negative"),
    )


__all__ = ["Battery", "Credit", "Fault", "Plan", "QueueTicket", "Staff", "Station", "Swap"]
