"""Compose a whole journey (rides between cities, a bed each night, three meals and sights each
day) from a sandbox of options, under the traveler's hard constraints, at the least cost and
then as well as the budget allows.

The search is exact where it is cheap to be: every order of the cities and every split of the
nights is priced; per leg the cheapest ride of a mode family that may be combined (flights and
taxis, or one's own car throughout); per city the cheapest stay that allows the group's house
rules, room type and minimum nights; meals by a cover of the wished cuisines over the cities
(an exact dynamic programme over the cuisines still to cover, each city's cheapest cover found
among the few cheapest restaurants of each cuisine). The cheapest journey found is then improved
greedily within the budget: meals on travel days where the timetable leaves time, better-rated
stays and restaurants.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from navio.journeys.domain import (
    MEALS,
    MODES,
    Eatery,
    Journey,
    JourneyDay,
    JourneyRequest,
    Meal,
    Ride,
    Sandbox,
    Sight,
    Stay,
    journey_cost,
    meal_fits_after,
    meal_fits_before,
    sight_fits_after,
    sight_fits_before,
    stay_allowed,
)

# each wished cuisine's cover is sought among this many of its cheapest restaurants per city
COVER_CANDIDATES = 4
# a state may hold dozens of cities: the orders of the richest this many are priced
MAX_CANDIDATE_CITIES = 8
FAMILIES: tuple[frozenset[str], ...] = (frozenset({"flight", "taxi"}), frozenset({"self-driving"}))


class NoJourney(Exception):
    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = tuple(reasons)


@dataclass(frozen=True)
class _Slot:
    day: int  # index in the journey
    meal: str
    city: str


@dataclass
class _Option:
    cost: int
    order: tuple[str, ...]
    nights: tuple[int, ...]
    rides: tuple[Ride, ...]
    stays: tuple[Stay, ...]
    meals: dict[_Slot, Eatery]


class _Index:
    def __init__(self, request: JourneyRequest, sandbox: Sandbox) -> None:
        self.request = request
        allowed = {m for m in MODES if m not in request.excluded_modes}
        self.families = [f & allowed for f in FAMILIES if f & allowed]
        self.rides: dict[tuple[str, str], list[Ride]] = defaultdict(list)
        for ride in sandbox.rides:
            if not ride.too_long(request.max_road_minutes):
                self.rides[ride.origin, ride.destination].append(ride)
        self.stays: dict[str, list[Stay]] = defaultdict(list)
        self.lodged = {stay.city for stay in sandbox.stays}
        for stay in sandbox.stays:
            if stay_allowed(stay, request):
                self.stays[stay.city].append(stay)
        # one restaurant (the cheapest branch) and one sight per name and city: a traveler
        # does not go to the same chain twice
        self.eateries: dict[str, list[Eatery]] = defaultdict(list)
        named: set[tuple[str, str]] = set()
        for eatery in sorted(sandbox.eateries, key=lambda e: (e.cost_minor, -(e.rating or 0))):
            if (eatery.name, eatery.city) not in named:
                named.add((eatery.name, eatery.city))
                self.eateries[eatery.city].append(eatery)
        self.sights: dict[str, list[Sight]] = defaultdict(list)
        places: set[tuple[str, str]] = set()
        for sight in sandbox.sights:
            if (sight.name, sight.city) not in places:
                places.add((sight.name, sight.city))
                self.sights[sight.city].append(sight)
        self.wished = tuple(c.lower() for c in request.cuisines)
        self._covers: dict[tuple[str, int, int, int], tuple[int, tuple[Eatery, ...]] | None] = {}
        self._rides: dict[tuple[str, str, date, frozenset[str]], Ride | None] = {}
        self._stays: dict[tuple[str, int], Stay | None] = {}

    def ride(self, origin: str, destination: str, day: date, family: frozenset[str]) -> Ride | None:
        key = (origin, destination, day, family)
        if key not in self._rides:
            fitting = [
                r
                for r in self.rides.get((origin, destination), ())
                if r.mode in family and (r.day is None or r.day == day)
            ]
            people = self.request.people
            self._rides[key] = min(
                fitting, key=lambda r: (r.cost(people), r.minutes or 0), default=None
            )
        return self._rides[key]

    def stay(self, city: str, nights: int) -> Stay | None:
        key = (city, nights)
        if key not in self._stays:
            fitting = [s for s in self.stays.get(city, ()) if s.minimum_nights <= nights]
            people = self.request.people
            self._stays[key] = min(
                fitting, key=lambda s: (s.cost(nights, people), -(s.rating or 0)), default=None
            )
        return self._stays[key]

    def meals_floor(self, city: str, count: int) -> int:
        """The least `count` distinct meals can cost a person in `city`, cuisines aside."""
        return sum(e.cost_minor for e in self.eateries.get(city, [])[:count])

    def covers(self, eatery: Eatery, mask: int) -> bool:
        kinds = {c.lower() for c in eatery.cuisines}
        return all(self.wished[i] in kinds for i in range(len(self.wished)) if mask >> i & 1)

    def cover(
        self, city: str, required: int, optional: int, mask: int
    ) -> tuple[int, tuple[Eatery, ...]] | None:
        """The cheapest distinct restaurants filling `required` meals (and at most `optional`
        more) whose cuisines include every wished cuisine in `mask`."""
        key = (city, required, optional, mask)
        if key not in self._covers:
            self._covers[key] = self._cover(city, required, optional, mask)
        return self._covers[key]

    def _cover(
        self, city: str, required: int, optional: int, mask: int
    ) -> tuple[int, tuple[Eatery, ...]] | None:
        eateries = self.eateries.get(city, [])
        wanted = [i for i in range(len(self.wished)) if mask >> i & 1]
        pools = [[e for e in eateries if self.covers(e, 1 << i)][:COVER_CANDIDATES] for i in wanted]
        best: tuple[int, tuple[Eatery, ...]] | None = None
        for picks in itertools.product(*pools):
            chosen = list(dict.fromkeys(picks))
            if len(chosen) > required + optional:
                continue
            fill = [e for e in eateries if e not in chosen][: max(0, required - len(chosen))]
            if len(chosen) + len(fill) < required:
                continue
            selection = tuple(chosen + fill)
            cost = sum(e.cost_minor for e in selection)
            if best is None or cost < best[0]:
                best = (cost, selection)
        return best


def _splits(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    for cuts in itertools.combinations(range(1, total), parts - 1):
        bounds = (0, *cuts, total)
        yield tuple(bounds[i + 1] - bounds[i] for i in range(parts))


def _slots(
    order: tuple[str, ...], arrivals: list[int], rides: tuple[Ride, ...], days: int, origin: str
) -> tuple[dict[str, list[_Slot]], dict[str, list[_Slot]]]:
    """Meal slots per city: the full days' (required) and the travel days' that the timetable
    leaves time for (optional; the city left gets the slot when both could)."""
    required: dict[str, list[_Slot]] = defaultdict(list)
    optional: dict[str, list[_Slot]] = defaultdict(list)
    travel = {arrivals[i]: rides[i] for i in range(len(order))}
    travel[days - 1] = rides[-1]
    for index in range(days):
        ride = travel.get(index)
        if ride is None:
            city = order[max(i for i in range(len(order)) if arrivals[i] < index)]
            required[city].extend(_Slot(index, meal, city) for meal in MEALS)
            continue
        for meal in MEALS:
            if ride.origin != origin and meal_fits_before(meal, ride):
                optional[ride.origin].append(_Slot(index, meal, ride.origin))
            elif ride.destination != origin and meal_fits_after(meal, ride):
                optional[ride.destination].append(_Slot(index, meal, ride.destination))
    return required, optional


class _Composer:
    def __init__(self, request: JourneyRequest, sandbox: Sandbox) -> None:
        self.request = request
        self.index = _Index(request, sandbox)
        self.failures: dict[str, int] = defaultdict(int)

    def candidates(self) -> list[str]:
        cities = [
            c
            for c in dict.fromkeys(self.request.destinations)
            if c != self.request.origin and self.index.stays.get(c)
        ]
        for c in self.request.destinations:
            if c == self.request.origin or self.index.stays.get(c):
                continue
            if c in self.index.lodged:
                self.failures[f"no stay in {c} allows the house rules and room type asked for"] += 1
            else:
                self.failures[f"no lodging with a price on offer in {c}"] += 1
        # richest first: most sights, then most restaurants
        cities.sort(key=lambda c: (-len(self.index.sights[c]), -len(self.index.eateries[c]), c))
        return cities[:MAX_CANDIDATE_CITIES]

    def search(self) -> _Option | None:
        request = self.request
        best: _Option | None = None
        for order in itertools.permutations(self.candidates(), request.cities):
            for nights in _splits(request.days - 1, request.cities):
                for family in self.index.families:
                    option = self.price(order, nights, family, best.cost if best else None)
                    if option is not None and (best is None or option.cost < best.cost):
                        best = option
        return best

    def price(
        self,
        order: tuple[str, ...],
        nights: tuple[int, ...],
        family: frozenset[str],
        beaten: int | None = None,
    ) -> _Option | None:
        """The cheapest journey of this order, nights and mode family; None when there is
        none, or when it cannot cost less than `beaten` (a bound on rides, beds and the
        cheapest meals, before the cuisines are covered)."""
        request, index = self.request, self.index
        arrivals = [sum(nights[:i]) for i in range(len(order))]
        stops = (request.origin, *order, request.origin)
        leave = [*arrivals, request.days - 1]
        rides: list[Ride] = []
        for i in range(len(stops) - 1):
            day = request.start + timedelta(days=leave[i])
            ride = index.ride(stops[i], stops[i + 1], day, family)
            if ride is None:
                self.failures[
                    f"no {'/'.join(sorted(family))} from {stops[i]} to {stops[i + 1]} on {day}"
                ] += 1
                return None
            rides.append(ride)
        stays: list[Stay] = []
        for city, n in zip(order, nights, strict=True):
            stay = index.stay(city, n)
            if stay is None:
                self.failures[f"no stay in {city} for {n} night(s)"] += 1
                return None
            if len(index.sights[city]) < n - 1:
                self.failures[f"{city} has too few sights for {n - 1} full day(s)"] += 1
                return None
            stays.append(stay)
        people = request.people
        fixed = sum(r.cost(people) for r in rides) + sum(
            s.cost(n, people) for s, n in zip(stays, nights, strict=True)
        )
        floor = sum(index.meals_floor(c, 3 * (n - 1)) for c, n in zip(order, nights, strict=True))
        if beaten is not None and fixed + floor * people >= beaten:
            return None
        required, optional = _slots(order, arrivals, tuple(rides), request.days, request.origin)
        meals = self.meals(order, required, optional)
        if meals is None:
            return None
        cost = fixed + sum(e.cost_minor for e in meals.values()) * people
        return _Option(cost, order, nights, tuple(rides), tuple(stays), meals)

    def meals(
        self,
        order: tuple[str, ...],
        required: dict[str, list[_Slot]],
        optional: dict[str, list[_Slot]],
    ) -> dict[_Slot, Eatery] | None:
        index = self.index
        full = (1 << len(index.wished)) - 1
        # states: cuisines covered so far -> (cost, choice per city)
        states: dict[int, tuple[int, tuple[tuple[Eatery, ...], ...]]] = {0: (0, ())}
        for city in order:
            r, o = len(required[city]), len(optional[city])
            nxt: dict[int, tuple[int, tuple[tuple[Eatery, ...], ...]]] = {}
            for covered, (cost, picks) in states.items():
                for mask in range(full + 1):
                    if mask & covered:
                        continue
                    found = index.cover(city, r, o, mask)
                    if found is None:
                        continue
                    state = covered | mask
                    total = cost + found[0]
                    if state not in nxt or total < nxt[state][0]:
                        nxt[state] = (total, (*picks, found[1]))
            states = nxt
        if full not in states:
            if any(not index.cover(c, len(required[c]), len(optional[c]), 0) for c in order):
                self.failures["too few restaurants for three distinct meals a day"] += 1
            else:
                wished = ", ".join(self.request.cuisines)
                self.failures[f"no restaurants serving {wished} on the way"] += 1
            return None
        assigned: dict[_Slot, Eatery] = {}
        for city, chosen in zip(order, states[full][1], strict=True):
            slots = [*required[city], *optional[city]]
            assigned.update(zip(slots, chosen, strict=False))
        return assigned


def _upgrade(composer: _Composer, option: _Option) -> _Option:
    """Spend what the budget leaves: meals on travel days, then better stays and restaurants."""
    request, index = composer.request, composer.index
    people = request.people
    arrivals = [sum(option.nights[:i]) for i in range(len(option.order))]
    _, optional = _slots(option.order, arrivals, option.rides, request.days, request.origin)
    meals = dict(option.meals)
    cost = option.cost

    def unused(city: str) -> list[Eatery]:
        taken = set(meals.values())
        return [e for e in index.eateries[city] if e not in taken]

    for city in option.order:
        for slot in optional[city]:
            if slot in meals:
                continue
            spare = unused(city)
            if spare and cost + spare[0].cost_minor * people <= request.budget_minor:
                meals[slot] = spare[0]
                cost += spare[0].cost_minor * people

    stays = list(option.stays)
    for i, (city, n) in enumerate(zip(option.order, option.nights, strict=True)):
        better = sorted(
            (s for s in index.stays[city] if s.minimum_nights <= n),
            key=lambda s: (-(s.rating or 0), s.cost(n, people)),
        )
        for stay in better:
            if (stay.rating or 0) <= (stays[i].rating or 0):
                break
            delta = stay.cost(n, people) - stays[i].cost(n, people)
            if cost + delta <= request.budget_minor:
                stays[i], cost = stay, cost + delta
                break

    full = (1 << len(index.wished)) - 1
    for slot in sorted(meals, key=lambda s: (s.day, MEALS.index(s.meal))):
        current = meals[slot]
        rest = set(meals.values()) - {current}
        covered = 0
        for other in rest:
            covered |= sum(1 << i for i in range(len(index.wished)) if index.covers(other, 1 << i))
        for eatery in sorted(unused(slot.city), key=lambda e: (-(e.rating or 0), e.cost_minor)):
            if (eatery.rating or 0) <= (current.rating or 0):
                break
            keeps = covered | sum(
                1 << i for i in range(len(index.wished)) if index.covers(eatery, 1 << i)
            )
            delta = (eatery.cost_minor - current.cost_minor) * people
            if keeps & full == full and cost + delta <= request.budget_minor:
                meals[slot], cost = eatery, cost + delta
                break
    return replace(option, meals=meals, stays=tuple(stays), cost=cost)


def _chain(sights: list[Sight]) -> list[Sight]:
    """Nearest-neighbour order so that a day's sights lie close together."""
    located = [s for s in sights if s.lat is not None and s.lon is not None]
    rest = [s for s in sights if s.lat is None or s.lon is None]
    if not located:
        return rest
    here = min(located, key=lambda s: (s.lat or 0.0, s.lon or 0.0))
    chain = [here]
    located.remove(here)
    while located:
        lat, lon = here.lat or 0.0, here.lon or 0.0
        scale = math.cos(math.radians(lat))
        here = min(
            located,
            key=lambda s: ((s.lat or 0.0) - lat) ** 2 + (((s.lon or 0.0) - lon) * scale) ** 2,
        )
        chain.append(here)
        located.remove(here)
    return chain + rest


def _build(composer: _Composer, option: _Option) -> Journey:
    request, index = composer.request, composer.index
    arrivals = [sum(option.nights[:i]) for i in range(len(option.order))]
    travel = {arrivals[i]: option.rides[i] for i in range(len(option.order))}
    travel[request.days - 1] = option.rides[-1]
    pace = max(1, request.sights_per_day)
    queues = {c: _chain(index.sights[c]) for c in option.order}
    sights: dict[int, list[Sight]] = defaultdict(list)
    # full days first (at least one sight each, then up to the pace), then travel days
    city_of: dict[int, str] = {}
    for i, city in enumerate(option.order):
        for day in range(arrivals[i], arrivals[i] + option.nights[i]):
            city_of[day] = city
    full_days = [d for d in range(request.days) if d not in travel]
    for city, queue in queues.items():
        # consecutive stretches of the nearest-neighbour chain, so a day's sights lie together;
        # every full day one before any gets more, up to the pace
        mine = [d for d in full_days if city_of[d] == city]
        if not mine:
            continue
        each = min(pace, len(queue) // len(mine))
        extra = min(len(queue) - each * len(mine), len(mine) * (pace - each))
        for i, day in enumerate(mine):
            take = each + (1 if i < extra else 0)
            sights[day].extend(queue[:take])
            del queue[:take]
    for day, ride in sorted(travel.items()):
        if ride.origin != request.origin and sight_fits_before(ride) and queues[ride.origin]:
            sights[day].append(queues[ride.origin].pop(0))
        elif (
            ride.destination != request.origin
            and sight_fits_after(ride)
            and queues[ride.destination]
        ):
            sights[day].append(queues[ride.destination].pop(0))
    by_day: dict[int, list[Meal]] = defaultdict(list)
    for slot, eatery in option.meals.items():
        by_day[slot.day].append(Meal(slot.meal, eatery))
    days: list[JourneyDay] = []
    for d in range(request.days):
        moving = travel.get(d)
        city = moving.destination if moving else city_of[d]
        stay = None
        if d < request.days - 1:
            stay = option.stays[option.order.index(city_of[d])]
        meals = tuple(sorted(by_day[d], key=lambda m: MEALS.index(m.slot)))
        days.append(
            JourneyDay(
                number=d + 1,
                day=request.start + timedelta(days=d),
                city=city,
                ride=moving,
                meals=meals,
                sights=tuple(sights[d]),
                stay=stay,
            )
        )
    shape = tuple(days)
    breakdown = journey_cost(shape, request.people)
    return Journey(days=shape, cost_minor=sum(breakdown.values()), breakdown=breakdown)


def compose(request: JourneyRequest, sandbox: Sandbox, *, upgrade: bool = True) -> Journey:
    """The cheapest journey meeting every constraint, then (`upgrade`) improved within the
    budget; `NoJourney` with the reasons when there is none."""
    if request.days < 2:
        raise NoJourney(["a journey there and back takes at least two days"])
    if request.cities < 1 or request.days - 1 < request.cities:
        raise NoJourney([f"{request.cities} cities need at least {request.cities + 1} days"])
    composer = _Composer(request, sandbox)
    if not composer.index.families:
        raise NoJourney(["every mode of transport is excluded"])
    best = composer.search()
    if best is None:
        reasons = sorted(composer.failures, key=lambda r: -composer.failures[r])[:5]
        raise NoJourney(reasons or ["no city to visit"])
    if best.cost > request.budget_minor:
        raise NoJourney(
            [
                f"the cheapest journey costs {best.cost} (minor units), "
                f"over the budget of {request.budget_minor}"
            ]
        )
    return _build(composer, _upgrade(composer, best) if upgrade else best)
