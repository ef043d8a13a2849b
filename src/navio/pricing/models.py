from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class PriceReport(IdMixin, TimestampMixin, Base):
    """What a traveler paid for an item at a spot on a day, as paid, and in euros at the ECB
    rate of that day (frozen here: reports in any currency compare)."""

    __tablename__ = "pricing_report"

    user_id: Mapped[uuid.UUID] = mapped_column()
    item: Mapped[str] = mapped_column(String(32))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount_eur_minor: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str] = mapped_column(String(40))
    rate_published_on: Mapped[date] = mapped_column(Date)
    observed_on: Mapped[date] = mapped_column(Date)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    cell: Mapped[str] = mapped_column(String(24))
    place_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (
        UniqueConstraint("user_id", "item", "cell", "observed_on", name="uq_pricing_report_once"),
        Index("ix_pricing_report_item_geo", "item", "lat", "lon"),
        Index("ix_pricing_report_item_place", "item", "place_id"),
        Index("ix_pricing_report_user", "user_id", "created_at", "id"),
    )


class PriceWatch(IdMixin, TimestampMixin, Base):
    """A traveler's watch on an item's price around a point (or at a place): they are told when
    the change test finds prices moved (the way they asked), once per move."""

    __tablename__ = "pricing_watch"

    user_id: Mapped[uuid.UUID] = mapped_column()
    item: Mapped[str] = mapped_column(String(32))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    radius_km: Mapped[float | None] = mapped_column(Float, default=None)
    place_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(8))
    # the move they were last told of (recent / before), None until then or once it faded
    alerted_ratio: Mapped[float | None] = mapped_column(Float, default=None)
    alerted_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_on: Mapped[date | None] = mapped_column(Date, default=None)

    __table_args__ = (
        Index("ix_pricing_watch_item_geo", "item", "lat", "lon"),
        Index("ix_pricing_watch_user", "user_id", "created_at"),
    )


__all__ = ["PriceReport", "PriceWatch"]
