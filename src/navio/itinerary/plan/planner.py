"""The entry point: `plan_trip`, with ordered prefixes that keep their meals."""

from __future__ import annotations

import math
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from navio.itinerary.plan.meals import _choose_meals, _MealChoice
from navio.itinerary.plan.model import (
    _LOCK_FAIL,
    _build,
    _check_locks,
    _Day,
    _fail,
    _instance,
    _Model,
    _Node,
    _prefilter,
    _solve,
    _validate,
)
from navio.itinerary.plan.output import _output
from navio.itinerary.plan.rules import FIRST_SOLVE_SHARE
from navio.itinerary.plan.types import Candidate, Plan, PlanRequest
from navio.itinerary.travel import TravelTimes

# ---------------------------------------------------------------- entry point


def _prefix_fits(model: _Model, day: _Day, seq: Sequence[_Node]) -> bool:
    """Whether a day can open with exactly these stops (waiting allowed), and still end in time."""
    t, at, r = day.start, day.start_pt, day.index
    for v in seq:
        t = max(t + float(model.minutes[at, v.point]), v.opens[r])
        if t > v.closes[r] + 1e-9:
            return False
        t, at = t + v.service, v.point
    return t + float(model.minutes[at, day.end_pt]) <= day.solver_end + 1e-9


def _prefixes_with_meals(
    model: _Model,
    nodes: Sequence[_Node],
    node_of: Mapping[str, int],
    meals: Sequence[_MealChoice],
    base: int,
) -> dict[int, list[int]]:
    """The locked prefix of each ordered day with its meals between the ordered visits.

    An ordered day opens with exactly its prefix, so a meal left out of it can only come after
    the last ordered visit: too late when the traveler takes it in the middle of them. Each
    meal goes at the position that fits nearest to where the first plan had the traveler at
    the middle of its window (after ``after`` ordered visits); a meal that fits nowhere inside
    stays out of the prefix."""
    h = model.n_hotels
    out: dict[int, list[int]] = {}
    for r, keys in sorted(model.request.order.items()):
        if not keys:
            continue
        seq = [node_of[k] for k in keys]
        for i, meal in enumerate(meals):
            if meal.day != r or meal.after >= len(keys):
                continue
            # just after the `after`-th ordered visit (meals placed before count as positions)
            visits_at = [p for p, j in enumerate(seq) if nodes[j - h].kind == "visit"]
            target = visits_at[meal.after - 1] + 1 if meal.after else 0
            fits = [
                pos
                for pos in range(len(seq))
                if _prefix_fits(
                    model,
                    model.days[r],
                    [nodes[j - h] for j in (*seq[:pos], base + i, *seq[pos:])],
                )
            ]
            if fits:
                pos = min(fits, key=lambda p: (abs(p - target), p))
                seq.insert(pos, base + i)
        out[r] = seq
    return out


def plan_trip(
    request: PlanRequest,
    candidates: Sequence[Candidate],
    *,
    travel: TravelTimes,
    timezone: str,
) -> Plan:
    """Plan the trip; raises `PlanError` for an invalid request (see the module docstring)."""
    t_begin = _time.perf_counter()
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail("timezone", f"unknown timezone {timezone!r}") from None
    _validate(request, candidates)
    model, notes = _build(request, candidates, travel, zone)
    m = len(model.days)
    ordered = {k: r for r, keys in request.order.items() for k in keys}
    targets = {**dict(request.locked), **ordered}
    forced = set(request.must_see) | set(targets)
    nodes, reach, eligible = _prefilter(model, forced)
    if eligible > len(nodes):
        notes.append(f"the search considered the best {len(nodes)} of {eligible} open places")
    _check_locks(model, nodes)
    h = model.n_hotels
    node_of = {v.key: j for j, v in enumerate(nodes, start=h)}
    must = {node_of[k] for k in request.must_see}
    locked = {node_of[k]: r for k, r in targets.items()}
    first = _instance(model, nodes, must_visit=must, locked=locked)
    two_phase = request.meals and bool(model.restaurants)
    share = FIRST_SOLVE_SHARE if two_phase else 1.0
    try:
        solution = _solve(first, request, request.time_limit * share)
    except ValueError as exc:  # locked places that the solver cannot insert together
        match = _LOCK_FAIL.search(str(exc))
        if match is None:
            raise _fail("locked", f"the locked places cannot all be scheduled ({exc})") from exc
        v = nodes[int(match[1]) - h]
        raise _fail(
            "locked",
            f"{v.name} cannot be scheduled on day {int(match[2]) + 1} together with the other "
            f"locked places",
        ) from exc
    instance = first
    day_notes: list[list[str]] = [[] for _ in range(m)]
    final_nodes: list[_Node] = list(nodes)
    if request.meals:
        meals = _choose_meals(model, nodes, first, solution, day_notes)
        if meals:
            meal_keys = {c.node.key for c in meals}
            final_nodes = [
                replace(v, closes=[-math.inf] * m) if v.key in meal_keys else v for v in nodes
            ]
            base = h + len(final_nodes)
            final_nodes += [c.node for c in meals]
            meal_must = {base + i for i in range(len(meals))}
            meal_locked = {base + i: c.day for i, c in enumerate(meals)}
            # a meal the traveler takes in the middle of the visits they ordered goes between
            # them: an ordered day opens with exactly its prefix, so a meal left out of it could
            # only come after the last ordered visit, too late for its window
            prefixes = _prefixes_with_meals(model, final_nodes, node_of, meals, base)
            remaining = request.time_limit - (_time.perf_counter() - t_begin)
            instance = _instance(
                model,
                final_nodes,
                must_visit=must | meal_must,
                locked={**locked, **meal_locked},
                prefixes=prefixes,
            )
            try:
                solution = _solve(instance, request, remaining)
            except ValueError:
                instance = _instance(model, final_nodes, must_visit=must | meal_must, locked=locked)
                remaining = request.time_limit - (_time.perf_counter() - t_begin)
                solution = _solve(instance, request, remaining)
            placed = {n for route in solution.routes for n in route.nodes}
            for i, c in enumerate(meals):
                if base + i not in placed:
                    day_notes[c.day].append(
                        f"{c.node.kind} at {c.node.name} could not be fitted into the day: "
                        f"{c.node.kind} not placed"
                    )
    days, totals = _output(model, final_nodes, instance, solution, day_notes, reach)
    placed_keys = {s.key for d in days for s in d.stops if s.kind == "visit"}
    column = {v.key: i for i, v in enumerate(model.visits)}
    for key in sorted(request.must_see - placed_keys):
        v = model.visits[column[key]]
        if not reach[:, column[key]].any():
            why = "is closed, or cannot be reached and visited, on every day of the trip"
        elif request.budget_minor is not None and v.cost > request.budget_minor:
            why = "costs more than the budget"
        else:
            why = "did not fit into any day"
        notes.append(f"must-see {v.name} {why}")
    node_keys = tuple(
        [f"hotel:{i}" for i in range(h)]
        + [v.key if v.kind == "visit" else f"{v.kind}:{v.key}" for v in final_nodes]
    )
    return Plan(
        days=days,
        totals=totals,
        notes=notes,
        instance=instance,
        solution=solution,
        node_keys=node_keys,
        elapsed=_time.perf_counter() - t_begin,
    )
