"""Every analytics query. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, case, cast, delete, func, select, update

from navio.analytics.models import Alias, DailyMetric, Experiment, Exposure, TrackedEvent
from navio.kernel.db import Repository


class AnalyticsRepository(Repository):
    async def add(
        self, owner_id: uuid.UUID, day: date, metric: str, currency: str, total: int
    ) -> None:
        """Count one more, in one upsert (each dialect's INSERT ... ON CONFLICT)."""
        session = self.session
        statement = self.insert(DailyMetric).values(
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


@dataclass(frozen=True, slots=True)
class ArmRow:
    variant: str
    units: int
    converted: int
    value_sum: int
    value_squares: float


class ExperimentRepository(Repository):
    async def by_key(self, key: str) -> Experiment | None:
        return (
            await self.session.execute(select(Experiment).where(Experiment.key == key))
        ).scalar_one_or_none()

    async def listed(self, status: str | None) -> list[Experiment]:
        statement = select(Experiment).order_by(Experiment.created_at.desc(), Experiment.id)
        if status is not None:
            statement = statement.where(Experiment.status == status)
        return list((await self.session.execute(statement)).scalars())

    async def live(self, keys: Sequence[str] | None) -> list[Experiment]:
        """Running experiments, and stopped ones (they serve their winner)."""
        statement = select(Experiment).where(Experiment.status.in_(("running", "stopped")))
        if keys is not None:
            statement = statement.where(Experiment.key.in_(keys))
        return list((await self.session.execute(statement.order_by(Experiment.key))).scalars())

    async def add(self, experiment: Experiment) -> None:
        self.session.add(experiment)
        await self.session.flush()

    async def expose(self, rows: list[dict[str, Any]]) -> None:
        """Record first exposures; a unit seen before keeps its first."""
        if rows:
            await self.session.execute(
                self.insert(Exposure)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["experiment_id", "unit"])
            )

    async def track(self, rows: list[dict[str, Any]]) -> int:
        """Insert the events whose ids are new; returns how many were."""
        if not rows:
            return 0
        result = await self.session.execute(
            self.insert(TrackedEvent)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(TrackedEvent.id)
        )
        return len(result.all())

    async def exposed(self, unit: str, experiment_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The variants the unit saw, per experiment."""
        if not experiment_ids:
            return {}
        statement = select(Exposure.experiment_id, Exposure.variant).where(
            Exposure.unit == unit, Exposure.experiment_id.in_(experiment_ids)
        )
        return {row.experiment_id: row.variant for row in (await self.session.execute(statement))}

    async def person_of(self, unit: str) -> str | None:
        alias = await self.session.get(Alias, unit)
        return alias.person if alias is not None else None

    async def identify(self, unit: str, person: str, now: datetime) -> tuple[int, int]:
        """The install `unit` is `person` from now on: its exposures become theirs (where they
        saw nothing of that experiment yet; otherwise the install's are dropped, so a person
        counts once), its events too. Returns (exposures moved, events moved)."""
        statement = self.insert(Alias).values(unit=unit, person=person, identified_at=now)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["unit"], set_={"person": person, "identified_at": now}
            )
        )
        theirs = select(Exposure.experiment_id).where(Exposure.unit == person).scalar_subquery()
        moved = await self.session.execute(
            update(Exposure)
            .where(Exposure.unit == unit, Exposure.experiment_id.not_in(theirs))
            .values(unit=person)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(delete(Exposure).where(Exposure.unit == unit))
        events = await self.session.execute(
            update(TrackedEvent)
            .where(TrackedEvent.unit == unit)
            .values(unit=person)
            .execution_options(synchronize_session=False)
        )
        return int(moved.rowcount or 0), int(events.rowcount or 0)  # type: ignore[attr-defined]

    async def arms(self, experiment: Experiment, until: datetime | None) -> list[ArmRow]:
        """Per variant: exposed units, how many had a goal event at or after their exposure
        (and before `until`), and the sum and sum of squares of each unit's value in the
        experiment's currency. One query: exposures joined to goal events, per unit, then per
        variant."""
        joined = (TrackedEvent.unit == Exposure.unit) & (TrackedEvent.name == experiment.goal)
        joined &= TrackedEvent.occurred_at >= Exposure.exposed_at
        if until is not None:
            joined &= TrackedEvent.occurred_at < until
        valued = TrackedEvent.currency == (experiment.value_currency or "-")
        per_unit = (
            select(
                Exposure.variant.label("variant"),
                func.count(TrackedEvent.id).label("events"),
                func.coalesce(func.sum(case((valued, TrackedEvent.value), else_=0)), 0).label(
                    "value"
                ),
            )
            .select_from(Exposure)
            .outerjoin(TrackedEvent, joined)
            .where(Exposure.experiment_id == experiment.id)
            .group_by(Exposure.variant, Exposure.unit)
            .subquery()
        )
        value = cast(per_unit.c.value, Float)
        statement = select(
            per_unit.c.variant,
            func.count(),
            func.sum(case((per_unit.c.events > 0, 1), else_=0)),
            func.sum(per_unit.c.value),
            func.sum(value * value),
        ).group_by(per_unit.c.variant)
        return [
            ArmRow(variant, int(units), int(converted or 0), int(total or 0), float(squares or 0))
            for variant, units, converted, total, squares in (
                await self.session.execute(statement)
            ).all()
        ]
