"""Multi-day model: per-route windows, per-route start/end nodes and day bounds."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navio.itinerary.check import check
from navio.itinerary.solver import Instance, RoutePlan, Solution, solve
from tests.unit.itinerary.test_solver import SETTINGS, _visited

INF = math.inf


def _days_instance(
    seed: int,
    n: int,
    m: int,
    *,
    with_budget: bool = False,
    closed_share: float = 0.3,
) -> Instance:
    """Random multi-day instance: a hotel chain, weekday hours, closed days, per-day bounds.

    Nodes ``1..k`` (``k <= 2``) double as hotels besides the depot 0; day ``r`` runs from hotel
    ``r`` of the chain to hotel ``r + 1``.  Odd seeds put every day on a trip-wide clock (day
    ``r`` shifted by ``1000 r``), even seeds give each day its own clock.
    """
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30, size=(n, 2))
    xy[0] = (15.0, 15.0)
    travel = np.round(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)), 1)
    service = rng.integers(0, 10, size=n).astype(float)
    score = rng.integers(1, 20, size=n).astype(float)
    score[0] = 0.0
    opn = rng.uniform(0, 60, size=n)
    cls = opn + rng.uniform(0, 50, size=n)
    opn[0], cls[0] = 0.0, 100.0
    k = min(2, n - 1, m)
    chain = [int(h) for h in rng.integers(0, k + 1, size=m + 1)]
    starts, ends = chain[:-1], chain[1:]
    offset = np.arange(m, dtype=float) * (1000.0 if seed % 2 else 0.0)
    route_open = opn[None, :] + rng.uniform(-15, 15, size=(m, n)) + offset[:, None]
    route_close = route_open + rng.uniform(0, 50, size=(m, n))
    closed = rng.random((m, n)) < closed_share
    # the canonical encoding (-inf) and a finite empty window (close < open) both mean closed
    route_close = np.where(
        closed, np.where(rng.random((m, n)) < 0.5, -INF, route_open - 1), route_close
    )
    day_start = rng.uniform(0, 20, size=m) + offset
    day_end = day_start + rng.uniform(40, 110, size=m)
    for r in range(m):
        day_end[r] = max(day_end[r], day_start[r] + travel[starts[r], ends[r]] + 1.0)
    cost = rng.integers(0, 30, size=n).astype(float) if with_budget else None
    budget = float(rng.uniform(0, 80)) if with_budget else None
    return Instance(
        travel=travel,
        score=score,
        service=service,
        open=opn,
        close=cls,
        n_routes=m,
        cost=cost,
        budget=budget,
        route_open=route_open,
        route_close=route_close,
        starts=starts,
        ends=ends,
        day_start=day_start,
        day_end=day_end,
    )


def _customers(inst: Instance) -> list[int]:
    return [j for j in range(inst.n_nodes) if j not in inst.terminals()]


def _is_open(inst: Instance, r: int, j: int) -> bool:
    assert inst.route_open is not None
    assert inst.route_close is not None
    return bool(inst.route_close[r, j] >= inst.route_open[r, j])


def _alone_feasible(inst: Instance, r: int, j: int) -> bool:
    """Can route ``r`` visit ``j`` and nothing else?"""
    assert inst.route_open is not None
    assert inst.route_close is not None
    assert inst.day_start is not None
    assert inst.day_end is not None
    s, e = inst.route_starts()[r], inst.route_ends()[r]
    arrive = inst.day_start[r] + inst.travel[s, j]
    start = max(arrive, inst.route_open[r, j])
    back = start + inst.service[j] + inst.travel[j, e]
    return _is_open(inst, r, j) and bool(
        arrive <= inst.route_close[r, j] and back <= inst.day_end[r]
    )


def _open_only_on(inst: Instance, j: int, route: int, **kw: object) -> Instance:
    """``inst`` with node ``j`` closed on every route but ``route`` (plus ``kw`` overrides)."""
    assert inst.route_close is not None
    route_close = inst.route_close.copy()
    others = [r for r in range(inst.n_routes) if r != route]
    route_close[others, j] = -INF
    return replace(inst, route_close=route_close, **kw)  # type: ignore[arg-type]


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 12),
    m=st.integers(0, 3),
    budget=st.booleans(),
)
def test_multiday_instances_pass_checker(seed: int, n: int, m: int, budget: bool) -> None:
    inst = _days_instance(seed, n, m, with_budget=budget)
    sol = solve(inst, time_limit=30, seed=seed, max_iterations=15)
    assert check(inst, sol) == []
    assert len(sol.routes) == m
    assert inst.day_start is not None
    assert inst.day_end is not None
    for r, plan in enumerate(sol.routes):
        assert plan.start_node == inst.route_starts()[r]
        assert plan.end_node == inst.route_ends()[r]
        assert plan.departure == pytest.approx(inst.day_start[r])
        assert plan.return_time <= inst.day_end[r] + 1e-9
        for j in plan.nodes:
            assert j not in inst.terminals()
            assert _is_open(inst, r, j)
    if inst.budget is not None:
        assert sol.cost <= inst.budget + 1e-9


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), m=st.integers(2, 4))
def test_node_open_on_one_route_only_goes_there(seed: int, n: int, m: int) -> None:
    base = _days_instance(seed, n, m, closed_share=0.1)
    customers = _customers(base)
    if not customers:
        return
    j = customers[seed % len(customers)]
    route = seed % m
    score = base.score.copy()
    score[j] = 1000.0  # the most attractive node: the search keeps trying to place it
    inst = _open_only_on(base, j, route, score=score)
    sol = solve(inst, time_limit=30, seed=seed, max_iterations=15)
    assert check(inst, sol) == []
    placed = _visited(sol)
    if j in placed:
        assert placed[j] == route
    if _alone_feasible(inst, route, j):
        assert placed.get(j) == route


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), m=st.integers(1, 3))
def test_multiday_must_visit_kept_when_feasible(seed: int, n: int, m: int) -> None:
    base = _days_instance(seed, n, m)
    customers = _customers(base)
    if not customers:
        return
    j = customers[-1]
    route = (seed // 7) % m
    assert base.route_open is not None
    assert base.route_close is not None
    assert base.day_start is not None
    assert base.day_end is not None
    # worthless but wide open on one day only: feasible in that empty day, so it must be planned
    score = base.score.copy()
    score[j] = 0.0
    route_open = base.route_open.copy()
    route_close = base.route_close.copy()
    route_open[route, j] = base.day_start[route]
    route_close[route, j] = base.day_end[route]
    inst = _open_only_on(
        replace(base, route_open=route_open, route_close=route_close),
        j,
        route,
        score=score,
        must_visit=frozenset({j}),
    )
    sol = solve(inst, time_limit=30, seed=seed, max_iterations=15)
    assert check(inst, sol) == []
    placed = _visited(sol)
    if j in placed:
        assert placed[j] == route
    if _alone_feasible(inst, route, j):
        assert placed.get(j) == route


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), m=st.integers(1, 3))
def test_multiday_locked_items_kept(seed: int, n: int, m: int) -> None:
    inst = _days_instance(seed, n, m)
    pairs = [(j, r) for j in _customers(inst) for r in range(m) if _alone_feasible(inst, r, j)]
    if not pairs:
        return
    j, route = pairs[seed % len(pairs)]
    locked = replace(inst, locked={j: route})
    sol = solve(locked, time_limit=30, seed=seed, max_iterations=15)
    assert check(locked, sol) == []
    assert _visited(sol)[j] == route
    prefixed = replace(inst, locked_prefix={route: [j]})
    sol2 = solve(prefixed, time_limit=30, seed=seed, max_iterations=15)
    assert check(prefixed, sol2) == []
    assert sol2.routes[route].nodes[0] == j


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), m=st.integers(1, 3))
def test_locked_on_closed_day_is_rejected(seed: int, n: int, m: int) -> None:
    inst = _days_instance(seed, n, m)
    closed = [(j, r) for j in _customers(inst) for r in range(m) if not _is_open(inst, r, j)]
    if not closed:
        return
    j, route = closed[seed % len(closed)]
    with pytest.raises(ValueError, match="cannot be scheduled"):
        solve(replace(inst, locked={j: route}), time_limit=30, seed=seed, max_iterations=5)
    with pytest.raises(ValueError, match="prefix"):
        solve(replace(inst, locked_prefix={route: [j]}), time_limit=30, seed=seed, max_iterations=5)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 15), m=st.integers(1, 3))
def test_multiday_deterministic_for_seed(seed: int, n: int, m: int) -> None:
    inst = _days_instance(seed, n, m, with_budget=seed % 2 == 0)
    a = solve(inst, time_limit=30, seed=seed, max_iterations=20)
    b = solve(inst, time_limit=30, seed=seed, max_iterations=20)
    assert a.routes == b.routes
    assert a.score == b.score
    assert a.iterations == b.iterations == 20


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12), m=st.integers(0, 3))
def test_spelled_out_defaults_change_nothing(seed: int, n: int, m: int) -> None:
    """The multi-day fields set to what they default to give the very same search."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30, size=(n, 2))
    travel = np.round(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)), 1)
    opn = rng.uniform(0, 60, size=n)
    cls = opn + rng.uniform(0, 50, size=n)
    opn[0], cls[0] = 0.0, 100.0
    plain = Instance(
        travel=travel,
        score=rng.integers(1, 20, size=n).astype(float),
        service=rng.integers(0, 10, size=n).astype(float),
        open=opn,
        close=cls,
        n_routes=m,
    )
    explicit = replace(
        plain,
        route_open=np.tile(opn, (m, 1)),
        route_close=np.tile(cls, (m, 1)),
        starts=[0] * m,
        ends=[0] * m,
        day_start=np.full(m, opn[0]),
        day_end=np.full(m, cls[0]),
    )
    a = solve(plain, time_limit=30, seed=seed, max_iterations=15)
    b = solve(explicit, time_limit=30, seed=seed, max_iterations=15)
    assert check(explicit, b) == []
    assert [p.nodes for p in a.routes] == [p.nodes for p in b.routes]
    assert a.score == b.score


# --- hand-made instance -------------------------------------------------------------------
#
# Nodes: 0 hotel A, 1 hotel B, 2..4 sights.  Day 0 goes A -> B, day 1 B -> B, day 2 B -> A.
# Sight 2 is closed on day 0 and day 2, sight 3 closed on day 1.  Day 1 uses its own clock.


def _trip() -> Instance:
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 5.0], [5.0, -5.0], [12.0, 4.0]])
    travel = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    route_open = np.array(
        [
            [0.0, 0.0, 0.0, 10.0, 20.0],
            [0.0, 0.0, 540.0, 0.0, 600.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    route_close = np.array(
        [
            [0.0, 0.0, -INF, 50.0, 60.0],
            [0.0, 0.0, 600.0, -INF, 660.0],
            [0.0, 0.0, -INF, 80.0, 80.0],
        ]
    )
    return Instance(
        travel=travel,
        score=np.array([0.0, 0.0, 10.0, 5.0, 7.0]),
        service=np.array([99.0, 99.0, 5.0, 5.0, 5.0]),  # terminals' service is ignored
        open=np.zeros(5),
        close=np.full(5, 100.0),
        n_routes=3,
        route_open=route_open,
        route_close=route_close,
        starts=[0, 1, 1],
        ends=[1, 1, 0],
        day_start=np.array([0.0, 520.0, 0.0]),
        day_end=np.array([100.0, 700.0, 100.0]),
    )


def _plan(
    inst: Instance,
    route: int,
    nodes: tuple[int, ...],
    *,
    simulate_from: int | None = None,
    **kw: object,
) -> RoutePlan:
    """The exact schedule of ``nodes`` as route ``route`` (computed here, not by the solver).

    ``simulate_from`` computes the times as if the route started at another node; ``kw``
    overrides fields of the plan.
    """
    assert inst.route_open is not None
    assert inst.day_start is not None
    t = float(inst.day_start[route])
    prev = inst.route_starts()[route] if simulate_from is None else simulate_from
    svc = 0.0
    arrival: list[float] = []
    start: list[float] = []
    wait: list[float] = []
    for j in nodes:
        a = t + svc + float(inst.travel[prev, j])
        s = max(a, float(inst.route_open[route, j]))
        arrival.append(a)
        start.append(s)
        wait.append(s - a)
        t, prev, svc = s, j, float(inst.service[j])
    back = t + svc + float(inst.travel[prev, inst.route_ends()[route]])
    fields: dict[str, object] = {
        "nodes": nodes,
        "arrival": tuple(arrival),
        "start": tuple(start),
        "wait": tuple(wait),
        "departure": float(inst.day_start[route]),
        "return_time": back,
        "start_node": inst.route_starts()[route],
        "end_node": inst.route_ends()[route],
    }
    fields.update(kw)
    return RoutePlan(**fields)  # type: ignore[arg-type]


def _solution(inst: Instance, plans: list[RoutePlan]) -> Solution:
    score = float(sum(inst.score[j] for p in plans for j in p.nodes))
    return Solution(tuple(plans), score, 0.0, 0, 0.0)


def _kinds(inst: Instance, plans: list[RoutePlan]) -> set[str]:
    return {v.kind for v in check(inst, _solution(inst, plans))}


def test_trip_solved_on_open_days() -> None:
    inst = _trip()
    sol = solve(inst, time_limit=5, seed=0, max_iterations=30)
    assert check(inst, sol) == []
    assert sol.score == 22.0  # every sight fits
    placed = _visited(sol)
    assert placed[2] == 1  # only open on day 1
    assert placed[3] != 1
    assert [(p.start_node, p.end_node) for p in sol.routes] == [(0, 1), (1, 1), (1, 0)]
    assert sol.routes[1].departure == 520.0


def test_hand_made_trip_plan_is_valid() -> None:
    inst = _trip()
    plans = [_plan(inst, 0, (3,)), _plan(inst, 1, (2, 4)), _plan(inst, 2, ())]
    assert check(inst, _solution(inst, plans)) == []
    # start/end nodes left unstated are taken from the instance
    plans[0] = replace(plans[0], start_node=None, end_node=None)
    assert check(inst, _solution(inst, plans)) == []


def test_checker_catches_visit_on_closed_day() -> None:
    inst = _trip()
    kinds = _kinds(inst, [_plan(inst, 0, (2,)), _plan(inst, 1, ()), _plan(inst, 2, ())])
    assert "closed" in kinds
    assert "travel" not in kinds
    # an empty window written as close < open is closed too
    assert inst.route_open is not None
    assert inst.route_close is not None
    route_close = inst.route_close.copy()
    route_close[2, 4] = inst.route_open[2, 4] - 1.0
    inst2 = replace(inst, route_close=route_close)
    assert "closed" in _kinds(
        inst2, [_plan(inst2, 0, ()), _plan(inst2, 1, ()), _plan(inst2, 2, (4,))]
    )


def test_checker_uses_the_route_window() -> None:
    inst = _trip()
    # sight 4 opens at 600 on day 1: starting it at its day-0 opening time is too early
    plan = _plan(inst, 1, (4,))
    early = replace(plan, start=(plan.arrival[0],), wait=(0.0,))
    kinds = _kinds(inst, [_plan(inst, 0, ()), early, _plan(inst, 2, ())])
    assert "window" in kinds


def test_checker_catches_wrong_start_node() -> None:
    inst = _trip()
    good = [_plan(inst, 0, (3,)), _plan(inst, 1, (2,)), _plan(inst, 2, ())]
    bad = [good[0], replace(good[1], start_node=0), good[2]]
    assert "start_node" in _kinds(inst, bad)
    # a schedule simulated from the wrong node is caught even when the plan names no node
    wrong = _plan(inst, 2, (4,), simulate_from=0, start_node=None)
    kinds = _kinds(inst, [good[0], good[1], wrong])
    assert "travel" in kinds
    bad_end = [good[0], good[1], replace(good[2], end_node=1)]
    assert "end_node" in _kinds(inst, bad_end)


def test_checker_catches_late_return_and_early_departure() -> None:
    inst = _trip()
    assert inst.day_end is not None
    day_end = inst.day_end.copy()
    day_end[0] = 20.0  # A -> 3 -> B takes 10 + 7.07 + 5 + 7.07 > 20 (waits until 10 at 3)
    tight = replace(inst, day_end=day_end)
    late = [_plan(tight, 0, (3,)), _plan(tight, 1, ()), _plan(tight, 2, ())]
    assert late[0].return_time > 20.0
    assert "deadline" in _kinds(tight, late)
    # the solver itself never plans it
    sol = solve(tight, time_limit=5, seed=0, max_iterations=20)
    assert check(tight, sol) == []
    assert 3 not in sol.routes[0].nodes
    early = _plan(inst, 1, (2,), departure=500.0)
    assert "depart" in _kinds(inst, [_plan(inst, 0, ()), early, _plan(inst, 2, ())])


def test_checker_rejects_visiting_a_hotel() -> None:
    inst = _trip()
    plans = [_plan(inst, 0, ()), _plan(inst, 1, ()), _plan(inst, 2, (1,))]
    assert "node" in _kinds(inst, plans)


def test_instance_validation() -> None:
    inst = _trip()
    with pytest.raises(ValueError, match="route_open"):
        replace(inst, route_open=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="NaN"):
        replace(inst, route_close=np.full((3, 5), np.nan))
    with pytest.raises(ValueError, match="starts"):
        replace(inst, starts=[0, 1])
    with pytest.raises(ValueError, match="ends"):
        replace(inst, ends=[0, 1, 7])
    with pytest.raises(ValueError, match="day_end"):
        replace(inst, day_end=np.array([1.0]))
    with pytest.raises(ValueError, match="must-visit"):
        replace(inst, must_visit=frozenset({1}))
    with pytest.raises(ValueError, match="locked"):
        replace(inst, locked={1: 0})


def test_unreachable_end_node_is_rejected() -> None:
    inst = _trip()
    assert inst.day_end is not None
    day_end = inst.day_end.copy()
    day_end[0] = 5.0  # hotel A -> hotel B alone takes 10
    with pytest.raises(ValueError, match="route 0"):
        solve(replace(inst, day_end=day_end), time_limit=5, seed=0, max_iterations=5)
