"""Operator analytics: daily figures from other contexts' events (handlers.py records them, once
per event), read back per owner or for the whole platform. Never commits."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from navio.analytics import domain, stats
from navio.analytics.domain import NO_CURRENCY, SERVER_GOALS, PeriodError
from navio.analytics.errors import (
    DuplicateExperiment,
    ExperimentNotFound,
    ExperimentStateConflict,
    InvalidEvent,
    InvalidExperiment,
    InvalidPeriod,
    UnitRequired,
)
from navio.analytics.models import Experiment
from navio.analytics.repository import AnalyticsRepository, ExperimentRepository
from navio.analytics.schemas import (
    CLIENT_EVENT,
    Assignment,
    AssignmentRequest,
    Assignments,
    EventBatch,
    EventsRecorded,
    ExperimentCreate,
    ExperimentRead,
    ExperimentResults,
    ExperimentStop,
    ExperimentUpdate,
    GoalRead,
    Identified,
    IdentifyRequest,
    Interval,
    MetricSeries,
    Report,
    SampleRatio,
    VariantResult,
    VariantSpec,
    VersusControl,
)
from navio.iam import Principal
from navio.kernel.clock import Clock
from navio.kernel.money import is_currency

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


MAX_EVENT_AGE = timedelta(days=7)
MAX_EVENT_AHEAD = timedelta(minutes=5)  # clocks of phones drift


def _unit(principal: Principal | None, anonymous_id: uuid.UUID | None) -> str:
    if principal is not None:
        return domain.user_unit(principal.user_id)
    if anonymous_id is not None:
        return domain.anonymous_unit(anonymous_id)
    raise UnitRequired("sign in, or send the app's anonymous_id", field="anonymous_id")


def _versus(estimate: stats.Estimate | None) -> VersusControl | None:
    if estimate is None:
        return None
    return VersusControl(
        difference=estimate.difference,
        relative=estimate.relative,
        low=estimate.low,
        high=estimate.high,
        p_value=estimate.p_value,
        fixed_p_value=estimate.fixed_p_value,
        verdict=estimate.verdict,
    )


class ExperimentService:
    """A/B experiments: defined and read by admins; apps ask which variant a unit sees (its
    first exposure recorded) and send what units do; the platform's own events count too
    (handlers.py). Never commits."""

    def __init__(self, repo: ExperimentRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    # ------------------------------------------------------------------ definitions
    @staticmethod
    def goals() -> list[GoalRead]:
        return [
            GoalRead(name=name, description=goal.description, valued=goal.value_field is not None)
            for name, goal in SERVER_GOALS.items()
        ]

    @staticmethod
    def _check(goal: str, variants: Sequence[VariantSpec], value_currency: str | None) -> None:
        if goal not in SERVER_GOALS and not re.fullmatch(CLIENT_EVENT, goal):
            raise InvalidExperiment(
                "the goal is an app's event name (lower-case letters, digits and _) or one of "
                "the platform's events",
                field="goal",
            )
        keys = [variant.key for variant in variants]
        if len(set(keys)) != len(keys):
            raise InvalidExperiment("two variants have the same key", field="variants")
        if value_currency is not None and not is_currency(value_currency):
            raise InvalidExperiment(f"unknown currency {value_currency}", field="value_currency")

    async def _get(self, key: str) -> Experiment:
        experiment = await self.repo.by_key(key)
        if experiment is None:
            raise ExperimentNotFound(f"no experiment {key!r}")
        return experiment

    async def create(self, principal: Principal, body: ExperimentCreate) -> ExperimentRead:
        self._check(body.goal, body.variants, body.value_currency)
        if await self.repo.by_key(body.key) is not None:
            raise DuplicateExperiment(f"the key {body.key!r} is taken", field="key")
        experiment = Experiment(
            key=body.key,
            name=body.name,
            description=body.description,
            goal=body.goal,
            variants=[variant.model_dump() for variant in body.variants],
            traffic_percent=body.traffic_percent,
            planned_units=body.planned_units,
            value_currency=body.value_currency,
            status="draft",
            created_by=principal.user_id,
        )
        await self.repo.add(experiment)
        return ExperimentRead.model_validate(experiment)

    async def listed(self, status: str | None) -> list[ExperimentRead]:
        return [ExperimentRead.model_validate(e) for e in await self.repo.listed(status)]

    async def read(self, key: str) -> ExperimentRead:
        return ExperimentRead.model_validate(await self._get(key))

    async def update(self, key: str, body: ExperimentUpdate) -> ExperimentRead:
        experiment = await self._get(key)
        if experiment.status != "draft":
            raise ExperimentStateConflict(
                "a started experiment cannot change: its results would mix two designs; stop "
                "it and start a new one"
            )
        changes = body.model_dump(exclude_unset=True)
        required = ("name", "description", "goal", "variants", "traffic_percent", "planned_units")
        emptied = [name for name in required if name in changes and changes[name] is None]
        if emptied:
            raise InvalidExperiment(f"{emptied[0]} cannot be null", field=emptied[0])
        variants = (
            body.variants
            if body.variants is not None
            else [VariantSpec.model_validate(v) for v in experiment.variants]
        )
        goal = body.goal or experiment.goal
        currency = changes.get("value_currency", experiment.value_currency)
        self._check(goal, variants, currency)
        for name, value in changes.items():
            setattr(experiment, name, value)  # variants come dumped as dicts, as stored
        await self.repo.add(experiment)
        return ExperimentRead.model_validate(experiment)

    async def start(self, key: str) -> ExperimentRead:
        experiment = await self._get(key)
        if experiment.status != "draft":
            raise ExperimentStateConflict(f"the experiment is {experiment.status} already")
        experiment.status = "running"
        experiment.started_at = self.clock.now()
        await self.repo.add(experiment)
        return ExperimentRead.model_validate(experiment)

    async def stop(self, key: str, body: ExperimentStop) -> ExperimentRead:
        experiment = await self._get(key)
        if experiment.status != "running":
            raise ExperimentStateConflict(f"the experiment is {experiment.status}, not running")
        keys = [variant["key"] for variant in experiment.variants]
        if body.winner is not None and body.winner not in keys:
            raise InvalidExperiment(f"no variant {body.winner!r}", field="winner")
        experiment.status = "stopped"
        experiment.stopped_at = self.clock.now()
        experiment.winner = body.winner
        await self.repo.add(experiment)
        return ExperimentRead.model_validate(experiment)

    # ------------------------------------------------------------------ apps
    async def _unit(self, principal: Principal | None, anonymous_id: uuid.UUID | None) -> str:
        """The signed-in person; else the install, or the person it signed in as."""
        unit = _unit(principal, anonymous_id)
        if principal is None:
            return await self.repo.person_of(unit) or unit
        return unit

    async def identify(self, principal: Principal, body: IdentifyRequest) -> Identified:
        """An install signed in: it is this person from now on, and what it saw and did
        before is theirs (experiments count the person once, in the variant first seen)."""
        person = domain.user_unit(principal.user_id)
        moved, events = await self.repo.identify(
            domain.anonymous_unit(body.anonymous_id), person, self.clock.now()
        )
        return Identified(unit=person, exposures=moved, events=events)

    async def assign(self, principal: Principal | None, body: AssignmentRequest) -> Assignments:
        """Each live experiment's variant for the unit. A unit inside a running experiment's
        traffic has its first exposure recorded; a stopped one serves its winner (or the
        control) to everyone, uncounted."""
        unit = await self._unit(principal, body.anonymous_id)
        asked = None if body.experiments is None else list(dict.fromkeys(body.experiments))
        found = await self.repo.live(asked)
        running = [experiment.id for experiment in found if experiment.status == "running"]
        # what the unit saw already stands (an install that signed in keeps its variants)
        seen = await self.repo.exposed(unit, running)
        now = self.clock.now()
        assignments, exposures = [], []
        for experiment in found:
            keys = [variant["key"] for variant in experiment.variants]
            index = None
            if experiment.id in seen and seen[experiment.id] in keys:
                variant = seen[experiment.id]
                assignments.append(
                    Assignment(experiment=experiment.key, variant=variant, in_experiment=True)
                )
                continue
            if experiment.status == "running":
                weights = [int(variant["weight"]) for variant in experiment.variants]
                index = stats.assign(str(experiment.id), unit, weights, experiment.traffic_percent)
            if index is None:
                variant = experiment.winner or keys[0]
            else:
                variant = keys[index]
                exposures.append(
                    {
                        "experiment_id": experiment.id,
                        "unit": unit,
                        "variant": variant,
                        "exposed_at": now,
                    }
                )
            assignments.append(
                Assignment(
                    experiment=experiment.key, variant=variant, in_experiment=index is not None
                )
            )
        await self.repo.expose(exposures)
        live = {experiment.key for experiment in found}
        unknown = [key for key in asked or [] if key not in live]
        return Assignments(unit=unit, assignments=assignments, unknown=unknown)

    async def track(self, principal: Principal | None, body: EventBatch) -> EventsRecorded:
        """Record an app's events, all or none; an id sent before is not recorded twice."""
        unit = await self._unit(principal, body.anonymous_id)
        now = self.clock.now()
        rows = []
        ids = [event.id for event in body.events]
        if len(set(ids)) != len(ids):
            raise InvalidEvent("two events of the batch have the same id", field="events")
        for position, event in enumerate(body.events):
            at = event.occurred_at
            if at.tzinfo is None:
                raise InvalidEvent("occurred_at needs its UTC offset", field=f"events.{position}")
            if at > now + MAX_EVENT_AHEAD or at < now - MAX_EVENT_AGE:
                raise InvalidEvent(
                    "occurred_at must be within the last 7 days", field=f"events.{position}"
                )
            if event.currency is not None and not is_currency(event.currency):
                raise InvalidEvent(
                    f"unknown currency {event.currency}", field=f"events.{position}.currency"
                )
            rows.append(
                {
                    "id": event.id,
                    "unit": unit,
                    "name": event.name,
                    "value": event.value,
                    "currency": event.currency or NO_CURRENCY,
                    "occurred_at": at,
                    "received_at": now,
                }
            )
        accepted = await self.repo.track(rows)
        return EventsRecorded(accepted=accepted, duplicates=len(rows) - accepted)

    async def record(
        self, event_id: uuid.UUID, name: str, payload: dict[str, object], at: datetime
    ) -> None:
        """A platform event as its user's event (once: the outbox event's id)."""
        tracked = domain.tracked_of(name, payload)
        if tracked is not None:
            await self.repo.track(
                [
                    {
                        "id": event_id,
                        "unit": tracked.unit,
                        "name": name,
                        "value": tracked.value,
                        "currency": tracked.currency,
                        "occurred_at": at,
                        "received_at": self.clock.now(),
                    }
                ]
            )

    # ------------------------------------------------------------------ results
    async def results(self, key: str) -> ExperimentResults:
        experiment = await self._get(key)
        rows = {row.variant: row for row in await self.repo.arms(experiment, experiment.stopped_at)}
        specs = [VariantSpec.model_validate(v) for v in experiment.variants]
        total_weight = sum(spec.weight for spec in specs)
        arms = [
            stats.Arm(row.units, row.converted, row.value_sum, row.value_squares)
            if (row := rows.get(spec.key))
            else stats.Arm(0, 0)
            for spec in specs
        ]
        planned = [experiment.planned_units * spec.weight / total_weight for spec in specs]
        alpha = stats.ALPHA / (len(specs) - 1)
        control = arms[0]
        variants = []
        for position, (spec, arm) in enumerate(zip(specs, arms, strict=True)):
            conversion = value = None
            if position > 0 and control.units >= 2 and arm.units >= 2:
                pair = (planned[0], planned[position])
                conversion = stats.compare(
                    (*control.conversion(), control.units),
                    (*arm.conversion(), arm.units),
                    pair,
                    alpha,
                )
                if experiment.value_currency is not None:
                    value = stats.compare(
                        (*control.value(), control.units), (*arm.value(), arm.units), pair, alpha
                    )
            interval = stats.wilson(arm.converted, arm.units)
            variants.append(
                VariantResult(
                    key=spec.key,
                    weight=spec.weight,
                    units=arm.units,
                    converted=arm.converted,
                    rate=arm.rate,
                    rate_interval=Interval(low=interval[0], high=interval[1]) if interval else None,
                    conversion=_versus(conversion),
                    value_mean=(
                        arm.value_sum / arm.units
                        if experiment.value_currency is not None and arm.units
                        else None
                    ),
                    value=_versus(value),
                )
            )
        srm = stats.sample_ratio_p([arm.units for arm in arms], [spec.weight for spec in specs])
        return ExperimentResults(
            experiment=ExperimentRead.model_validate(experiment),
            as_of=experiment.stopped_at or self.clock.now(),
            alpha=alpha,
            variants=variants,
            sample_ratio=None
            if srm is None
            else SampleRatio(p_value=srm, mismatch=srm < stats.SRM_ALPHA),
        )
