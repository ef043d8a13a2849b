"""The orienteering model of a trip: local clocks and opening windows, validated inputs,
nodes and days, the solver's instance, and the solve."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from navio.itinerary.check import check
from navio.itinerary.plan.rules import (
    _MODES,
    CANDIDATES_PER_DAY,
    CATEGORY_ALIASES,
    DAY,
    INTEREST_GROUPS,
    INTEREST_ONLY,
    MAX_CANDIDATES,
    MAX_DAYS,
    MEAL_CATEGORIES,
    MIN_SOLVE_SECONDS,
    NOT_SIGHTS,
    PACE,
    UNREACHABLE_MIN,
    WEEK,
    _category,
    _content_order,
    candidate_score,
    interest_categories,
    visit_minutes,
)
from navio.itinerary.plan.types import (
    Candidate,
    DaySpec,
    FloatArray,
    PlanBugError,
    PlanError,
    PlanRequest,
    StopKind,
)
from navio.itinerary.solver import Instance, Solution, solve
from navio.itinerary.travel import TravelTimes

# ---------------------------------------------------------------- clocks and windows


class _Clock:
    """Minutes of elapsed time since the local midnight of one day."""

    def __init__(self, day: dt.date, zone: ZoneInfo) -> None:
        self.day = day
        self.zone = zone
        self.naive_midnight = dt.datetime.combine(day, dt.time(0))
        self.midnight = self.naive_midnight.replace(tzinfo=zone).astimezone(dt.UTC)

    def minutes(self, wall_seconds: float) -> float:
        """Local wall-clock seconds after this day's midnight -> clock minutes."""
        local = self.naive_midnight + dt.timedelta(seconds=wall_seconds)
        utc = local.replace(tzinfo=self.zone).astimezone(dt.UTC)
        return (utc - self.midnight).total_seconds() / 60.0

    def at(self, minutes: float) -> dt.datetime:
        return (self.midnight + dt.timedelta(minutes=minutes)).astimezone(self.zone)


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


Intervals = tuple[tuple[int, int], ...]


def _intervals(hours: tuple[tuple[int, int], ...] | None) -> Intervals | None:
    """Weekly windows as merged [lo, hi) second intervals over weeks -1, 0 and +1."""
    if hours is None:
        return None
    pieces: list[tuple[int, int]] = []
    for start, length in hours:
        if length <= 0:
            continue
        if length >= WEEK:
            return ((-WEEK, 2 * WEEK),)
        s0 = int(start) % WEEK
        pieces.extend((s0 + k * WEEK, s0 + k * WEEK + int(length)) for k in (-1, 0, 1))
    pieces.sort()
    merged: list[list[int]] = []
    for lo, hi in pieces:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def _window(
    intervals: Intervals | None,
    weekday: int,
    lo_wall: float,
    hi_wall: float,
    clock: _Clock,
    service: float,
) -> tuple[float, float] | None:
    """The start window (clock minutes) of a stay of ``service`` minutes inside both the
    opening hours and ``[lo_wall, hi_wall]`` (local seconds of the day); the longest one."""
    if hi_wall <= lo_wall:
        return None
    base = weekday * DAY
    if intervals is None:
        spans = [(lo_wall, hi_wall)]
    else:
        spans = [
            (max(lo - base, lo_wall), min(hi - base, hi_wall))
            for lo, hi in intervals
            if lo - base < hi_wall and hi - base > lo_wall
        ]
    best: tuple[float, float] | None = None
    for a, b in spans:
        opens = clock.minutes(a)
        closes = clock.minutes(b) - service
        if closes < opens - 1e-9:
            continue
        if best is None or closes - opens > best[1] - best[0] + 1e-9:
            best = (opens, closes)
    return best


# ---------------------------------------------------------------- the model


@dataclass
class _Node:
    """A non-terminal solver node (a visit or a meal)."""

    key: str
    name: str
    kind: StopKind
    category: str
    point: int
    service: float
    score: float
    why: dict[str, float]
    cost: float
    price_minor: int
    locked: bool
    opens: list[float]  # per day; close < open (-inf) = closed
    closes: list[float]
    rating: float = 0.0


@dataclass
class _Day:
    index: int
    spec: DaySpec
    clock: _Clock
    weekday: int
    lo_wall: int
    hi_wall: int
    start: float  # clock minutes
    end: float  # as requested
    solver_end: float  # >= end when even the transfer does not fit
    start_pt: int
    end_pt: int
    transfer_only: bool
    transfer_note: str | None


@dataclass
class _Model:
    request: PlanRequest
    days: list[_Day]
    minutes: FloatArray  # point x point travel minutes (rounded up)
    metres: FloatArray
    points: list[tuple[float, float]]
    n_hotels: int
    visits: list[_Node]
    restaurants: list[tuple[Candidate, int]]  # meal-eligible candidates and their points
    intervals: dict[str, Intervals | None]


def _fail(field_name: str, message: str) -> PlanError:
    return PlanError(field_name, message)


def _check_point(point: tuple[float, float], field_name: str) -> None:
    lat, lon = point
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise _fail(field_name, f"invalid coordinates {point}")


def _validate(request: PlanRequest, candidates: Sequence[Candidate]) -> None:
    days = list(request.days)
    if not days:
        raise _fail("days", "at least one day is needed")
    if len(days) > MAX_DAYS:
        raise _fail("days", f"at most {MAX_DAYS} days can be planned, got {len(days)}")
    for i, day in enumerate(days):
        for name, value in (("start", day.start), ("end", day.end)):
            if value.tzinfo is not None:
                raise _fail(f"days[{i}].{name}", "must be a naive local time")
        if day.end <= day.start:
            raise _fail(
                f"days[{i}].end",
                f"day {day.date} ends at {_hhmm(day.end)}, not after its start {_hhmm(day.start)}",
            )
        _check_point(day.start_point, f"days[{i}].start_point")
        _check_point(day.end_point, f"days[{i}].end_point")
    if request.pace not in PACE:
        raise _fail("pace", f"unknown pace {request.pace!r} (relaxed, moderate, packed)")
    if request.mode not in _MODES:
        raise _fail("mode", f"unknown mode {request.mode!r} (walk, transit, drive)")
    if request.travelers < 1:
        raise _fail("travelers", "at least one traveller is needed")
    if request.budget_minor is not None and request.budget_minor < 0:
        raise _fail("budget_minor", "the budget must not be negative")
    if not (request.time_limit > 0 and math.isfinite(request.time_limit)):
        raise _fail("time_limit", "the time limit must be a positive number of seconds")
    if request.max_iterations is not None and request.max_iterations < 0:
        raise _fail("max_iterations", "must not be negative")
    for name, meal in (("lunch", request.lunch), ("dinner", request.dinner)):
        if meal.end <= meal.start or meal.minutes <= 0:
            raise _fail(name, "the meal window must end after it starts and last > 0 minutes")
        if meal.minutes * 60 > _seconds(meal.end) - _seconds(meal.start):
            raise _fail(name, f"a {meal.minutes}-minute meal does not fit into its window")
    keys: set[str] = set()
    for c in candidates:
        if c.key in keys:
            raise _fail("candidates", f"duplicate candidate key {c.key!r}")
        keys.add(c.key)
        _check_point((c.lat, c.lon), "candidates")
        if c.rating is not None and not 0 <= c.rating <= 5:
            raise _fail("candidates", f"{c.key}: rating must be within 0..5")
        if c.price_minor < 0:
            raise _fail("candidates", f"{c.key}: price must not be negative")
        if c.duration_minutes is not None and c.duration_minutes <= 0:
            raise _fail("candidates", f"{c.key}: duration must be positive")
        for item in c.hours or ():
            if len(item) != 2 or item[1] < 0:
                raise _fail("candidates", f"{c.key}: hours are (start_second, duration) pairs")
    unknown = sorted(request.must_see - keys)
    if unknown:
        raise _fail("must_see", f"unknown place(s): {', '.join(unknown)}")
    for key, day_index in sorted(request.locked.items()):
        if key not in keys:
            raise _fail("locked", f"unknown place {key!r}")
        if not 0 <= day_index < len(days):
            raise _fail("locked", f"{key!r} is locked to day {day_index}, which is not planned")
    seen: dict[str, int] = {}
    for day_index, order in sorted(request.order.items()):
        if not 0 <= day_index < len(days):
            raise _fail("order", f"day {day_index} is not planned")
        for key in order:
            if key not in keys:
                raise _fail("order", f"unknown place {key!r}")
            if key in seen:
                raise _fail("order", f"{key!r} appears twice in the manual order")
            seen[key] = day_index
            if request.locked.get(key, day_index) != day_index:
                raise _fail("order", f"{key!r} is ordered on day {day_index} but locked elsewhere")
    for key in sorted(request.avoid):
        if key in keys and (key in request.must_see or key in request.locked or key in seen):
            raise _fail("avoid", f"{key!r} is both avoided and required")


def _travel_minutes(seconds: FloatArray) -> FloatArray:
    mins = np.asarray(seconds, dtype=np.float64) / 60.0
    finite = np.isfinite(mins)
    out = np.where(finite, np.ceil(np.where(finite, mins, 0.0) - 1e-9), UNREACHABLE_MIN)
    out = np.maximum(out, 0.0)
    np.fill_diagonal(out, 0.0)
    return np.asarray(out, dtype=np.float64)


def _build(
    request: PlanRequest, candidates: Sequence[Candidate], travel: TravelTimes, zone: ZoneInfo
) -> tuple[_Model, list[str]]:
    notes: list[str] = []
    interests = interest_categories(request.interests)
    avoid_keys = frozenset(k for k in request.avoid if k in {c.key for c in candidates})
    avoid_cats: set[str] = set()
    for token in sorted(request.avoid - avoid_keys):
        name = token.strip().lower()
        if name in INTEREST_GROUPS:
            avoid_cats |= INTEREST_GROUPS[name]
        else:
            avoid_cats.add(CATEGORY_ALIASES.get(name, name))  # unknown tokens match nothing
    ordered = {k for keys in request.order.values() for k in keys}
    forced = set(request.must_see) | set(request.locked) | ordered
    diet = frozenset(d.strip().lower() for d in request.diet)

    # hotels first (deduplicated), then candidates
    points: list[tuple[float, float]] = []
    index: dict[tuple[float, float], int] = {}
    for spec in request.days:
        for pt in (spec.start_point, spec.end_point):
            key = (float(pt[0]), float(pt[1]))
            if key not in index:
                index[key] = len(points)
                points.append(key)
    n_hotels = len(points)

    visit_cands: list[Candidate] = []
    restaurants: list[tuple[Candidate, int]] = []
    cand_point: dict[str, int] = {}
    # places in an order of what they are, not of their ids (each catalogue import assigns new
    # random ids): the node order steers the search, so the same places give the same plan
    for c in sorted(candidates, key=_content_order):
        cat = _category(c)
        if c.key in avoid_keys:
            continue
        cat_avoided = cat in avoid_cats
        if c.key in forced:
            if cat_avoided:
                notes.append(f"{c.name} is kept although its category {cat} is avoided")
            visit = True
        else:
            visit = (
                not cat_avoided
                and cat not in NOT_SIGHTS
                and (cat not in INTEREST_ONLY or cat in interests)
            )
        meal = (
            request.meals
            and cat in MEAL_CATEGORIES
            and not cat_avoided
            and c.key not in forced
            and diet <= frozenset(d.lower() for d in c.diets)
        )
        if not (visit or meal):
            continue
        cand_point[c.key] = len(points)
        points.append((float(c.lat), float(c.lon)))
        if visit:
            visit_cands.append(c)
        if meal:
            restaurants.append((c, cand_point[c.key]))

    seconds, metres = travel.matrix(points, request.mode)
    seconds = np.asarray(seconds, dtype=np.float64)
    metres = np.asarray(metres, dtype=np.float64)
    if seconds.shape != (len(points), len(points)) or metres.shape != seconds.shape:
        raise PlanBugError("the travel matrix does not match the points")
    minutes = _travel_minutes(seconds)
    metres = np.where(np.isfinite(metres), metres, 0.0)

    days: list[_Day] = []
    for i, spec in enumerate(request.days):
        clock = _Clock(spec.date, zone)
        lo_wall, hi_wall = _seconds(spec.start), _seconds(spec.end)
        start, end = clock.minutes(lo_wall), clock.minutes(hi_wall)
        s_pt = index[(float(spec.start_point[0]), float(spec.start_point[1]))]
        e_pt = index[(float(spec.end_point[0]), float(spec.end_point[1]))]
        transfer = float(minutes[s_pt, e_pt])
        if transfer >= UNREACHABLE_MIN:
            raise _fail(
                f"days[{i}].end_point",
                f"the end point cannot be reached from the start point by {request.mode}",
            )
        transfer_only = start + transfer > end + 1e-9
        transfer_note = (
            f"the transfer from the start to the end point takes {transfer:.0f} min, longer "
            f"than the day {_hhmm(spec.start)}-{_hhmm(spec.end)}: no visits"
            if transfer_only
            else None
        )
        days.append(
            _Day(
                index=i,
                spec=spec,
                clock=clock,
                weekday=spec.date.weekday(),
                lo_wall=lo_wall,
                hi_wall=hi_wall,
                start=start,
                end=end,
                solver_end=max(end, start + transfer),
                start_pt=s_pt,
                end_pt=e_pt,
                transfer_only=transfer_only,
                transfer_note=transfer_note,
            )
        )

    intervals = {c.key: _intervals(c.hours) for c, _ in restaurants}
    visits: list[_Node] = []
    locked_keys = set(request.locked) | ordered
    for c in visit_cands:
        iv = _intervals(c.hours)
        intervals[c.key] = iv
        service = float(visit_minutes(c, request.pace))
        why = candidate_score(c, interests, c.key in request.must_see)
        opens: list[float] = []
        closes: list[float] = []
        for day in days:
            win = (
                None
                if day.transfer_only
                else _window(iv, day.weekday, day.lo_wall, day.hi_wall, day.clock, service)
            )
            opens.append(win[0] if win else day.start)
            closes.append(win[1] if win else -math.inf)
        visits.append(
            _Node(
                key=c.key,
                name=c.name,
                kind="visit",
                category=_category(c),
                point=cand_point[c.key],
                service=service,
                score=round(sum(why.values()), 6),
                why=why,
                cost=float(c.price_minor * request.travelers),
                price_minor=c.price_minor,
                locked=c.key in locked_keys,
                opens=opens,
                closes=closes,
                rating=c.rating or 0.0,
            )
        )
    model = _Model(
        request=request,
        days=days,
        minutes=minutes,
        metres=metres,
        points=points,
        n_hotels=n_hotels,
        visits=visits,
        restaurants=restaurants,
        intervals=intervals,
    )
    return model, notes


def _reachable(model: _Model, nodes: Sequence[_Node]) -> NDArray[np.bool_]:
    """(days x nodes): can the node be visited alone on that day?"""
    m = len(model.days)
    out = np.zeros((m, len(nodes)), dtype=bool)
    if not nodes:
        return out
    pts = np.array([v.point for v in nodes], dtype=np.intp)
    svc = np.array([v.service for v in nodes])
    opn = np.array([v.opens for v in nodes]).T
    cls = np.array([v.closes for v in nodes]).T
    for r, day in enumerate(model.days):
        arrive = day.start + model.minutes[day.start_pt, pts]
        begin = np.maximum(arrive, opn[r])
        back = begin + svc + model.minutes[pts, day.end_pt]
        out[r] = (arrive <= cls[r] + 1e-9) & (back <= day.solver_end + 1e-9)
    return out


def _prefilter(model: _Model, forced: set[str]) -> tuple[list[_Node], NDArray[np.bool_], int]:
    reach = _reachable(model, model.visits)
    any_day = np.asarray(reach.any(axis=0), dtype=bool)
    keep_n = max(MAX_CANDIDATES, CANDIDATES_PER_DAY * len(model.days))
    forced_nodes = [(i, v) for i, v in enumerate(model.visits) if v.key in forced]
    others = [
        (i, v) for i, v in enumerate(model.visits) if v.key not in forced and bool(any_day[i])
    ]
    others.sort(key=lambda iv: (-iv[1].score, iv[0]))
    # back in the model's order (by content, see _build)
    chosen = [v for _, v in sorted(forced_nodes + others[:keep_n], key=lambda iv: iv[0])]
    eligible = len(forced_nodes) + len(others)
    return chosen, reach, eligible


# ---------------------------------------------------------------- instance building


def _instance(
    model: _Model,
    nodes: Sequence[_Node],
    *,
    must_visit: set[int],
    locked: Mapping[int, int],
    prefixes: Mapping[int, Sequence[int]] | None = None,
) -> Instance:
    """``prefixes`` replaces the locked prefix (node indices) the request's order gives a day."""
    h = model.n_hotels
    n = h + len(nodes)
    m = len(model.days)
    pts = np.concatenate([np.arange(h, dtype=np.intp), [v.point for v in nodes]]).astype(np.intp)
    travel = np.ascontiguousarray(model.minutes[np.ix_(pts, pts)])
    score = np.zeros(n)
    service = np.zeros(n)
    cost = np.zeros(n)
    route_open = np.zeros((m, n))
    route_close = np.zeros((m, n))
    for r, day in enumerate(model.days):
        route_open[r, :h] = day.start
        route_close[r, :h] = day.solver_end
    for j, v in enumerate(nodes, start=h):
        score[j] = v.score
        service[j] = v.service
        cost[j] = v.cost
        route_open[:, j] = v.opens
        route_close[:, j] = v.closes
    prefix: dict[int, list[int]] = {}
    node_of = {v.key: j for j, v in enumerate(nodes, start=h) if v.kind == "visit"}
    for r, keys in sorted(model.request.order.items()):
        if keys:
            prefix[r] = [node_of[k] for k in keys]
    prefix.update({r: list(p) for r, p in (prefixes or {}).items()})
    budget = None if model.request.budget_minor is None else float(model.request.budget_minor)
    # the pace's visits a day, plus that day's meals, and never fewer than the traveler's own
    # locked or ordered visits of that day
    per_day = PACE[model.request.pace].visits_per_day
    fixed = [0] * m
    for r in locked.values():
        fixed[r] += 1
    for r, nodes_r in prefix.items():
        fixed[r] += sum(1 for j in nodes_r if j not in locked)
    meals = [0] * m
    for v in nodes:
        if v.kind != "visit":
            for r in range(m):
                meals[r] += v.closes[r] >= v.opens[r]
    max_visits = [max(per_day + meals[r], fixed[r]) for r in range(m)]
    return Instance(
        travel=travel,
        score=score,
        service=service,
        open=np.zeros(n),
        close=np.full(n, float(2 * 24 * 60)),
        n_routes=m,
        cost=cost,
        budget=budget,
        must_visit=frozenset(must_visit),
        locked=dict(locked),
        locked_prefix=prefix,
        depot=model.days[0].start_pt,
        route_open=route_open,
        route_close=route_close,
        starts=[d.start_pt for d in model.days],
        ends=[d.end_pt for d in model.days],
        day_start=np.array([d.start for d in model.days]),
        day_end=np.array([d.solver_end for d in model.days]),
        max_visits=max_visits,
    )


def _check_locks(model: _Model, nodes: Sequence[_Node]) -> None:
    """Clear errors for locks that can never hold (closed day, order too long, budget)."""
    request = model.request
    by_key = {v.key: v for v in nodes}
    targets = dict(request.locked)
    for r, keys in request.order.items():
        for k in keys:
            targets[k] = r
    for key, r in sorted(targets.items()):
        v = by_key[key]
        day = model.days[r]
        if v.closes[r] < v.opens[r]:
            field_name = "order" if key in request.order.get(r, ()) else "locked"
            raise _fail(
                field_name,
                f"{v.name} is closed (or too long for the day) on day {r + 1} ({day.spec.date}, "
                f"{_hhmm(day.spec.start)}-{_hhmm(day.spec.end)})",
            )
    for r, keys in sorted(request.order.items()):
        day = model.days[r]
        t, prev = day.start, day.start_pt
        for key in keys:
            v = by_key[key]
            a = t + float(model.minutes[prev, v.point])
            if a > v.closes[r] + 1e-9:
                raise _fail(
                    "order",
                    f"in the manual order of day {r + 1}, {v.name} cannot be reached before "
                    f"it closes",
                )
            t, prev = max(a, v.opens[r]) + v.service, v.point
        if t + float(model.minutes[prev, day.end_pt]) > day.solver_end + 1e-9:
            raise _fail("order", f"the manual order of day {r + 1} does not fit into the day")
    if request.budget_minor is not None:
        total = sum(by_key[k].cost for k in targets)
        if total > request.budget_minor:
            raise _fail(
                "budget_minor",
                f"the locked places cost {total:.0f}, more than the budget {request.budget_minor}",
            )


_LOCK_FAIL = re.compile(r"locked node (\d+) cannot be scheduled in route (\d+)")


def _solve(instance: Instance, request: PlanRequest, time_limit: float) -> Solution:
    solution = solve(
        instance,
        time_limit=max(time_limit, MIN_SOLVE_SECONDS),
        seed=request.seed,
        max_iterations=request.max_iterations,
    )
    violations = check(instance, solution)
    if violations:
        text = "; ".join(f"{v.kind}: {v.message}" for v in violations[:5])
        raise PlanBugError(f"the solver returned an infeasible plan: {text}")
    return solution
