"""Operator analytics: daily figures from other contexts' events (handlers.py records them, once
per event), read back per owner or for the whole platform. Never commits."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta

from navio.analytics import domain
from navio.analytics.domain import NO_CURRENCY, PeriodError
from navio.analytics.errors import InvalidPeriod
from navio.analytics.repository import AnalyticsRepository
from navio.analytics.schemas import MetricSeries, Report
from navio.iam import Principal
from navio.kernel.clock import Clock

DEFAULT_DAYS = 30


class AnalyticsService:
    def __init__(self, repo: AnalyticsRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    async def record(self, name: str, payload: dict[str, object], at: datetime) -> None:
        fact = domain.fact_of(name, payload)
        if fact is not None:
            await self.repo.add(
                fact.owner_id, at.date(), fact.metric.value, fact.currency, fact.total
            )

    def _period(self, start: date | None, end: date | None) -> list[date]:
        end = end or self.clock.now().date()
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        try:
            return domain.days(start, end)
        except PeriodError as exc:
            raise InvalidPeriod(str(exc), field="from") from exc

    async def _report(
        self, owner: uuid.UUID | None, start: date | None, end: date | None
    ) -> Report:
        period = self._period(start, end)
        rows = [domain.Row(*row) for row in await self.repo.rows(owner, period[0], period[-1])]
        lines = domain.series(period, rows)
        series = []
        for (metric, currency), values in sorted(lines.items()):
            count = sum(c for c, _ in values)
            total = sum(t for _, t in values)
            series.append(
                MetricSeries(
                    metric=metric,
                    currency=currency or None,
                    counts=[c for c, _ in values],
                    totals=[t for _, t in values],
                    count=count,
                    total=total,
                    average=round(total / count, 2) if count and metric == "reviews" else None,
                )
            )
        return Report(start=period[0], end=period[-1], days=period, series=series)

    async def mine(self, principal: Principal, start: date | None, end: date | None) -> Report:
        return await self._report(principal.user_id, start, end)

    async def platform(self, start: date | None, end: date | None) -> Report:
        return await self._report(None, start, end)


def as_csv(report: Report) -> str:
    """One row per day and metric: day, metric, currency, count, total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["day", "metric", "currency", "count", "total"])
    for line in report.series:
        for day, count, total in zip(report.days, line.counts, line.totals, strict=True):
            writer.writerow(
                [day.isoformat(), line.metric, line.currency or NO_CURRENCY, count, total]
            )
    return out.getvalue()
