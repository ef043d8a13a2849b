from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class SeasonModelRecord(IdMixin, TimestampMixin, Base):
    """A seasonality model learnt from an imported price file (`navio import hotel-prices`)."""

    __tablename__ = "budget_season_model"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    rows_used: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CategoryDefault(Base):
    """An administrator's per-person amount for a category where no price data exists: per day,
    or per night for lodging. Country "*" applies everywhere without a country row."""

    __tablename__ = "budget_category_default"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    updated_by: Mapped[str] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column()


class BudgetPolicy(Base):
    """Per-country (or "*") contingency percentage, as exact decimal text."""

    __tablename__ = "budget_policy"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    contingency_pct: Mapped[str] = mapped_column(String(12))
    updated_by: Mapped[str] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column()
