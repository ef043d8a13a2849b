from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from navio.budgeting.domain import Source, SplitMethod

Category = Literal[
    "transport", "lodging", "food", "activities", "local_transport", "shopping", "fees", "misc"
]


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: SplitMethod = SplitMethod.EQUAL
    weights: dict[uuid.UUID, Decimal] | None = Field(
        default=None, description="weighted: member -> weight (absent members weigh 1)"
    )


class BudgetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trip_id: uuid.UUID
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="absent: the trip's currency"
    )
    contingency_pct: Decimal | None = Field(
        default=None, description="absent: the operator's default for the country, else 10"
    )
    split: SplitIn = Field(default_factory=SplitIn)
    lodging_segment: Literal["city", "resort"] = "city"


class LineRead(BaseModel):
    key: str
    category: str
    label: str
    amount_minor: int
    source: Source
    confidence: float
    basis: str
    item_id: uuid.UUID | None
    day: date | None
    quantity: float | None
    unit_minor: int | None
    participants: list[uuid.UUID]
    optional: bool


class CategoryRead(BaseModel):
    category: str
    planned_minor: int
    actual_minor: int
    remaining_minor: int
    confidence: float


class DayRead(BaseModel):
    day: date
    planned_minor: int = Field(description="items dated that day")
    actual_minor: int


class PersonRead(BaseModel):
    user_id: uuid.UUID
    display_name: str
    amount_minor: int


class BudgetRead(BaseModel):
    trip_id: uuid.UUID
    currency: str
    start_date: date
    end_date: date
    days: int
    travelers: int
    lines: list[LineRead]
    unestimated: list[str] = Field(description="categories with no price, spending or default")
    categories: list[CategoryRead]
    by_day: list[DayRead]
    subtotal_minor: int
    contingency_pct: Decimal
    contingency_minor: int
    total_minor: int
    actual_minor: int
    confidence: float = Field(description="the lines' confidence weighted by amount")
    per_person: list[PersonRead]
    split_method: SplitMethod
    season: dict[str, Any] | None
    rates: list[dict[str, Any]] = Field(description="exchange rates used (ECB, planning)")


class ScenarioRead(BaseModel):
    name: str
    description: str
    start_date: date
    end_date: date
    travelers: int
    total_minor: int
    delta_minor: int
    per_person_minor: int = Field(description="the total shared equally")
    by_category: dict[str, int]


class ScenariosRead(BaseModel):
    trip_id: uuid.UUID
    currency: str
    base_total_minor: int
    scenarios: list[ScenarioRead]


class OptimizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trip_id: uuid.UUID
    cap_minor: int
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    lodging_segment: Literal["city", "resort"] = "city"


class StepRead(BaseModel):
    action: str
    saving_minor: int
    value_lost: float


class OptimizeRead(BaseModel):
    fits: bool
    cap_minor: int
    total_minor: int
    steps: list[StepRead]
    budget: BudgetRead


class DefaultsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str = Field(pattern=r"^([A-Z]{2}|\*)$", description='ISO 3166 code, or "*"')
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    per_person: dict[Category, int] = Field(
        default_factory=dict,
        description="minor units per person and day (lodging: per person and night); "
        "0 removes the default",
    )
    contingency_pct: Decimal | None = None


class DefaultsRead(BaseModel):
    country: str
    per_person: dict[str, dict[str, Any]]
    contingency_pct: Decimal | None
