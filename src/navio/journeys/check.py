"""An independent checker of a whole journey against its request and the sandbox it was composed
from. It knows nothing of how the composer searches.

Violations come in three families:

- `commonsense` and `hard`: the constraints of the TravelPlanner benchmark (Xie et al., 2024:
  closed loop, the right number of cities in the destination, everything from the sandbox and in
  the city of its day, no repeated restaurant or sight, minimum nights, no car mixed with flights
  or taxis, nothing missing; budget, house rules, room type, cuisines, excluded modes);
- `navio`: Navio's own, stricter than the benchmark: a flight on its date, meals on a travel day
  only when the timetable leaves time for them, the declared price equal to the recomputed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from navio.journeys.domain import (
    Journey,
    JourneyRequest,
    Sandbox,
    journey_cost,
    meal_fits_after,
    meal_fits_before,
    modes_conflict,
    stay_allowed,
)

# the benchmark's constraint each code belongs to (Xie et al., 2024, table 1), for pass rates
CONSTRAINTS: dict[str, str] = {
    **dict.fromkeys(
        ("ride_unknown", "meal_unknown", "sight_unknown", "stay_unknown"), "within_sandbox"
    ),
    **dict.fromkeys(
        ("days", "meals_missing", "sight_missing", "stay_missing", "ride_missing", "stay_extra"),
        "complete_information",
    ),
    **dict.fromkeys(
        ("ride_city", "meal_city", "sight_city", "stay_city", "meal_twice"), "within_current_city"
    ),
    **dict.fromkeys(
        ("route_start", "route_closed", "route_revisit", "city_count", "city_outside", "date"),
        "reasonable_city_route",
    ),
    "meal_repeated": "diverse_restaurants",
    "sight_repeated": "diverse_attractions",
    "mode_conflict": "non_conflicting_transport",
    "minimum_nights": "minimum_nights",
    "budget": "budget",
    "stay_rules": "room_rule_and_type",
    "cuisine": "cuisine",
    "mode_excluded": "transportation",
}
COMMONSENSE = (
    "within_sandbox",
    "complete_information",
    "within_current_city",
    "reasonable_city_route",
    "diverse_restaurants",
    "diverse_attractions",
    "non_conflicting_transport",
    "minimum_nights",
)


@dataclass(frozen=True)
class Violation:
    family: str
    code: str
    day: int | None
    message: str

    @property
    def constraint(self) -> str:
        return CONSTRAINTS.get(self.code, self.code)


def hard_constraints(request: JourneyRequest) -> tuple[str, ...]:
    """The hard constraints a request sets: the budget always, the others when asked for."""
    out = ["budget"]
    if request.house_rules or request.room_type:
        out.append("room_rule_and_type")
    if request.cuisines:
        out.append("cuisine")
    if request.excluded_modes:
        out.append("transportation")
    return tuple(out)


def check(journey: Journey, request: JourneyRequest, sandbox: Sandbox) -> list[Violation]:
    out: list[Violation] = []

    def add(family: str, code: str, day: int | None, message: str) -> None:
        out.append(Violation(family, code, day, message))

    days = journey.days
    if len(days) != request.days:
        add("commonsense", "days", None, f"{len(days)} days planned, {request.days} asked for")
    if not days:
        return out
    rides = set(sandbox.rides)
    stays = set(sandbox.stays)
    eateries = set(sandbox.eateries)
    sights = set(sandbox.sights)

    # the route: a closed loop from the origin through the right number of cities, each once
    route: list[str] = []
    for d in days:
        route.extend(d.cities)
    if days[0].ride is None or days[0].ride.origin != request.origin:
        add("commonsense", "route_start", 1, f"the first day must leave {request.origin}")
    if days[-1].ride is None or days[-1].ride.destination != request.origin:
        add(
            "commonsense",
            "route_closed",
            len(days),
            f"the last day must return to {request.origin}",
        )
    visits = [c for i, c in enumerate(route) if i == 0 or route[i - 1] != c]
    inner = visits[1:-1]
    if len(set(inner)) != len(inner) or request.origin in inner:
        add("commonsense", "route_revisit", None, "a city is left and visited again")
    visited = set(route) - {request.origin}
    if len(visited) != request.cities:
        add(
            "commonsense",
            "city_count",
            None,
            f"{len(visited)} cities visited, {request.cities} asked for",
        )
    outside = visited - set(request.destinations)
    if outside:
        add(
            "commonsense",
            "city_outside",
            None,
            f"{', '.join(sorted(outside))} not among the destinations",
        )

    previous_city = request.origin
    modes: set[str] = set()
    for d in days:
        expected = request.start + timedelta(days=d.number - 1)
        if d.day != expected:
            add("commonsense", "date", d.number, f"day {d.number} is dated {d.day}, not {expected}")
        ride = d.ride
        if ride is not None:
            modes.add(ride.mode)
            if ride not in rides:
                add("commonsense", "ride_unknown", d.number, f"ride {ride.ref} is not on offer")
            if ride.origin != previous_city or ride.destination != d.city:
                add(
                    "commonsense",
                    "ride_city",
                    d.number,
                    f"ride {ride.ref} does not link {previous_city} to {d.city}",
                )
            if ride.day is not None and ride.day != d.day:
                add(
                    "navio",
                    "ride_date",
                    d.number,
                    f"ride {ride.ref} runs on {ride.day}, not {d.day}",
                )
            if ride.too_long(request.max_road_minutes):
                add("navio", "ride_too_long", d.number, f"{ride.minutes} minutes on the road")
            if ride.mode in request.excluded_modes:
                add("hard", "mode_excluded", d.number, f"{ride.mode} was excluded")
        elif d.city != previous_city:
            add(
                "commonsense", "ride_missing", d.number, f"no ride from {previous_city} to {d.city}"
            )
        previous_city = d.city
        here = set(d.cities)
        for meal in d.meals:
            if meal.eatery not in eateries:
                add(
                    "commonsense",
                    "meal_unknown",
                    d.number,
                    f"{meal.eatery.name} is not in the sandbox",
                )
            if meal.eatery.city not in here:
                add(
                    "commonsense",
                    "meal_city",
                    d.number,
                    f"{meal.eatery.name} is not in {' or '.join(here)}",
                )
            if ride is not None:
                before = meal.eatery.city == ride.origin and meal_fits_before(meal.slot, ride)
                after = meal.eatery.city == ride.destination and meal_fits_after(meal.slot, ride)
                if not (before or after):
                    add(
                        "navio",
                        "meal_time",
                        d.number,
                        f"no time for {meal.slot} in {meal.eatery.city}",
                    )
        slots = [m.slot for m in d.meals]
        if len(set(slots)) != len(slots):
            add("commonsense", "meal_twice", d.number, "the same meal is planned twice")
        for sight in d.sights:
            if sight not in sights:
                add("commonsense", "sight_unknown", d.number, f"{sight.name} is not in the sandbox")
            if sight.city not in here:
                add(
                    "commonsense",
                    "sight_city",
                    d.number,
                    f"{sight.name} is not in {' or '.join(here)}",
                )
        if ride is None:
            if len(d.meals) < 3:
                add("commonsense", "meals_missing", d.number, "a day in a city needs three meals")
            if not d.sights:
                add("commonsense", "sight_missing", d.number, "a day in a city needs a sight")
        last = d.number == len(days)
        if d.stay is None and not last:
            add("commonsense", "stay_missing", d.number, "no bed for the night")
        if d.stay is not None:
            if last:
                add("commonsense", "stay_extra", d.number, "a bed on the way home")
            if d.stay not in stays:
                add("commonsense", "stay_unknown", d.number, f"{d.stay.name} is not in the sandbox")
            if d.stay.city != d.city:
                add("commonsense", "stay_city", d.number, f"{d.stay.name} is not in {d.city}")
            if not stay_allowed(d.stay, request):
                add(
                    "hard",
                    "stay_rules",
                    d.number,
                    f"{d.stay.name} breaks the house rules or room type",
                )
    if modes_conflict(modes):
        add("commonsense", "mode_conflict", None, "one's own car mixed with flights or taxis")

    # runs of the same stay must last its minimum nights
    run_stay, run = None, 0
    for stay in [*(d.stay for d in days), None]:
        if stay == run_stay and stay is not None:
            run += 1
            continue
        if run_stay is not None and run < run_stay.minimum_nights:
            add(
                "commonsense",
                "minimum_nights",
                None,
                f"{run_stay.name} needs {run_stay.minimum_nights} nights, {run} booked",
            )
        run_stay, run = stay, 1

    # by name, as a traveler would: two branches of one chain in a city are one restaurant
    eaten = [m.eatery for d in days for m in d.meals]
    if len({(e.name, e.city) for e in eaten}) != len(eaten):
        add("commonsense", "meal_repeated", None, "a restaurant is visited twice")
    seen = [s for d in days for s in d.sights]
    if len({(s.name, s.city) for s in seen}) != len(seen):
        add("commonsense", "sight_repeated", None, "a sight is visited twice")

    kinds = {c.lower() for e in eaten if e.city != request.origin for c in e.cuisines}
    for cuisine in request.cuisines:
        if cuisine.lower() not in kinds:
            add("hard", "cuisine", None, f"no {cuisine} meal")

    breakdown = journey_cost(days, request.people)
    total = sum(breakdown.values())
    if total > request.budget_minor:
        add("hard", "budget", None, f"costs {total}, the budget is {request.budget_minor}")
    if total != journey.cost_minor:
        add("navio", "cost_declared", None, f"declared {journey.cost_minor}, recomputed {total}")
    return out
