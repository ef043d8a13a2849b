"""Every analytics query. Never commits."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from navio.analytics.models import DailyMetric
from navio.kernel.db import Repository


class AnalyticsRepository(Repository):
    async def add(
        self, owner_id: uuid.UUID, day: date, metric: str, currency: str, total: int
    ) -> None:
        """Count one more, in one upsert (each dialect's INSERT ... ON CONFLICT)."""
        session = self.session
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(DailyMetric).values(
            owner_id=owner_id, day=day, metric=metric, currency=currency, count=1, total=total
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["owner_id", "day", "metric", "currency"],
                set_={
                    "count": DailyMetric.count + 1,
                    "total": DailyMetric.total + statement.excluded.total,
                },
            )
        )

    async def rows(
        self, owner_id: uuid.UUID | None, start: date, end: date
    ) -> list[tuple[date, str, str, int, int]]:
        """One owner's rows, or everyone's summed (the platform's view)."""
        if owner_id is not None:
            statement = select(
                DailyMetric.day,
                DailyMetric.metric,
                DailyMetric.currency,
                DailyMetric.count,
                DailyMetric.total,
            ).where(DailyMetric.owner_id == owner_id)
        else:
            statement = select(
                DailyMetric.day,
                DailyMetric.metric,
                DailyMetric.currency,
                func.sum(DailyMetric.count),
                func.sum(DailyMetric.total),
            ).group_by(DailyMetric.day, DailyMetric.metric, DailyMetric.currency)
        statement = statement.where(DailyMetric.day >= start, DailyMetric.day <= end)
        return [
            (day, metric, currency, int(count), int(total))
            for day, metric, currency, count, total in (await self.session.execute(statement)).all()
        ]
