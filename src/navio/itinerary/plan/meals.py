"""Lunch and dinner: the restaurant for each meal window, placed where the day passes by."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from navio.itinerary.plan.model import _hhmm, _Model, _Node, _seconds, _window
from navio.itinerary.plan.rules import MEAL_SCORE, _category
from navio.itinerary.plan.types import Candidate, FloatArray
from navio.itinerary.solver import Instance, RoutePlan, Solution
from navio.itinerary.travel import great_circle_m

# ---------------------------------------------------------------- meals


def _lerp(
    a: tuple[float, float], b: tuple[float, float], dep: float, arr: float, t: float
) -> tuple[float, float]:
    if arr <= dep:
        return b
    f = min(max((t - dep) / (arr - dep), 0.0), 1.0)
    return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))


def _where(
    plan: RoutePlan,
    service: FloatArray,
    node_pos: Sequence[tuple[float, float]],
    start: tuple[float, float],
    end: tuple[float, float],
    t: float,
) -> tuple[float, float]:
    """The traveller's position at time ``t`` of a route: at a place while waiting or
    visiting, linearly interpolated along a leg, at the start/end point before/after."""
    prev, dep = start, plan.departure
    for node, arrival, begin in zip(plan.nodes, plan.arrival, plan.start, strict=True):
        here = node_pos[node]
        if t < arrival:
            return prev if t <= dep else _lerp(prev, here, dep, arrival, t)
        leave = begin + float(service[node])
        if t < leave:
            return here
        prev, dep = here, leave
    if t <= dep:
        return prev
    if t < plan.return_time:
        return _lerp(prev, end, dep, plan.return_time, t)
    return end


@dataclass
class _MealChoice:
    node: _Node
    day: int
    # how many of the day's ordered visits (its locked prefix) come before the meal: those the
    # first plan had begun by the middle of the meal window
    after: int


def _choose_meals(
    model: _Model,
    nodes: Sequence[_Node],
    first: Instance,
    solution: Solution,
    day_notes: list[list[str]],
) -> list[_MealChoice]:
    request = model.request
    diet_txt = f" matching {', '.join(sorted(request.diet))}" if request.diet else ""
    node_pos = model.points[: model.n_hotels] + [model.points[v.point] for v in nodes]
    used: set[str] = set()
    out: list[_MealChoice] = []
    for day in model.days:
        if day.transfer_only:
            continue
        plan = solution.routes[day.index]
        for kind, meal in (("lunch", request.lunch), ("dinner", request.dinner)):
            lo = max(_seconds(meal.start), day.lo_wall)
            hi = min(_seconds(meal.end), day.hi_wall)
            label = f"{_hhmm(meal.start)}-{_hhmm(meal.end)}"
            if hi - lo < meal.minutes * 60:
                day_notes[day.index].append(
                    f"the {kind} window {label} does not fit into the day "
                    f"{_hhmm(day.spec.start)}-{_hhmm(day.spec.end)}: {kind} not placed"
                )
                continue
            if not model.restaurants:
                day_notes[day.index].append(
                    f"no restaurant{diet_txt} known nearby: {kind} not placed"
                )
                continue
            options: list[tuple[Candidate, int, float, float]] = []
            for c, pt in model.restaurants:
                win = _window(
                    model.intervals[c.key], day.weekday, lo, hi, day.clock, float(meal.minutes)
                )
                if win is None:
                    continue
                arrive = day.start + float(model.minutes[day.start_pt, pt])
                begin = max(arrive, win[0])
                back = begin + meal.minutes + float(model.minutes[pt, day.end_pt])
                if arrive <= win[1] + 1e-9 and back <= day.end + 1e-9:
                    options.append((c, pt, win[0], win[1]))
            if not options:
                day_notes[day.index].append(
                    f"no restaurant{diet_txt} is open and reachable for {kind} ({label}) on "
                    f"this day: {kind} not placed"
                )
                continue
            mid = day.clock.minutes((lo + hi) / 2.0)
            here = _where(
                plan,
                first.service,
                node_pos,
                model.points[day.start_pt],
                model.points[day.end_pt],
                mid,
            )
            dist = great_circle_m([here, *(model.points[o[1]] for o in options)])[0, 1:]
            fresh = [i for i, o in enumerate(options) if o[0].key not in used]
            pool = fresh or list(range(len(options)))
            best = min(
                pool,
                key=lambda i: (
                    round(float(dist[i]), 3),
                    -(options[i][0].rating or 0.0),
                    i,  # options follow the model's order, by content
                ),
            )
            c, pt, opens, closes = options[best]
            used.add(c.key)
            begun = {n for n, b in zip(plan.nodes, plan.start, strict=True) if b < mid}
            after = sum(1 for n in first.locked_prefix.get(day.index, ()) if n in begun)
            m = len(model.days)
            node_opens = [day.start if r != day.index else opens for r in range(m)]
            node_closes = [-math.inf if r != day.index else closes for r in range(m)]
            node = _Node(
                key=c.key,
                name=c.name,
                kind="lunch" if kind == "lunch" else "dinner",
                category=_category(c),
                point=pt,
                service=float(meal.minutes),
                score=MEAL_SCORE,
                why={"meal": MEAL_SCORE},
                cost=0.0,
                price_minor=0,
                locked=False,
                opens=node_opens,
                closes=node_closes,
                rating=c.rating or 0.0,
            )
            out.append(_MealChoice(node, day.index, after))
    return out
