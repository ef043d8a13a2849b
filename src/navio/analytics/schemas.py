from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


KEY = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CLIENT_EVENT = r"^[a-z][a-z0-9_]{0,63}$"


class VariantSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY, description="lower-case letters, digits, - and _")
    weight: int = Field(default=1, ge=1, le=10_000, description="relative share of traffic")


class ExperimentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY, description="what apps ask for; unique, never reused")
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    goal: str = Field(
        min_length=1,
        max_length=64,
        description="the event that counts as a conversion: an app's event name, or one of the "
        "platform's (`GET /admin/experiments/goals`)",
    )
    variants: list[VariantSpec] = Field(
        min_length=2, max_length=10, description="the first is the control"
    )
    traffic_percent: int = Field(default=100, ge=1, le=100, description="share of units in it")
    planned_units: int = Field(
        default=10_000,
        ge=100,
        le=100_000_000,
        description="the exposed units expected over all variants: the interval is sharpest "
        "there, and valid before and after",
    )
    value_currency: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="compare the goal events' value per unit too, in this currency",
    )


class ExperimentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    goal: str | None = Field(default=None, min_length=1, max_length=64)
    variants: list[VariantSpec] | None = Field(default=None, min_length=2, max_length=10)
    traffic_percent: int | None = Field(default=None, ge=1, le=100)
    planned_units: int | None = Field(default=None, ge=100, le=100_000_000)
    value_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class ExperimentStop(BaseModel):
    model_config = ConfigDict(extra="forbid")

    winner: str | None = Field(
        default=None, description="a variant every unit gets from now on; none: the control"
    )


class ExperimentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    name: str
    description: str
    goal: str
    variants: list[VariantSpec]
    traffic_percent: int
    planned_units: int
    value_currency: str | None
    status: Literal["draft", "running", "stopped"]
    winner: str | None
    created_at: datetime
    started_at: datetime | None
    stopped_at: datetime | None


class GoalRead(BaseModel):
    name: str
    description: str
    valued: bool = Field(description="its value is an amount of money")


class AssignmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anonymous_id: uuid.UUID | None = Field(
        default=None, description="the app's install id when nobody is signed in"
    )
    experiments: list[str] | None = Field(
        default=None, max_length=100, description="only these keys; default every live one"
    )


class Assignment(BaseModel):
    experiment: str
    variant: str
    in_experiment: bool = Field(
        description="false: outside the traffic share or the experiment has ended (the control, "
        "or the winner), not counted"
    )


class Assignments(BaseModel):
    unit: str
    assignments: list[Assignment]
    unknown: list[str] = Field(description="asked-for keys that are not live: use the default")


class TrackedEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="made by the app; sending it again records nothing more")
    name: str = Field(pattern=CLIENT_EVENT, description="lower-case, digits and _ (no dots)")
    occurred_at: datetime = Field(description="with its offset; at most 7 days old")
    value: int = Field(default=0, ge=0, le=10**12, description="minor units, or a count")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anonymous_id: uuid.UUID | None = None
    events: list[TrackedEventIn] = Field(min_length=1, max_length=100)


class EventsRecorded(BaseModel):
    accepted: int
    duplicates: int = Field(description="ids recorded before")


class Interval(BaseModel):
    low: float
    high: float


class VersusControl(BaseModel):
    difference: float = Field(description="the variant's mean minus the control's")
    relative: float | None = Field(description="difference / the control's mean")
    low: float = Field(description="always-valid interval of the difference")
    high: float
    p_value: float = Field(description="always-valid: may be read at any time")
    fixed_p_value: float = Field(
        description="the classical z-test's; valid only read once, at a size fixed in advance"
    )
    verdict: Literal["better", "worse", "inconclusive"]


class VariantResult(BaseModel):
    key: str
    weight: int
    units: int = Field(description="exposed")
    converted: int = Field(description="units with a goal event after their exposure")
    rate: float
    rate_interval: Interval | None = Field(description="Wilson's 95 % interval")
    conversion: VersusControl | None = Field(description="null: the control, or too few data")
    value_mean: float | None = Field(description="value per unit, minor units")
    value: VersusControl | None


class SampleRatio(BaseModel):
    p_value: float
    mismatch: bool = Field(description="p < 0.001: the split is broken; distrust the results")


class ExperimentResults(BaseModel):
    experiment: ExperimentRead
    as_of: datetime
    alpha: float = Field(description="per comparison: 0.05 over the number of variants compared")
    variants: list[VariantResult]
    sample_ratio: SampleRatio | None = Field(description="null while too few are exposed")


class IdentifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anonymous_id: uuid.UUID = Field(description="the install's id, as sent before signing in")


class Identified(BaseModel):
    unit: str = Field(description="the signed-in person's unit, the install's from now on")
    exposures: int = Field(description="the install's exposures now theirs")
    events: int = Field(description="the install's events now theirs")
