"""TravelPlanner (Xie et al., 2024) in its sole-planning setting: each of the 30 real requests in
../shared/data/travelplanner with the options the benchmark gives it (flights, drives, taxis,
lodging, restaurants, attractions).

For each request: the assistant's parser reads the sentence, the journey composer plans from
the options, and the independent checker scores the plan on the benchmark's constraints
(8 commonsense, up to 4 hard) and on Navio's own (flights on their date, meals only when the
timetable leaves time, long drives). Reported as the benchmark does: delivery rate, commonsense
and hard pass rates (micro: constraints passed; macro: plans passing them all) and the final
pass rate (plans passing everything).

Baselines in the same run, scored by the same checker:
- `annotated`: the benchmark's human-annotated plans;
- `greedy`: a planner without search: the options' cities in their order, nights split
  evenly, the cheapest ride, bed and distinct restaurants one after the other, no look-ahead
  for cuisines or budget.

Also: how often the parser's reading matches the annotated plan (origin, destination city or
state, days, number of cities), and the composer's time per request against the checker's
(reading the same plan once). The paper's agents are not rerun here (no model weights); its
abstract reports a 0.6 % final pass rate for GPT-4 with tools (two-stage mode, 1,000 queries).

Usage: ``.venv/bin/python bench/travelplanner.py``; writes ``var/bench/travelplanner.json``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.factories.journeys import TRAVELPLANNER, Case, cases, understood  # noqa: E402

from navio.journeys.check import COMMONSENSE, check, hard_constraints  # noqa: E402
from navio.journeys.compose import NoJourney, compose  # noqa: E402
from navio.journeys.domain import (  # noqa: E402
    MEALS,
    Journey,
    JourneyDay,
    JourneyRequest,
    Meal,
    Sandbox,
    journey_cost,
    stay_allowed,
)
from navio.journeys.travelplanner import journey_from_plan  # noqa: E402

Planner = Callable[[JourneyRequest, Case], Journey | None]


def ours(request: JourneyRequest, case: Case) -> Journey | None:
    try:
        return compose(request, case.sandbox)
    except NoJourney:
        return None


def annotated(request: JourneyRequest, case: Case) -> Journey | None:
    return journey_from_plan(case.plan, request, case.sandbox)


def greedy(request: JourneyRequest, case: Case) -> Journey | None:
    sandbox: Sandbox = case.sandbox
    order = list(dict.fromkeys(s.city for s in sandbox.sights))[: request.cities]
    if len(order) < request.cities:
        return None
    nights = [(request.days - 1) // len(order)] * len(order)
    nights[-1] += (request.days - 1) - sum(nights)
    stops = [request.origin, *order, request.origin]
    arrivals = [sum(nights[:i]) for i in range(len(order))]
    leave = [*arrivals, request.days - 1]
    used: set[str] = set()
    days: list[JourneyDay] = []
    for d in range(request.days):
        day = request.start + timedelta(days=d)
        ride = None
        if d in leave:
            i = leave.index(d)
            rides = [
                r
                for r in sandbox.rides
                if (r.origin, r.destination) == (stops[i], stops[i + 1])
                and r.day in (None, day)
                and r.mode not in request.excluded_modes
            ]
            ride = min(rides, key=lambda r: r.cost(request.people), default=None)
            if ride is None:
                return None
        city_index = max(i for i in range(len(order)) if arrivals[i] <= d) if d < leave[-1] else -1
        city = ride.destination if ride else order[city_index]
        here = order[city_index]
        meals: list[Meal] = []
        sights = []
        if ride is None:
            for slot in MEALS:
                pick = min(
                    (e for e in sandbox.eateries if e.city == here and e.name not in used),
                    key=lambda e: e.cost_minor,
                    default=None,
                )
                if pick is not None:
                    used.add(pick.name)
                    meals.append(Meal(slot, pick))
            sights = [s for s in sandbox.sights if s.city == here and s.name not in used][:1]
            used.update(s.name for s in sights)
        stay = None
        if d < request.days - 1:
            beds = [s for s in sandbox.stays if s.city == here and stay_allowed(s, request)]
            stay = min(beds, key=lambda s: s.cost(1, request.people), default=None)
        days.append(JourneyDay(d + 1, day, city, ride, tuple(meals), tuple(sights), stay))
    shape = tuple(days)
    breakdown = journey_cost(shape, request.people)
    return Journey(shape, sum(breakdown.values()), breakdown)


def score(planner: Planner, name: str) -> dict[str, object]:
    delivered = 0
    common_passed = common_total = hard_passed = hard_total = 0
    common_plans = hard_plans = final = navio_clean = 0
    seconds: list[float] = []
    check_seconds: list[float] = []
    for case in cases():
        _, request = understood(case)
        assert request is not None
        started = time.perf_counter()
        journey = planner(request, case)
        seconds.append(time.perf_counter() - started)
        hard = hard_constraints(request)
        common_total += len(COMMONSENSE)
        hard_total += len(hard)
        if journey is None:
            continue
        delivered += 1
        started = time.perf_counter()
        found = check(journey, request, case.sandbox)
        check_seconds.append(time.perf_counter() - started)
        broken = {v.constraint for v in found}
        common_ok = [c for c in COMMONSENSE if c not in broken]
        hard_ok = [c for c in hard if c not in broken]
        common_passed += len(common_ok)
        hard_passed += len(hard_ok)
        common_plans += len(common_ok) == len(COMMONSENSE)
        hard_plans += len(hard_ok) == len(hard)
        final += len(common_ok) == len(COMMONSENSE) and len(hard_ok) == len(hard)
        navio_clean += not found
    n = len(cases())
    return {
        "planner": name,
        "delivery_rate": delivered / n,
        "commonsense_micro": common_passed / common_total,
        "commonsense_macro": common_plans / n,
        "hard_micro": hard_passed / hard_total,
        "hard_macro": hard_plans / n,
        "final_pass_rate": final / n,
        "navio_checks_pass_rate": navio_clean / n,
        "p50_ms": statistics.median(seconds) * 1000,
        "max_ms": max(seconds) * 1000,
        "check_p50_ms": statistics.median(check_seconds) * 1000 if check_seconds else None,
    }


def parser_agreement() -> dict[str, float]:
    fields = {"origin": 0, "destination": 0, "days": 0, "cities": 0}
    for case in cases():
        said, request = understood(case)
        gold_cities = {d["current_city"].split(" to ")[-1].split("(")[0].strip() for d in case.plan}
        gold_cities.discard(case.origin)
        fields["origin"] += said.origin == case.origin
        fields["days"] += said.days == len(case.plan)
        fields["cities"] += said.cities == len(gold_cities)
        if request is not None:
            fields["destination"] += gold_cities <= set(request.destinations)
    return {k: v / len(cases()) for k, v in fields.items()}


def main() -> None:
    if not TRAVELPLANNER.is_dir():
        sys.exit(f"{TRAVELPLANNER} is missing")
    for planner, name in ((ours, "navio"), (annotated, "annotated"), (greedy, "greedy")):
        score(planner, name)  # warm caches and imports once
    rows = [score(p, n) for p, n in ((ours, "navio"), (annotated, "annotated"), (greedy, "greedy"))]
    parser = parser_agreement()
    navio = rows[0]
    result = {
        "queries": len(cases()),
        "planners": rows,
        "parser_agreement": parser,
        "compose_vs_check_p50": (navio["p50_ms"] / navio["check_p50_ms"])  # type: ignore[operator]
        if navio["check_p50_ms"]
        else None,
    }
    print(
        f"{'planner':10} {'deliver':>8} {'cs micro':>9} {'cs macro':>9} {'hard mic':>9} "
        f"{'hard mac':>9} {'final':>7} {'+navio':>7} {'p50 ms':>8} {'max ms':>8}"
    )
    for r in rows:
        print(
            f"{r['planner']:10} {r['delivery_rate']:8.1%} {r['commonsense_micro']:9.1%} "
            f"{r['commonsense_macro']:9.1%} {r['hard_micro']:9.1%} {r['hard_macro']:9.1%} "
            f"{r['final_pass_rate']:7.1%} {r['navio_checks_pass_rate']:7.1%} "
            f"{r['p50_ms']:8.2f} {r['max_ms']:8.2f}"
        )
    print("parser agreement with the annotated plans:", {k: f"{v:.0%}" for k, v in parser.items()})
    print(f"compose / check time (p50): {result['compose_vs_check_p50']:.1f}")
    out = ROOT / "var" / "bench" / "travelplanner.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
