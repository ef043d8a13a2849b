from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navio.journeys.check import check
from navio.journeys.compose import NoJourney, compose
from navio.journeys.domain import (
    MEALS,
    Eatery,
    JourneyRequest,
    Ride,
    Sandbox,
    Sight,
    Stay,
    meal_fits_after,
    meal_fits_before,
    modes_conflict,
    stay_allowed,
)

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CUISINES = ("Italian", "Chinese", "Mexican", "Indian")
RULES = ("parties", "smoking", "children under 10", "pets", "visitors")
START = date(2027, 3, 1)


def _sandbox(seed: int, cities: list[str], days: int) -> Sandbox:
    rng = random.Random(seed)
    places = ["Home", *cities]
    rides: list[Ride] = []
    for a, b in itertools.permutations(places, 2):
        if rng.random() < 0.85:
            rides.append(
                Ride(
                    f"car:{a}:{b}",
                    "self-driving",
                    a,
                    b,
                    rng.randint(20, 90) * 100,
                    rng.randint(60, 600),
                )
            )
        if rng.random() < 0.6:
            rides.append(
                Ride(
                    f"taxi:{a}:{b}", "taxi", a, b, rng.randint(60, 300) * 100, rng.randint(60, 600)
                )
            )
        for d in range(days):
            if rng.random() < 0.35:
                dep = rng.randint(6, 20)
                arr = (dep + rng.randint(1, 4)) % 24
                rides.append(
                    Ride(
                        f"F{a}{b}{d}",
                        "flight",
                        a,
                        b,
                        rng.randint(50, 400) * 100,
                        rng.randint(60, 240),
                        day=START + timedelta(days=d),
                        departs=time(dep, rng.choice((0, 30))),
                        arrives=time(arr, rng.choice((0, 15, 45))),
                    )
                )
    stays, eateries, sights = [], [], []
    for city in cities:
        for i in range(rng.randint(1, 4)):
            stays.append(
                Stay(
                    f"{city}/s{i}",
                    f"Stay {i}",
                    city,
                    rng.randint(40, 400) * 100,
                    rng.choice(("entire home/apt", "private room", "shared room")),
                    frozenset(rng.sample(RULES, rng.randint(0, 2))),
                    rng.randint(1, 3),
                    rng.randint(1, 6),
                    rng.randint(1, 5),
                )
            )
        for i in range(rng.randint(2, 9)):
            eateries.append(
                Eatery(
                    f"{city}/e{i}",
                    f"Eatery {i % 7}",  # a few share a name: a chain's branches
                    city,
                    rng.randint(5, 80) * 100,
                    frozenset(rng.sample(CUISINES, rng.randint(0, 2))),
                    round(rng.uniform(0, 5), 1),
                )
            )
        for i in range(rng.randint(1, 6)):
            sights.append(
                Sight(f"{city}/a{i}", f"Sight {i}", city, 60 + rng.random(), 24 + rng.random())
            )
    return Sandbox(tuple(rides), tuple(stays), tuple(eateries), tuple(sights))


def _request(seed: int, cities: list[str], sandbox_days: int) -> JourneyRequest:
    rng = random.Random(seed + 1)
    k = rng.randint(1, min(2, len(cities)))
    return JourneyRequest(
        origin="Home",
        destinations=tuple(cities),
        cities=k,
        start=START,
        days=min(sandbox_days, k + 1 + rng.randint(0, 2)),
        people=rng.randint(1, 6),
        budget_minor=rng.randint(500, 6000) * 100,
        cuisines=tuple(rng.sample(CUISINES, rng.randint(0, 2))),
        house_rules=tuple(rng.sample(RULES, rng.randint(0, 1))),
        room_type=rng.choice((None, None, "private room", "entire home/apt", "not shared room")),
        excluded_modes=rng.choice(((), (), ("flight",), ("self-driving",))),
    )


def _case(seed: int) -> tuple[JourneyRequest, Sandbox]:
    cities = [f"City{i}" for i in range(random.Random(seed).randint(1, 3))]
    days = 6
    return _request(seed, cities, days), _sandbox(seed, cities, days)


@SETTINGS
@given(st.integers(0, 10**9))
def test_every_journey_composed_passes_the_checker(seed: int) -> None:
    request, sandbox = _case(seed)
    try:
        journey = compose(request, sandbox)
    except NoJourney as e:
        reasons = e.reasons
        assert reasons
        return
    assert check(journey, request, sandbox) == []
    assert journey.cost_minor <= request.budget_minor


@SETTINGS
@given(st.integers(0, 10**9))
def test_the_cheapest_journey_is_the_budget_threshold(seed: int) -> None:
    request, sandbox = _case(seed)
    rich = replace(request, budget_minor=10**12)
    try:
        cheapest = compose(rich, sandbox, upgrade=False)
    except NoJourney:
        return
    assert check(cheapest, rich, sandbox) == []
    at = replace(request, budget_minor=cheapest.cost_minor)
    assert compose(at, sandbox).cost_minor == cheapest.cost_minor
    below = replace(request, budget_minor=cheapest.cost_minor - 1)
    with pytest.raises(NoJourney, match="cheapest journey costs"):
        compose(below, sandbox)
    # spending more never makes it worse: the upgraded journey stays within the budget
    upgraded = compose(rich, sandbox)
    assert upgraded.cost_minor >= cheapest.cost_minor


def _reference_cheapest(request: JourneyRequest, sandbox: Sandbox) -> int | None:
    """Every combination of rides, stay and restaurants for a one-city trip, priced."""
    (city,) = request.destinations
    people, nights = request.people, request.days - 1
    out_day, back_day = request.start, request.start + timedelta(days=nights)
    stays = [s for s in sandbox.stays if stay_allowed(s, request) and s.minimum_nights <= nights]
    if not stays:
        return None
    stay_cost = min(s.cost(nights, people) for s in stays)
    eateries = [e for e in sandbox.eateries if e.city == city]
    sights = {s.name for s in sandbox.sights if s.city == city}
    if len(sights) < nights - 1:
        return None
    best: int | None = None
    allowed = [r for r in sandbox.rides if r.mode not in request.excluded_modes]
    outs = [
        r
        for r in allowed
        if (r.origin, r.destination) == ("Home", city) and r.day in (None, out_day)
    ]
    backs = [
        r
        for r in allowed
        if (r.origin, r.destination) == (city, "Home") and r.day in (None, back_day)
    ]
    for out, back in itertools.product(outs, backs):
        if modes_conflict({out.mode, back.mode}):
            continue
        required = 3 * (nights - 1)
        optional = sum(meal_fits_after(m, out) for m in MEALS) + sum(
            meal_fits_before(m, back) for m in MEALS
        )
        for size in range(required, required + optional + 1):
            for group in itertools.combinations(eateries, size):
                if len({e.name for e in group}) != size:
                    continue
                kinds = {c.lower() for e in group for c in e.cuisines}
                if not all(c.lower() in kinds for c in request.cuisines):
                    continue
                cost = out.cost(people) + back.cost(people) + stay_cost
                cost += sum(e.cost_minor for e in group) * people
                if best is None or cost < best:
                    best = cost
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9))
def test_one_city_trips_cost_what_brute_force_finds(seed: int) -> None:
    rng = random.Random(seed)
    sandbox = _sandbox(seed, ["City0"], 4)
    sandbox = replace(sandbox, eateries=sandbox.eateries[:7])
    request = replace(
        _request(seed, ["City0"], 4),
        cities=1,
        days=rng.randint(2, 4),
        budget_minor=10**12,
    )
    expected = _reference_cheapest(request, sandbox)
    try:
        found = compose(request, sandbox, upgrade=False).cost_minor
    except NoJourney:
        found = None
    assert found == expected


def test_a_journey_over_two_cities_moves_by_car_or_by_air_never_both() -> None:
    sandbox = Sandbox(
        rides=(
            Ride(
                "F1",
                "flight",
                "Home",
                "A",
                10000,
                90,
                day=START,
                departs=time(8),
                arrives=time(9, 30),
            ),
            Ride("car:A:B", "self-driving", "A", "B", 2000, 120),
            Ride("taxi:A:B", "taxi", "A", "B", 9000, 120),
            Ride("car:B:Home", "self-driving", "B", "Home", 3000, 300),
            Ride(
                "F2",
                "flight",
                "B",
                "Home",
                15000,
                90,
                day=START + timedelta(days=4),
                departs=time(18),
                arrives=time(19, 30),
            ),
        ),
        stays=(
            Stay("a", "Inn A", "A", 5000, "private room"),
            Stay("b", "Inn B", "B", 5000, "private room"),
        ),
        eateries=tuple(Eatery(f"{c}{i}", f"E{i}", c, 1000) for c in "AB" for i in range(6)),
        sights=tuple(Sight(f"{c}{i}", f"S{i}", c) for c in "AB" for i in range(3)),
    )
    request = JourneyRequest("Home", ("A", "B"), 2, START, 5, 1, 10**9)
    journey = compose(request, sandbox, upgrade=False)
    modes = [d.ride.mode for d in journey.days if d.ride]
    # the car is cheaper between A and B, but it would leave the car at home on the way out
    assert modes == ["flight", "taxi", "flight"]
    assert check(journey, request, sandbox) == []
    # without flights no journey: one cannot drive from A after flying there, nor fly home
    with pytest.raises(NoJourney, match="no "):
        compose(replace(request, excluded_modes=("flight",)), sandbox)


def test_the_checker_names_what_a_tampered_journey_breaks() -> None:
    request, sandbox = None, None
    for seed in range(200):
        request, sandbox = _case(seed)
        request = replace(request, budget_minor=10**9, cuisines=())
        try:
            journey = compose(request, sandbox)
        except NoJourney:
            continue
        if any(d.ride is None for d in journey.days):
            break
    else:  # pragma: no cover - the generator makes such trips
        pytest.fail("no trip with a day in a city")
    assert request is not None and sandbox is not None
    full = next(i for i, d in enumerate(journey.days) if d.ride is None)
    days = list(journey.days)

    def codes(changed: list) -> set[str]:  # type: ignore[type-arg]
        return {v.code for v in check(replace(journey, days=tuple(changed)), request, sandbox)}

    hungry = days.copy()
    hungry[full] = replace(days[full], meals=days[full].meals[:2])
    assert "meals_missing" in codes(hungry)
    twice = days.copy()
    twice[full] = replace(
        days[full],
        meals=(
            days[full].meals[0],
            replace(days[full].meals[1], eatery=days[full].meals[0].eatery),
            days[full].meals[2],
        ),
    )
    assert "meal_repeated" in codes(twice)
    homeless = days.copy()
    homeless[0] = replace(days[0], stay=None)
    assert "stay_missing" in codes(homeless)
    lost = days.copy()
    lost[0] = replace(days[0], ride=None)
    assert {"route_start", "ride_missing"} <= codes(lost)
    forged = days.copy()
    forged[full] = replace(days[full], sights=(Sight("x", "Nowhere", days[full].city),))
    assert "sight_unknown" in codes(forged)
    poor = replace(request, budget_minor=journey.cost_minor - 1)
    assert "budget" in {v.code for v in check(journey, poor, sandbox)}
    strict = replace(
        request, house_rules=tuple(sorted({r for d in days if d.stay for r in d.stay.forbids}))
    )
    if strict.house_rules:
        assert "stay_rules" in {v.code for v in check(journey, strict, sandbox)}
