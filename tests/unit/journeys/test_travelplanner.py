"""The TravelPlanner benchmark's 30 real requests (../shared/data/travelplanner): understood by
the assistant's parser, composed from each request's own options, and checked by the benchmark's
constraints; the human-annotated plans pass the same checker, and tampering with them is caught."""

from __future__ import annotations

from dataclasses import replace

import pytest

from navio.journeys.check import check
from navio.journeys.compose import compose
from navio.journeys.travelplanner import journey_from_plan
from tests.factories.journeys import TRAVELPLANNER, cases, understood

pytestmark = pytest.mark.skipif(
    not TRAVELPLANNER.is_dir(), reason=f"{TRAVELPLANNER} is missing (the shared data)"
)
BENCHMARK = {"commonsense", "hard"}


@pytest.mark.parametrize("index", range(30))
def test_each_request_gets_a_journey_that_passes_every_check(index: int) -> None:
    case = cases()[index]
    _, request = understood(case)
    assert request is not None
    journey = compose(request, case.sandbox)
    assert check(journey, request, case.sandbox) == []
    assert journey.cost_minor <= request.budget_minor
    # the benchmark's own reading: the annotated plan visits the same number of cities
    gold = journey_from_plan(case.plan, request, case.sandbox)
    assert len({d.city for d in journey.days}) == len({d.city for d in gold.days})


@pytest.mark.parametrize("index", range(30))
def test_the_annotated_plans_pass_the_benchmark_constraints(index: int) -> None:
    case = cases()[index]
    _, request = understood(case)
    assert request is not None
    gold = journey_from_plan(case.plan, request, case.sandbox)
    found = [v for v in check(gold, request, case.sandbox) if v.family in BENCHMARK]
    assert found == []


def test_tampered_annotated_plans_are_caught() -> None:
    case = cases()[29]  # a week in Oregon, Italian and Mediterranean
    _, request = understood(case)
    assert request is not None
    gold = journey_from_plan(case.plan, request, case.sandbox)
    days = list(gold.days)

    def codes(changed: list) -> set[str]:  # type: ignore[type-arg]
        tampered = replace(gold, days=tuple(changed))
        return {v.code for v in check(tampered, request, case.sandbox) if v.family in BENCHMARK}

    # the same restaurant twice
    repeat = days.copy()
    repeat[2] = replace(days[2], meals=(days[1].meals[0], *days[2].meals[1:]))
    assert "meal_repeated" in codes(repeat)
    # a night short of the lodging's minimum stay
    strict = next(s for s in case.sandbox.stays if s.city == days[1].city and s.minimum_nights > 2)
    short = days.copy()
    short[1] = replace(days[1], stay=strict)
    assert "minimum_nights" in codes(short)
    # one's own car on one leg, a flight on another
    flight = next(r for r in case.sandbox.rides if r.mode == "flight" and r.origin == "Oakland")
    mixed = days.copy()
    mixed[0] = replace(days[0], ride=flight)
    assert "mode_conflict" in codes(mixed)
    # no Mediterranean meal left
    plain = [e for e in case.sandbox.eateries if "Mediterranean" not in e.cuisines]
    bland = [
        replace(d, meals=tuple(replace(m, eatery=plain[i * 3 + j]) for j, m in enumerate(d.meals)))
        for i, d in enumerate(days)
    ]
    assert "cuisine" in codes(bland)
    # over budget
    poor = replace(request, budget_minor=gold.cost_minor - 1)
    assert "budget" in {v.code for v in check(gold, poor, case.sandbox)}
    # a fourth city
    assert "city_count" in {v.code for v in check(gold, replace(request, cities=2), case.sandbox)}
