from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class MetricSeries(BaseModel):
    metric: str
    currency: str | None = Field(description="ISO 4217 for money; null for counts and ratings")
    counts: list[int] = Field(description="one per day of the period")
    totals: list[int] = Field(description="minor units, or the sum of ratings for reviews")
    count: int
    total: int
    average: float | None = Field(description="total / count (a review's mean rating)")


class Report(BaseModel):
    start: date
    end: date
    days: list[date]
    series: list[MetricSeries]
