"""From the solver's routes back to day plans with local times, legs, totals and notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from navio.itinerary.plan.model import _Day, _hhmm, _Model, _Node
from navio.itinerary.plan.types import DayPlan, Leg, PlannedStop, Totals
from navio.itinerary.solver import Instance, Solution

# ---------------------------------------------------------------- output


def _leg(model: _Model, a: int, b: int) -> Leg:
    return Leg(
        mode=model.request.mode,
        minutes=float(model.minutes[a, b]),
        metres=round(float(model.metres[a, b]), 1),
    )


def _span(a: dt.datetime, b: dt.datetime) -> float:
    """Elapsed minutes (aware datetimes sharing a tzinfo subtract as wall-clock time)."""
    return (b.astimezone(dt.UTC) - a.astimezone(dt.UTC)).total_seconds() / 60.0


def _totals(stops: Sequence[PlannedStop], legs: Sequence[Leg], wait: float) -> Totals:
    return Totals(
        visits=sum(1 for s in stops if s.kind == "visit"),
        meals=sum(1 for s in stops if s.kind != "visit"),
        visit_minutes=sum(_span(s.start, s.end) for s in stops if s.kind == "visit"),
        meal_minutes=sum(_span(s.start, s.end) for s in stops if s.kind != "visit"),
        travel_minutes=sum(leg.minutes for leg in legs),
        travel_metres=round(sum(leg.metres for leg in legs), 1),
        wait_minutes=wait,
        cost_minor=sum(s.cost_minor for s in stops),
        score=round(sum(s.score for s in stops), 6),
    )


def _empty_day_note(model: _Model, day: _Day, reach: NDArray[np.bool_]) -> str:
    span = f"{_hhmm(day.spec.start)}-{_hhmm(day.spec.end)}"
    if not model.visits:
        return "no candidate places to visit were given"
    shortest = min(v.service for v in model.visits)
    if day.end - day.start < shortest:
        return f"the day is too short for any visit ({span}; the shortest takes {shortest:.0f} min)"
    r = day.index
    if not any(v.closes[r] >= v.opens[r] for v in model.visits):
        return f"no place is open on this day within {span}"
    if not reach[r].any():
        return f"no open place can be reached, visited and left within {span}"
    return "no further visit fits this day (the budget or the other days took the options)"


def _output(
    model: _Model,
    nodes: Sequence[_Node],
    instance: Instance,
    solution: Solution,
    day_notes: list[list[str]],
    reach: NDArray[np.bool_],
) -> tuple[list[DayPlan], Totals]:
    h = model.n_hotels
    out: list[DayPlan] = []
    all_stops: list[PlannedStop] = []
    all_legs: list[Leg] = []
    all_wait = 0.0
    for day, route in zip(model.days, solution.routes, strict=True):
        stops: list[PlannedStop] = []
        legs: list[Leg] = []
        prev = day.start_pt
        wait = 0.0
        for node, arrival, begin, w in zip(
            route.nodes, route.arrival, route.start, route.wait, strict=True
        ):
            v = nodes[node - h]
            leg = _leg(model, prev, v.point)
            legs.append(leg)
            wait += w
            stops.append(
                PlannedStop(
                    key=v.key,
                    name=v.name,
                    kind=v.kind,
                    category=v.category,
                    arrival=day.clock.at(arrival),
                    start=day.clock.at(begin),
                    end=day.clock.at(begin + float(instance.service[node])),
                    travel=leg,
                    cost_minor=round(v.cost),
                    score=v.score,
                    why=dict(v.why),
                    locked=v.locked,
                )
            )
            prev = v.point
        back = _leg(model, prev, day.end_pt)
        legs.append(back)
        notes = list(day_notes[day.index])
        if not any(s.kind == "visit" for s in stops) and not day.transfer_only:
            notes.append(_empty_day_note(model, day, reach))
        if day.transfer_note is not None:
            notes.append(day.transfer_note)
        out.append(
            DayPlan(
                index=day.index,
                date=day.spec.date,
                departure=day.clock.at(route.departure),
                return_time=day.clock.at(route.return_time),
                stops=stops,
                return_leg=back,
                notes=notes,
                totals=_totals(stops, legs, wait),
            )
        )
        all_stops += stops
        all_legs += legs
        all_wait += wait
    return out, _totals(all_stops, all_legs, all_wait)
