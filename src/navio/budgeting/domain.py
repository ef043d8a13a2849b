"""Budget rules: lines from a trip's items and estimates, totals, contingency, taxes and fees,
per-person split, what-if scenarios and fitting a cap. No I/O.

Every line says where its amount comes from and how sure it is:

- `trip_item` (0.95): the price written on a trip item (a booked room, a ticket).
- `price_data` (0.3-0.8, rising with the number of prices): the median price of places of that
  kind at the destination in the catalogue's sources (per meal and person, per room and
  night), times the season multiplier.
- `recorded_expenses` (0.4-0.7, rising with the days recorded): the trip's own spending so far
  in that category, per day, over the trip's days.
- `operator_default` (0.3): a per-person, per-day amount an administrator set for the
  destination country (or for all).
- `tax_table` (0.8): a documented tax or fee (`taxes.py`).

A category with none of these is listed as not estimated rather than guessed.

Assumptions an estimate makes are explicit in `Assumptions` and repeated in each line's `basis`:
two restaurant meals per person and day (breakfast is often in the room price; the third meal is
a snack the budget leaves to `food` recorded expenses), one room per two travelers.

Money is integer minor units of the budget currency; amounts estimated from decimal prices are
rounded half-to-even once per line. Per-person shares come from the largest-remainder allocation
(`kernel.money.allocate`), so they always sum to the total.
"""

from __future__ import annotations

import enum
import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from navio.kernel.money import allocate

CATEGORIES = (
    "transport",
    "lodging",
    "food",
    "activities",
    "local_transport",
    "shopping",
    "fees",
    "misc",
)
# Categories estimated from spending so far or operator defaults when no item prices them.
DAILY_CATEGORIES = ("food", "activities", "local_transport", "shopping", "fees", "misc")
MEALS_PER_DAY = 2
TRAVELERS_PER_ROOM = 2
DEFAULT_CONTINGENCY_PCT = Decimal(10)


class Source(enum.StrEnum):
    TRIP_ITEM = "trip_item"
    PRICE_DATA = "price_data"
    RECORDED = "recorded_expenses"
    OPERATOR_DEFAULT = "operator_default"
    TAX_TABLE = "tax_table"


class SplitMethod(enum.StrEnum):
    EQUAL = "equal"
    WEIGHTED = "weighted"
    PARTICIPATION = "participation"  # each line among the people on it, the rest equally


def minor(value: Decimal | float) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True, slots=True)
class PricedItem:
    """A trip item with a cost, already in the budget currency."""

    id: uuid.UUID
    category: str
    title: str
    amount_minor: int
    day: date | None
    participants: tuple[uuid.UUID, ...]
    optional: bool  # a paid visit that can be left out to save money
    value: float  # what leaving it out costs the itinerary (place rating and popularity)
    basis: str


@dataclass(frozen=True, slots=True)
class PriceStats:
    """Prices (minor units of the budget currency) of one kind at the destination."""

    samples: int
    median: int
    p25: int
    basis: str
    counted: str | None = None  # what the samples are, when not the catalogue's places

    @classmethod
    def of(cls, prices: Sequence[int], basis: str) -> PriceStats | None:
        if not prices:
            return None
        ordered = sorted(prices)
        p25 = ordered[max(0, math.ceil(0.25 * len(ordered)) - 1)]
        return cls(len(ordered), int(statistics.median_low(ordered)), p25, basis)


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything a budget is computed from, gathered once by the service."""

    currency: str
    start: date
    end: date
    travelers: int
    members: tuple[uuid.UUID, ...]
    items: tuple[PricedItem, ...]
    meal_prices: PriceStats | None
    night_prices: PriceStats | None
    # spending so far: category -> (total minor, days with spending)
    recorded: Mapping[str, tuple[int, int]]
    # operator defaults: category -> per person and day (minor, budget currency)
    defaults: Mapping[str, int]
    default_basis: str
    season: Callable[[Sequence[date]], float]  # mean price multiplier over these nights
    season_basis: str
    fees: Callable[[Assumptions, int], list[Line]]  # taxes and fees given the lodging total
    contingency_pct: Decimal


@dataclass(frozen=True, slots=True)
class Assumptions:
    """What a scenario changes; the defaults are the plan as it stands."""

    shift_days: int = 0
    extra_travelers: int = 0
    lodging_quantile: str = "median"  # or "p25": cheaper lodging
    meal_quantile: str = "median"
    dropped: frozenset[uuid.UUID] = frozenset()  # items left out


@dataclass(frozen=True, slots=True)
class Line:
    key: str
    category: str
    label: str
    amount_minor: int
    source: Source
    confidence: float
    basis: str
    item_id: uuid.UUID | None = None
    day: date | None = None
    quantity: float | None = None
    unit_minor: int | None = None
    participants: tuple[uuid.UUID, ...] = ()
    optional: bool = False
    value: float = 0.0


@dataclass(frozen=True, slots=True)
class Budget:
    currency: str
    start: date
    end: date
    travelers: int
    lines: tuple[Line, ...]
    unestimated: tuple[str, ...]
    subtotal_minor: int
    contingency_pct: Decimal
    contingency_minor: int
    total_minor: int
    per_person: Mapping[uuid.UUID, int] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def by_category(self) -> dict[str, int]:
        totals = dict.fromkeys(CATEGORIES, 0)
        for line in self.lines:
            totals[line.category] = totals.get(line.category, 0) + line.amount_minor
        return totals


def _nights(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days)]


def build_lines(inputs: Inputs, a: Assumptions) -> tuple[list[Line], list[str]]:
    start = inputs.start + timedelta(days=a.shift_days)
    end = inputs.end + timedelta(days=a.shift_days)
    days = (end - start).days + 1
    travelers = inputs.travelers + a.extra_travelers
    lines: list[Line] = []
    covered: set[str] = set()
    planned_meals = 0
    for item in inputs.items:
        if item.id in a.dropped:
            continue
        covered.add(item.category)
        if item.category == "food":
            planned_meals += max(1, len(item.participants) or travelers)
        lines.append(
            Line(
                key=f"item:{item.id}",
                category=item.category,
                label=item.title,
                amount_minor=item.amount_minor,
                source=Source.TRIP_ITEM,
                confidence=0.95,
                basis=item.basis,
                item_id=item.id,
                day=item.day + timedelta(days=a.shift_days) if item.day else None,
                participants=item.participants,
                optional=item.optional,
                value=item.value,
            )
        )
    nights = _nights(start, end)
    if "lodging" not in covered and nights:
        rooms = math.ceil(travelers / TRAVELERS_PER_ROOM)
        stats = inputs.night_prices
        if stats is not None:
            price = stats.p25 if a.lodging_quantile == "p25" else stats.median
            multiplier = inputs.season(nights)
            unit = minor(Decimal(price) * Decimal(str(multiplier)))
            quantile = "lower-quartile" if a.lodging_quantile == "p25" else "median"
            lines.append(
                Line(
                    key="estimate:lodging",
                    category="lodging",
                    label=f"{rooms} room(s) x {len(nights)} night(s)",
                    amount_minor=unit * rooms * len(nights),
                    source=Source.PRICE_DATA,
                    confidence=round(min(0.8, 0.3 + stats.samples / 100), 2),
                    basis=(
                        f"{quantile} nightly price of {stats.samples} {stats.counted or 'places'} "
                        f"({stats.basis}) x "
                        f"season multiplier {multiplier:.3f} ({inputs.season_basis}); one room "
                        f"per {TRAVELERS_PER_ROOM} travelers"
                    ),
                    quantity=rooms * len(nights),
                    unit_minor=unit,
                )
            )
            covered.add("lodging")
        elif inputs.defaults.get("lodging"):
            per = inputs.defaults["lodging"]
            lines.append(
                Line(
                    key="estimate:lodging",
                    category="lodging",
                    label=f"{travelers} traveler(s) x {len(nights)} night(s)",
                    amount_minor=per * travelers * len(nights),
                    source=Source.OPERATOR_DEFAULT,
                    confidence=0.3,
                    basis=f"operator default per person and night ({inputs.default_basis})",
                    quantity=travelers * len(nights),
                    unit_minor=per,
                )
            )
            covered.add("lodging")
    meals = max(0, MEALS_PER_DAY * days * travelers - planned_meals)
    if meals and inputs.meal_prices is not None:
        stats = inputs.meal_prices
        price = stats.p25 if a.meal_quantile == "p25" else stats.median
        quantile = "lower-quartile" if a.meal_quantile == "p25" else "median"
        lines.append(
            Line(
                key="estimate:food",
                category="food",
                label=f"{meals} restaurant meal(s)",
                amount_minor=price * meals,
                source=Source.PRICE_DATA,
                confidence=round(min(0.8, 0.3 + stats.samples / 100), 2),
                basis=(
                    f"{quantile} price per person of {stats.samples} "
                    f"{stats.counted or 'restaurants'} "
                    f"({stats.basis}); {MEALS_PER_DAY} meals per person and day, "
                    f"{planned_meals} planned on the trip"
                ),
                quantity=meals,
                unit_minor=price,
            )
        )
        covered.add("food")
    for category in DAILY_CATEGORIES:
        if category in covered:
            continue
        spent, spent_days = inputs.recorded.get(category, (0, 0))
        if spent > 0 and spent_days:
            per_day = Fraction(spent, spent_days) * Fraction(travelers, inputs.travelers)
            lines.append(
                Line(
                    key=f"estimate:{category}",
                    category=category,
                    label=f"{days} day(s) at the pace of spending so far",
                    amount_minor=minor(Decimal(per_day.numerator) / per_day.denominator * days),
                    source=Source.RECORDED,
                    confidence=round(min(0.7, 0.4 + 0.05 * spent_days), 2),
                    basis=f"{spent} spent over {spent_days} day(s) recorded on this trip",
                    quantity=days,
                    unit_minor=minor(Decimal(per_day.numerator) / per_day.denominator),
                )
            )
            covered.add(category)
        elif inputs.defaults.get(category):
            per = inputs.defaults[category]
            lines.append(
                Line(
                    key=f"estimate:{category}",
                    category=category,
                    label=f"{travelers} traveler(s) x {days} day(s)",
                    amount_minor=per * travelers * days,
                    source=Source.OPERATOR_DEFAULT,
                    confidence=0.3,
                    basis=f"operator default per person and day ({inputs.default_basis})",
                    quantity=travelers * days,
                    unit_minor=per,
                )
            )
            covered.add(category)
    lodging_total = sum(line.amount_minor for line in lines if line.category == "lodging")
    for fee in inputs.fees(a, lodging_total):
        lines.append(fee)
        covered.add(fee.category)
    unestimated = [c for c in CATEGORIES if c not in covered]
    return lines, unestimated


def compute(
    inputs: Inputs,
    a: Assumptions = Assumptions(),
    *,
    split: SplitMethod = SplitMethod.EQUAL,
    weights: Mapping[uuid.UUID, Decimal] | None = None,
) -> Budget:
    lines, unestimated = build_lines(inputs, a)
    subtotal = sum(line.amount_minor for line in lines)
    contingency = minor(Decimal(subtotal) * inputs.contingency_pct / 100)
    budget = Budget(
        currency=inputs.currency,
        start=inputs.start + timedelta(days=a.shift_days),
        end=inputs.end + timedelta(days=a.shift_days),
        travelers=inputs.travelers + a.extra_travelers,
        lines=tuple(lines),
        unestimated=tuple(unestimated),
        subtotal_minor=subtotal,
        contingency_pct=inputs.contingency_pct,
        contingency_minor=contingency,
        total_minor=subtotal + contingency,
    )
    return replace(budget, per_person=per_person(budget, inputs.members, split, weights))


def per_person(
    budget: Budget,
    members: Sequence[uuid.UUID],
    method: SplitMethod,
    weights: Mapping[uuid.UUID, Decimal] | None = None,
) -> dict[uuid.UUID, int]:
    """Each member's part of the total, summing to it exactly."""
    if not members or budget.total_minor == 0:
        return dict.fromkeys(members, 0)
    if method is SplitMethod.EQUAL:
        return allocate(budget.total_minor, dict.fromkeys(members, 1))
    if method is SplitMethod.WEIGHTED:
        given = weights or {}
        return allocate(budget.total_minor, {m: given.get(m, Decimal(1)) for m in members})
    # participation: each line among its participants; contingency in proportion
    base: dict[uuid.UUID, Fraction] = defaultdict(Fraction)
    everyone = tuple(members)
    for line in budget.lines:
        people = [p for p in line.participants if p in members] or list(everyone)
        for person in people:
            base[person] += Fraction(line.amount_minor, len(people))
    if not any(base.values()):
        return allocate(budget.total_minor, dict.fromkeys(members, 1))
    return allocate(budget.total_minor, {m: base.get(m, Fraction(0)) for m in members})


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    budget: Budget
    delta_minor: int


def scenarios(inputs: Inputs, base: Budget) -> list[Scenario]:
    """What-if: cheaper lodging, fewer paid activities, shifted dates, one more traveler."""
    found: list[Scenario] = []

    def add(name: str, description: str, a: Assumptions) -> None:
        budget = compute(inputs, a)
        found.append(Scenario(name, description, budget, budget.total_minor - base.total_minor))

    if any(
        line.key == "estimate:lodging" and line.source is Source.PRICE_DATA for line in base.lines
    ):
        add(
            "cheaper_lodging",
            "lodging at the lower-quartile price of the destination instead of the median",
            Assumptions(lodging_quantile="p25"),
        )
    optional = sorted(
        (line for line in base.lines if line.optional and line.amount_minor > 0),
        key=lambda line: (line.value / line.amount_minor, str(line.item_id)),
    )
    if optional:
        dropped = optional[: max(1, len(optional) // 3)]
        add(
            "fewer_paid_activities",
            f"leave out {len(dropped)} paid visit(s) with the least value for money: "
            + ", ".join(line.label for line in dropped),
            Assumptions(dropped=frozenset(line.item_id for line in dropped if line.item_id)),
        )
    for weeks in (-8, -4, 4, 8):
        add(
            f"shift_{'+' if weeks > 0 else ''}{weeks}w",
            f"the same trip {abs(weeks)} weeks {'later' if weeks > 0 else 'earlier'} "
            "(seasonal lodging prices)",
            Assumptions(shift_days=7 * weeks),
        )
    add("one_more_traveler", "one more traveler", Assumptions(extra_travelers=1))
    return found


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    saving_minor: int
    value_lost: float


def optimize(inputs: Inputs, cap_minor: int) -> tuple[Budget, list[Step], bool]:
    """Fit the total under `cap_minor` by trading down what loses the least itinerary value per
    unit of money saved: cheaper lodging and meals first (no visit is lost), then paid visits
    in order of value per cost. Returns the budget, the steps taken and whether it fits."""
    a = Assumptions()
    budget = compute(inputs, a)
    steps: list[Step] = []
    if budget.total_minor <= cap_minor:
        return budget, steps, True
    moves: list[tuple[float, str, Assumptions]] = []
    if any(
        line.key == "estimate:lodging" and line.source is Source.PRICE_DATA for line in budget.lines
    ):
        moves.append(
            (0.0, "lodging at the lower-quartile price", replace(a, lodging_quantile="p25"))
        )
    if inputs.meal_prices is not None:
        moves.append(
            (0.0, "restaurants at the lower-quartile price", replace(a, meal_quantile="p25"))
        )
    for line in budget.lines:
        if line.optional and line.item_id is not None and line.amount_minor > 0:
            moves.append(
                (
                    line.value / line.amount_minor,
                    f"leave out {line.label}",
                    replace(a, dropped=frozenset({line.item_id})),
                )
            )
    moves.sort(key=lambda m: (m[0], m[1]))
    current = a
    for _, action, change in moves:
        candidate = Assumptions(
            lodging_quantile=(
                change.lodging_quantile
                if change.lodging_quantile != "median"
                else current.lodging_quantile
            ),
            meal_quantile=(
                change.meal_quantile if change.meal_quantile != "median" else current.meal_quantile
            ),
            dropped=current.dropped | change.dropped,
        )
        after = compute(inputs, candidate)
        saving = budget.total_minor - after.total_minor
        if saving <= 0:
            continue
        lost = sum(line.value for line in budget.lines if line.item_id in change.dropped)
        steps.append(Step(action, saving, lost))
        current, budget = candidate, after
        if budget.total_minor <= cap_minor:
            return budget, steps, True
    return budget, steps, False


def weighted_confidence(lines: Iterable[Line]) -> float:
    total = sum(line.amount_minor for line in lines)
    if total <= 0:
        return 0.0
    return round(sum(line.confidence * line.amount_minor for line in lines) / total, 2)
