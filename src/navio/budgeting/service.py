"""Budget use cases: compute a trip's budget, what-if scenarios, fit a cap, season profiles,
operator defaults. A trip's budget is for its members only (404 to anyone else). Never commits.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from navio.budgeting import domain, seasonality, taxes
from navio.budgeting.domain import Assumptions, Budget, Inputs, Line, PricedItem, PriceStats
from navio.budgeting.errors import InvalidBudgetRequest, LocationNotFound, NoSeasonData
from navio.budgeting.events import DefaultsChanged, SeasonModelImported
from navio.budgeting.models import BudgetPolicy, CategoryDefault, SeasonModelRecord
from navio.budgeting.repository import BudgetingRepository
from navio.budgeting.schemas import (
    BudgetRead,
    BudgetRequest,
    CategoryRead,
    DayRead,
    DefaultsRead,
    DefaultsUpdate,
    LineRead,
    OptimizeRead,
    OptimizeRequest,
    PersonRead,
    ScenarioRead,
    ScenariosRead,
    StepRead,
)
from navio.expenses import trip_spending
from navio.iam import Principal, user_cards
from navio.kernel.clock import Clock
from navio.kernel.events import EventRecorder
from navio.kernel.fx import EcbRates, FrozenRate, convert_at
from navio.kernel.money import currency_exponent, is_currency
from navio.places import PlaceCard, place_cards, price_samples
from navio.pricing import crowd_price
from navio.trips import ItemCard, TripCard, TripNotFound, trip_card, trip_items

MEAL_CATEGORIES = frozenset({"restaurant", "cafe", "fast_food", "bar", "pub"})
MAX_CONTINGENCY = Decimal(100)


@dataclass
class _Rates:
    """Planning rates into the budget currency, one per source currency, remembered."""

    rates: EcbRates
    currency: str
    on: date
    used: dict[str, FrozenRate] = field(default_factory=dict)

    def to_budget(self, amount_minor: int, currency: str) -> int:
        if currency == self.currency:
            return amount_minor
        if currency not in self.used:
            self.used[currency] = self.rates.planning_rate(currency, self.currency, self.on)
        return convert_at(amount_minor, self.used[currency])

    def major_to_budget(self, amount: float, currency: str) -> int:
        minor_units = domain.minor(Decimal(str(amount)).scaleb(currency_exponent(currency)))
        return self.to_budget(minor_units, currency)


@dataclass(frozen=True)
class _Destination:
    name: str | None
    country: str | None
    lat: float | None
    lon: float | None


def _category(item: ItemCard, place: PlaceCard | None) -> str:
    if item.kind == "lodging":
        return "lodging"
    if item.kind == "transport":
        return "transport"
    if place is not None and place.category in MEAL_CATEGORIES:
        return "food"
    if item.kind in ("place", "activity"):
        return "activities"
    wanted = str(item.details.get("category", ""))
    return wanted if wanted in domain.CATEGORIES else "misc"


def _value(place: PlaceCard | None) -> float:
    """What a visit is worth to the itinerary: 1, plus its rating (out of 5) and popularity."""
    if place is None:
        return 1.0
    return round(1.0 + (place.rating or 3.0) / 5.0 + min(1.0, place.popularity), 3)


# where the catalogue prices nothing: travelers' reports of these items within this distance
CROWD_ITEMS = {"meal": "meal_inexpensive", "night": "hotel_night"}
CROWD_RADIUS_KM = 10.0


class BudgetingService:
    def __init__(
        self, repo: BudgetingRepository, events: EventRecorder, clock: Clock, rates: EcbRates
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        self.rates = rates

    async def _trip(self, principal: Principal, trip_id: uuid.UUID) -> TripCard:
        card = await trip_card(self.repo.session, trip_id)
        if card is None or card.role_of(principal.user_id) is None:
            raise TripNotFound()
        return card

    async def _destination(self, card: TripCard) -> _Destination:
        if not card.destinations:
            return _Destination(None, None, None, None)
        first = card.destinations[0]
        name, country = first.get("name"), first.get("country_code")
        lat, lon = first.get("lat"), first.get("lon")
        place_id = first.get("place_id")
        if place_id:
            place = (await place_cards(self.repo.session, [uuid.UUID(str(place_id))])).get(
                uuid.UUID(str(place_id))
            )
            if place is not None:
                name = place.name if place.kind == "city" else (place.locality or name)
                country = country or place.country_code
                lat = lat if lat is not None else place.lat
                lon = lon if lon is not None else place.lon
        return _Destination(name, country, lat, lon)

    async def _prices(self, unit: str, where: _Destination, rates: _Rates) -> PriceStats | None:
        near = (where.lat, where.lon) if where.lat is not None and where.lon is not None else None
        found = await price_samples(
            self.repo.session,
            unit=unit,
            locality=where.name,
            country_code=where.country,
            near=near,
        )
        prices: list[int] = []
        datasets: set[str] = set()
        for _, price in found:
            if not is_currency(price.currency):
                continue
            prices.append(rates.major_to_budget(price.amount, price.currency))
            datasets.add(price.dataset or "catalogue")
        what = "per person and meal" if unit == "meal" else "per room and night"
        if not prices and near is not None:
            return await self._reported(unit, near, rates)
        return PriceStats.of(
            prices, f"{', '.join(sorted(datasets))} prices {what} in {where.name or 'the area'}"
        )

    async def _reported(
        self, unit: str, near: tuple[float, float], rates: _Rates
    ) -> PriceStats | None:
        """Where the catalogue prices nothing: what travelers reported paying nearby."""
        item = CROWD_ITEMS[unit]
        crowd = await crowd_price(
            self.repo.session, item, *near, CROWD_RADIUS_KM, self.clock.now().date()
        )
        if crowd is None:
            return None
        return PriceStats(
            samples=crowd.reporters,
            median=rates.to_budget(crowd.median_eur_minor, "EUR"),
            p25=rates.to_budget(crowd.low_eur_minor, "EUR"),
            basis=crowd.basis,
            counted="travelers",
        )

    async def _season(
        self, where: _Destination, segment: str
    ) -> tuple[Any, str, dict[str, Any] | None]:
        record = await self.repo.season_model()
        if record is None:
            return (lambda nights: 1.0), "no price history imported: no seasonal adjustment", None
        model = seasonality.SeasonModel.from_dict(record.payload)
        profiles: dict[int, seasonality.SeasonProfile] = {}

        def of_year(year: int) -> seasonality.SeasonProfile:
            if year not in profiles:
                profiles[year] = seasonality.profile(
                    model, country_code=where.country, lat=where.lat, year=year, segment=segment
                )
            return profiles[year]

        def season(nights: Sequence[date]) -> float:
            if not nights:
                return 1.0
            by_year: dict[int, list[date]] = defaultdict(list)
            for night in nights:
                by_year[night.year].append(night)
            total = sum(
                seasonality.mean_multiplier(of_year(y), days) * len(days)
                for y, days in by_year.items()
            )
            return total / len(nights)

        first = of_year(self.clock.now().year)
        return season, first.basis, {"confidence": first.confidence, "basis": first.basis}

    async def _inputs(
        self,
        card: TripCard,
        currency: str,
        contingency_pct: Decimal | None,
        segment: str,
    ) -> tuple[Inputs, _Rates, dict[str, Any] | None]:
        if not is_currency(currency):
            raise InvalidBudgetRequest(f"{currency!r} is not a currency in use", field="currency")
        rates = _Rates(self.rates, currency, min(card.start_date, self.clock.now().date()))
        where = await self._destination(card)
        items = await trip_items(self.repo.session, card.id)
        places = await place_cards(self.repo.session, [i.place_id for i in items if i.place_id])
        priced: list[PricedItem] = []
        for item in items:
            place = places.get(item.place_id) if item.place_id else None
            category = _category(item, place)
            people = len(item.participants) or card.travelers
            if item.cost_minor is not None and item.cost_currency:
                amount = rates.to_budget(item.cost_minor, item.cost_currency)
                basis = f"price on the trip item: {item.cost_minor} {item.cost_currency} (minor)"
            elif place is not None and place.price is not None and place.price.unit == "meal":
                amount = rates.major_to_budget(place.price.amount * people, place.price.currency)
                basis = (
                    f"{place.price.amount} {place.price.currency} per person at {place.name} "
                    f"({place.price.dataset or 'catalogue'}) x {people}"
                )
            else:
                continue
            priced.append(
                PricedItem(
                    id=item.id,
                    category=category,
                    title=item.title,
                    amount_minor=amount,
                    day=item.day,
                    participants=item.participants,
                    optional=category == "activities" and item.kind in ("place", "activity"),
                    value=_value(place),
                    basis=basis,
                )
            )
        recorded_totals: dict[str, int] = defaultdict(int)
        recorded_days: dict[str, set[date]] = defaultdict(set)
        for spend in await trip_spending(self.repo.session, card.id):
            recorded_totals[spend.category] += rates.to_budget(spend.amount_minor, spend.currency)
            recorded_days[spend.category].add(spend.day)
        countries = ["*"] + ([where.country] if where.country else [])
        defaults: dict[str, int] = {}
        chosen: dict[str, CategoryDefault] = {}
        for row in await self.repo.defaults(countries):
            if row.category not in chosen or row.country != "*":
                chosen[row.category] = row
        for category, row in chosen.items():
            defaults[category] = rates.to_budget(row.amount_minor, row.currency)
        default_basis = ", ".join(
            sorted({"all countries" if r.country == "*" else r.country for r in chosen.values()})
        )
        if contingency_pct is None:
            policies = {p.country: p for p in await self.repo.policies(countries)}
            policy = policies.get(where.country or "") or policies.get("*")
            contingency_pct = (
                Decimal(policy.contingency_pct) if policy else domain.DEFAULT_CONTINGENCY_PCT
            )
        season, season_basis, season_info = await self._season(where, segment)
        nights = max(0, (card.end_date - card.start_date).days)

        def fees(a: Assumptions, lodging_total: int) -> list[Line]:
            start = card.start_date + timedelta(days=a.shift_days)
            travelers = card.travelers + a.extra_travelers
            lines = []
            for charge in taxes.charges_for(where.country, where.name, start):
                if charge.per == "lodging_pct":
                    amount = domain.minor(Decimal(lodging_total) * charge.amount / 100)
                    quantity: float = float(charge.amount)
                    rule = f"{charge.amount} % of lodging"
                else:
                    assert charge.currency is not None
                    unit = rates.major_to_budget(float(charge.amount), charge.currency)
                    count = travelers * (nights if charge.per == "night" else 1)
                    amount, quantity = unit * count, count
                    rule = f"{charge.amount} {charge.currency} per person per {charge.per}"
                lines.append(
                    Line(
                        key=f"tax:{charge.name}",
                        category="fees",
                        label=charge.name,
                        amount_minor=amount,
                        source=domain.Source.TAX_TABLE,
                        confidence=0.8,
                        basis=f"{rule}, since {charge.since} ({charge.source})",
                        quantity=quantity,
                    )
                )
            return lines

        inputs = Inputs(
            currency=currency,
            start=card.start_date,
            end=card.end_date,
            travelers=card.travelers,
            members=tuple(sorted(card.members, key=str)),
            items=tuple(priced),
            meal_prices=await self._prices("meal", where, rates),
            night_prices=await self._prices("night", where, rates),
            recorded={c: (t, len(recorded_days[c])) for c, t in recorded_totals.items()},
            defaults=defaults,
            default_basis=default_basis,
            season=season,
            season_basis=season_basis,
            fees=fees,
            contingency_pct=contingency_pct,
        )
        return inputs, rates, season_info

    async def _read(
        self,
        card: TripCard,
        budget: Budget,
        rates: _Rates,
        season_info: dict[str, Any] | None,
        method: domain.SplitMethod,
    ) -> BudgetRead:
        actual_by_category: dict[str, int] = defaultdict(int)
        actual_by_day: dict[date, int] = defaultdict(int)
        for spend in await trip_spending(self.repo.session, card.id):
            amount = rates.to_budget(spend.amount_minor, spend.currency)
            actual_by_category[spend.category] += amount
            actual_by_day[spend.day] += amount
        planned_by_day: dict[date, int] = defaultdict(int)
        for line in budget.lines:
            if line.day is not None:
                planned_by_day[line.day] += line.amount_minor
        planned = budget.by_category()
        names = await user_cards(self.repo.session, budget.per_person)
        days = sorted(set(actual_by_day) | set(planned_by_day))
        return BudgetRead(
            trip_id=card.id,
            currency=budget.currency,
            start_date=budget.start,
            end_date=budget.end,
            days=budget.days,
            travelers=budget.travelers,
            lines=[
                LineRead(
                    key=line.key,
                    category=line.category,
                    label=line.label,
                    amount_minor=line.amount_minor,
                    source=line.source,
                    confidence=line.confidence,
                    basis=line.basis,
                    item_id=line.item_id,
                    day=line.day,
                    quantity=line.quantity,
                    unit_minor=line.unit_minor,
                    participants=list(line.participants),
                    optional=line.optional,
                )
                for line in budget.lines
            ],
            unestimated=list(budget.unestimated),
            categories=[
                CategoryRead(
                    category=category,
                    planned_minor=planned.get(category, 0),
                    actual_minor=actual_by_category.get(category, 0),
                    remaining_minor=planned.get(category, 0) - actual_by_category.get(category, 0),
                    confidence=domain.weighted_confidence(
                        line for line in budget.lines if line.category == category
                    ),
                )
                for category in domain.CATEGORIES
            ],
            by_day=[
                DayRead(
                    day=day,
                    planned_minor=planned_by_day.get(day, 0),
                    actual_minor=actual_by_day.get(day, 0),
                )
                for day in days
            ],
            subtotal_minor=budget.subtotal_minor,
            contingency_pct=budget.contingency_pct,
            contingency_minor=budget.contingency_minor,
            total_minor=budget.total_minor,
            actual_minor=sum(actual_by_category.values()),
            confidence=domain.weighted_confidence(budget.lines),
            per_person=[
                PersonRead(
                    user_id=user,
                    display_name=names[user].display_name if user in names else "",
                    amount_minor=amount,
                )
                for user, amount in budget.per_person.items()
            ],
            split_method=method,
            season=season_info,
            rates=[
                {
                    "base": r.base,
                    "quote": r.quote,
                    "rate": format(r.rate.normalize(), "f"),
                    "published_on": r.published_on.isoformat(),
                    "source": r.source,
                }
                for r in rates.used.values()
            ],
        )

    # ---------------------------------------------------------------- use cases
    async def compute(self, principal: Principal, body: BudgetRequest) -> BudgetRead:
        card = await self._trip(principal, body.trip_id)
        pct = body.contingency_pct
        if pct is not None and not Decimal(0) <= pct <= MAX_CONTINGENCY:
            raise InvalidBudgetRequest("between 0 and 100", field="contingency_pct")
        weights = body.split.weights
        if weights is not None:
            strangers = [str(u) for u in weights if u not in card.members]
            if strangers:
                raise InvalidBudgetRequest(
                    f"not on this trip: {', '.join(strangers)}", field="split.weights"
                )
            if any(w < 0 for w in weights.values()) or not any(weights.values()):
                raise InvalidBudgetRequest(
                    "weights must be non-negative and not all zero", field="split.weights"
                )
        inputs, rates, season = await self._inputs(
            card, body.currency or card.currency, pct, body.lodging_segment
        )
        budget = domain.compute(inputs, split=body.split.method, weights=weights)
        return await self._read(card, budget, rates, season, body.split.method)

    async def scenarios(
        self, principal: Principal, trip_id: uuid.UUID, currency: str | None
    ) -> ScenariosRead:
        card = await self._trip(principal, trip_id)
        inputs, _, _ = await self._inputs(card, currency or card.currency, None, "city")
        base = domain.compute(inputs)
        return ScenariosRead(
            trip_id=card.id,
            currency=inputs.currency,
            base_total_minor=base.total_minor,
            scenarios=[
                ScenarioRead(
                    name=s.name,
                    description=s.description,
                    start_date=s.budget.start,
                    end_date=s.budget.end,
                    travelers=s.budget.travelers,
                    total_minor=s.budget.total_minor,
                    delta_minor=s.delta_minor,
                    per_person_minor=s.budget.total_minor // max(1, s.budget.travelers),
                    by_category=s.budget.by_category(),
                )
                for s in domain.scenarios(inputs, base)
            ],
        )

    async def optimize(self, principal: Principal, body: OptimizeRequest) -> OptimizeRead:
        card = await self._trip(principal, body.trip_id)
        if body.cap_minor <= 0:
            raise InvalidBudgetRequest("the cap must be above zero", field="cap_minor")
        inputs, rates, season = await self._inputs(
            card, body.currency or card.currency, None, body.lodging_segment
        )
        budget, steps, fits = domain.optimize(inputs, body.cap_minor)
        return OptimizeRead(
            fits=fits,
            cap_minor=body.cap_minor,
            total_minor=budget.total_minor,
            steps=[
                StepRead(action=s.action, saving_minor=s.saving_minor, value_lost=s.value_lost)
                for s in steps
            ],
            budget=await self._read(card, budget, rates, season, domain.SplitMethod.EQUAL),
        )

    async def season_profile(
        self, location_id: uuid.UUID, year: int, segment: str
    ) -> dict[str, Any]:
        place = (await place_cards(self.repo.session, [location_id])).get(location_id)
        if place is None:
            raise LocationNotFound()
        record = await self.repo.season_model()
        if record is None:
            raise NoSeasonData(
                "an operator imports a price history with `navio import hotel-prices FILE`"
            )
        model = seasonality.SeasonModel.from_dict(record.payload)
        found = seasonality.profile(
            model, country_code=place.country_code, lat=place.lat, year=year, segment=segment
        )
        return {"location_id": str(place.id), "name": place.name, **found.to_dict()}

    # ---------------------------------------------------------------- operator defaults
    async def set_defaults(self, principal: Principal, body: DefaultsUpdate) -> DefaultsRead:
        if not is_currency(body.currency):
            raise InvalidBudgetRequest(f"{body.currency!r} is not a currency", field="currency")
        now = self.clock.now()
        for category, amount in body.per_person.items():
            if amount < 0:
                raise InvalidBudgetRequest("amounts must not be negative", field=category)
            if amount == 0:
                await self.repo.remove_default(body.country, category)
                continue
            row = await self.repo.default(body.country, category)
            if row is None:
                row = CategoryDefault(country=body.country, category=category)
                self.repo.session.add(row)
            row.amount_minor, row.currency = amount, body.currency
            row.updated_by, row.updated_at = str(principal.user_id), now
        if body.contingency_pct is not None:
            if not Decimal(0) <= body.contingency_pct <= MAX_CONTINGENCY:
                raise InvalidBudgetRequest("between 0 and 100", field="contingency_pct")
            policy = await self.repo.policy(body.country)
            if policy is None:
                policy = BudgetPolicy(country=body.country)
                self.repo.session.add(policy)
            policy.contingency_pct = str(body.contingency_pct)
            policy.updated_by, policy.updated_at = str(principal.user_id), now
        await self.repo.session.flush()
        self.events.record(
            DefaultsChanged(
                country=body.country,
                actor_id=str(principal.user_id),
                data=body.model_dump(mode="json"),
            )
        )
        return await self.defaults(body.country)

    async def defaults(self, country: str) -> DefaultsRead:
        rows = await self.repo.defaults([country])
        policy = await self.repo.policy(country)
        return DefaultsRead(
            country=country,
            per_person={
                r.category: {"amount_minor": r.amount_minor, "currency": r.currency} for r in rows
            },
            contingency_pct=Decimal(policy.contingency_pct) if policy else None,
        )

    # ---------------------------------------------------------------- price history
    async def store_season_model(self, model: seasonality.SeasonModel) -> SeasonModelRecord:
        """Keep a learnt model under its source's name (a re-import replaces it)."""
        record = await self.repo.season_model_named(model.source)
        if record is None:
            record = SeasonModelRecord(name=model.source)
            self.repo.session.add(record)
        record.country = model.country
        record.rows_used = model.rows_used
        record.payload = model.to_dict()
        record.updated_at = self.clock.now()
        await self.repo.session.flush()
        self.events.record(
            SeasonModelImported(
                model_name=model.source, country=model.country, rows_used=model.rows_used
            )
        )
        return record
