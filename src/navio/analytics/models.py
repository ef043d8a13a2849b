from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base


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


__all__ = ["DailyMetric"]
