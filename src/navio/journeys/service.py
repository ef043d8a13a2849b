"""Use cases: compose a whole journey from options the client sends, or from the catalogue's
priced places and door-to-door transport estimates."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from navio.journeys.check import check
from navio.journeys.compose import NoJourney, compose
from navio.journeys.domain import (
    ROOM_TYPES,
    Eatery,
    Journey,
    JourneyRequest,
    Ride,
    Sandbox,
    Sight,
    Stay,
    forbidden_by,
)
from navio.journeys.errors import InvalidJourneyRequest, JourneyInfeasible, UnknownCity
from navio.journeys.schemas import (
    ComposeRequest,
    CostRead,
    DayRead,
    JourneyRead,
    MealRead,
    OptionsIn,
    PlaceRead,
    RideRead,
    SightRead,
    StayRead,
    ViolationRead,
)
from navio.kernel.cache import Cache
from navio.kernel.db import SessionSource
from navio.kernel.errors import InvalidInput
from navio.kernel.fx import EcbRates, convert_at
from navio.kernel.money import allocate, currency_exponent, is_currency
from navio.places import (
    LODGING_CATEGORIES,
    MEAL_CATEGORIES,
    CityCard,
    Offer,
    cities_named,
    city_offers,
    place_price,
)
from navio.transit import TransportOption, transport_options

CITY_RADIUS_M = 15_000.0
OFFERS_PER_CITY = 3000
SIGHTS_PER_CITY = 40
# catalogue lodging without a room type: what the category usually rents
ROOM_BY_CATEGORY = {
    "hostel": "shared room",
    "apartment": "entire home/apt",
    "camp_site": "entire home/apt",
}
TRAVEL_MODES = ("flight", "drive", "taxi")
DEPARTURE = clock_time(9, 0)


@dataclass(frozen=True)
class Composed:
    journey: Journey
    request: JourneyRequest
    sandbox: Sandbox
    currency: str
    source: Literal["options", "catalogue"]
    notes: tuple[str, ...]
    places: tuple[CityCard, ...] = ()


class JourneysService:
    def __init__(
        self, source: SessionSource, rates: EcbRates, cache: Cache, transit_cache_dir: Path
    ) -> None:
        self.source = source
        self.rates = rates
        self.cache = cache
        self.transit_cache_dir = transit_cache_dir

    async def compose(self, body: ComposeRequest) -> JourneyRead:
        return self.read(await self.composed(body))

    async def composed(
        self, body: ComposeRequest, regions: dict[str, list[CityCard]] | None = None
    ) -> Composed:
        currency = body.budget.currency
        if not is_currency(currency):
            raise InvalidJourneyRequest(f"{currency!r} is not an ISO 4217 currency", field="budget")
        if body.origin in body.destinations and len(body.destinations) == 1:
            raise InvalidJourneyRequest("the destination is the origin", field="destinations")
        if body.cities > len(set(body.destinations) - {body.origin}):
            raise InvalidJourneyRequest(
                f"{body.cities} cities asked for among {len(body.destinations)} destinations",
                field="cities",
            )
        request = JourneyRequest(
            origin=body.origin,
            destinations=tuple(body.destinations),
            cities=body.cities,
            start=body.start,
            days=body.days,
            people=body.people,
            budget_minor=body.budget.amount_minor,
            cuisines=tuple(body.cuisines),
            house_rules=tuple(body.house_rules),
            room_type=body.room_type,
            excluded_modes=tuple(body.excluded_modes),
            sights_per_day=body.sights_per_day,
            max_road_minutes=body.max_road_minutes,
        )
        notes: list[str] = []
        places: list[CityCard] = []
        source: Literal["options", "catalogue"]
        if body.options is not None:
            sandbox, source = _sandbox(body.options), "options"
        else:
            sandbox = await self._catalogue(request, currency, notes, regions or {}, places)
            source = "catalogue"
        try:
            journey = await asyncio.to_thread(compose, request, sandbox)
        except NoJourney as e:
            raise JourneyInfeasible("; ".join(e.reasons), reasons=list(e.reasons)) from None
        visited = {d.city for d in journey.days}
        return Composed(
            journey,
            request,
            sandbox,
            currency,
            source,
            tuple(notes),
            tuple(p for p in places if p.name in visited),
        )

    def read(self, composed: Composed) -> JourneyRead:
        journey, request = composed.journey, composed.request
        people = request.people
        days = []
        for d in journey.days:
            ride = d.ride
            days.append(
                DayRead(
                    number=d.number,
                    date=d.day,
                    city=d.city,
                    from_city=ride.origin if ride else None,
                    ride=None
                    if ride is None
                    else RideRead(
                        ref=ride.ref,
                        mode=ride.mode,
                        origin=ride.origin,
                        destination=ride.destination,
                        cost_minor=ride.cost(people),
                        minutes=ride.minutes,
                        km=ride.km,
                        departs=ride.departs,
                        arrives=ride.arrives,
                    ),
                    meals=[
                        MealRead(
                            slot=m.slot,
                            ref=m.eatery.ref,
                            name=m.eatery.name,
                            city=m.eatery.city,
                            cost_minor=m.eatery.cost_minor * people,
                            cuisines=sorted(m.eatery.cuisines),
                            rating=m.eatery.rating,
                        )
                        for m in d.meals
                    ],
                    sights=[
                        SightRead(ref=s.ref, name=s.name, city=s.city, lat=s.lat, lon=s.lon)
                        for s in d.sights
                    ],
                    stay=None
                    if d.stay is None
                    else StayRead(
                        ref=d.stay.ref,
                        name=d.stay.name,
                        city=d.stay.city,
                        room_type=d.stay.room_type,
                        rooms=d.stay.units(people),
                        cost_minor=d.stay.cost(1, people),
                        rating=d.stay.rating,
                    ),
                )
            )
        shares = allocate(journey.cost_minor, dict.fromkeys(range(people), 1))
        visited = list(dict.fromkeys(d.city for d in journey.days if d.city != request.origin))
        return JourneyRead(
            source=composed.source,
            cities=visited,
            cost=CostRead(
                currency=composed.currency,
                total_minor=journey.cost_minor,
                transport_minor=journey.breakdown.get("transport", 0),
                lodging_minor=journey.breakdown.get("lodging", 0),
                meals_minor=journey.breakdown.get("meals", 0),
                shares_minor=[shares[i] for i in range(people)],
                budget_minor=request.budget_minor,
            ),
            days=days,
            violations=[
                ViolationRead(family=v.family, code=v.code, day=v.day, message=v.message)
                for v in check(journey, request, composed.sandbox)
            ],
            notes=list(composed.notes),
            places=[
                PlaceRead(
                    name=p.name,
                    place_id=p.id,
                    country_code=p.country_code,
                    lat=p.lat,
                    lon=p.lon,
                    timezone=p.timezone,
                )
                for p in composed.places
            ],
        )

    # ---------------------------------------------------------------- the catalogue
    async def _catalogue(
        self,
        request: JourneyRequest,
        currency: str,
        notes: list[str],
        regions: dict[str, list[CityCard]],
        places: list[CityCard],
    ) -> Sandbox:
        names = [request.origin, *request.destinations]
        known = await cities_named(self.source, names)
        cards: dict[str, CityCard] = {}
        for name in dict.fromkeys(names):
            preferred = [c for c in regions.get(name, []) if c.name == name]
            matches = preferred or [c for c in known if _same(c.name, name)]
            if not matches:
                raise UnknownCity(
                    f"the catalogue knows no city called {name!r}", field="destinations"
                )
            cards[name] = matches[0]
        places.extend(replace(card, name=name) for name, card in cards.items())
        rides: list[Ride] = []
        stays: list[Stay] = []
        eateries: list[Eatery] = []
        sights: list[Sight] = []
        for name in request.destinations:
            if name == request.origin:
                continue
            card = cards[name]
            offers = await city_offers(
                self.source,
                locality=name,
                lat=card.lat,
                lon=card.lon,
                radius_m=CITY_RADIUS_M,
                limit=OFFERS_PER_CITY,
            )
            self._offers(name, offers, request.start, currency, stays, eateries, sights)
            if not any(s.city == name for s in stays):
                notes.append(f"{name}: the catalogue has no lodging with a price")
        options = transport_options(self.source, self.transit_cache_dir, self.rates, self.cache)
        # rides only between places a journey can use: the origin and the cities with a bed
        lodged = {s.city for s in stays}
        stops = [name for name in cards if name == request.origin or name in lodged]
        for a in stops:
            for b in stops:
                if a == b or (a != request.origin and b != request.origin and request.cities == 1):
                    continue
                origin, dest = cards[a], cards[b]
                zone = ZoneInfo(origin.timezone or "UTC")
                at = datetime.combine(request.start, DEPARTURE, tzinfo=zone)
                # one question per mode: a Pareto set over all of them would drop the car
                # behind a faster flight, yet the car is per vehicle and a group may prefer it
                found: list[TransportOption] = []
                for mode in TRAVEL_MODES:
                    try:
                        answer = await options.options(
                            f"{origin.lat},{origin.lon}", f"{dest.lat},{dest.lon}", at, modes=[mode]
                        )
                    except InvalidInput as e:
                        notes.append(f"{a} to {b}: {e.detail}")
                        continue
                    notes.extend(f"{a} to {b}: {n}" for n in answer.notes)
                    found.extend(answer.options)
                arrive_zone = ZoneInfo(dest.timezone or "UTC")
                for option in found:
                    if option.cost_minor is None:
                        continue
                    if "flight" in option.modes:
                        mode = "flight"
                    elif option.modes == ["taxi"]:
                        mode = "taxi"
                    elif option.modes == ["drive"]:
                        mode = "self-driving"
                    else:
                        continue
                    price = self._convert(
                        option.cost_minor, option.currency, currency, request.start
                    )
                    if price is None:
                        continue
                    rides.append(
                        Ride(
                            ref=option.id,
                            mode=mode,
                            origin=a,
                            destination=b,
                            price_minor=price,
                            minutes=round(option.duration_minutes),
                            km=round(sum((leg.metres or 0) for leg in option.legs) / 1000, 1),
                            departs=option.departure.astimezone(zone)
                            .time()
                            .replace(second=0, microsecond=0),
                            arrives=option.arrival.astimezone(arrive_zone)
                            .time()
                            .replace(second=0, microsecond=0),
                        )
                    )
        return Sandbox(tuple(rides), tuple(stays), tuple(eateries), tuple(sights))

    def _offers(
        self,
        city: str,
        offers: list[Offer],
        on: date,
        currency: str,
        stays: list[Stay],
        eateries: list[Eatery],
        sights: list[Sight],
    ) -> None:
        seen = 0
        for o in offers:
            price = place_price(o.attributes)
            amount = None
            if price is not None:
                exponent = currency_exponent(price.currency) if is_currency(price.currency) else 2
                amount = self._convert(
                    round(price.amount * 10**exponent), price.currency, currency, on
                )
            if o.category in MEAL_CATEGORIES:
                if amount is not None and price is not None and price.unit == "meal":
                    eateries.append(
                        Eatery(
                            ref=str(o.id),
                            name=o.name,
                            city=city,
                            cost_minor=amount,
                            cuisines=frozenset(str(c) for c in o.attributes.get("cuisines", [])),
                            rating=o.rating,
                        )
                    )
            elif o.category in LODGING_CATEGORIES:
                if amount is not None and price is not None and price.unit == "night":
                    stays.append(_stay(o, city, amount))
            elif seen < SIGHTS_PER_CITY and o.lat is not None and o.lon is not None:
                seen += 1
                sights.append(Sight(ref=str(o.id), name=o.name, city=city, lat=o.lat, lon=o.lon))

    def _convert(self, amount: int, base: str, quote: str, on: date) -> int | None:
        if base == quote:
            return amount
        try:
            return convert_at(amount, self.rates.planning_rate(base, quote, on))
        except InvalidInput:
            return None


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _stay(o: Offer, city: str, amount: int) -> Stay:
    attributes = o.attributes
    room = str(attributes.get("room_type") or "").lower()
    if room not in ROOM_TYPES:
        room = ROOM_BY_CATEGORY.get(o.category, "private room")
    forbids = forbidden_by(str(r) for r in attributes.get("house_rules") or [])
    nights = attributes.get("minimum_nights")
    occupancy = attributes.get("maximum_occupancy")
    return Stay(
        ref=str(o.id),
        name=o.name,
        city=city,
        price_minor=amount,
        room_type=room,
        forbids=forbids,
        minimum_nights=max(1, int(nights)) if isinstance(nights, int | float) else 1,
        occupancy=max(1, int(occupancy)) if isinstance(occupancy, int | float) else 2,
        rating=o.rating,
    )


def _sandbox(options: OptionsIn) -> Sandbox:
    refs: dict[str, set[str]] = {}
    for kind, items in (
        ("rides", options.rides),
        ("stays", options.stays),
        ("eateries", options.eateries),
        ("sights", options.sights),
    ):
        seen = refs.setdefault(kind, set())
        for item in items:
            if item.ref in seen:
                raise InvalidJourneyRequest(
                    f"{kind}: ref {item.ref!r} is given twice", field="options"
                )
            seen.add(item.ref)
    # the options' fields are the domain's; only the lists become sets
    return Sandbox(
        rides=tuple(Ride(**r.model_dump()) for r in options.rides),
        stays=tuple(
            Stay(**s.model_dump(exclude={"forbids"}), forbids=frozenset(s.forbids))
            for s in options.stays
        ),
        eateries=tuple(
            Eatery(**e.model_dump(exclude={"cuisines"}), cuisines=frozenset(e.cuisines))
            for e in options.eateries
        ),
        sights=tuple(Sight(**s.model_dump()) for s in options.sights),
    )
