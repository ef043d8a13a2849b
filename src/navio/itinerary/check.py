"""Independent feasibility checker for itinerary (TOPTW) solutions.

It re-derives every schedule from the instance data by forward simulation, deliberately
without the solver's ``wait``/``maxShift`` bookkeeping (and without any of its helpers: the
instance's optional multi-day fields and their defaults are read here from the raw fields),
and reports every rule broken:

* node range and uniqueness; the depot and the routes' start/end nodes (terminals) are never
  visited (``node``, ``duplicate``);
* time windows, per route when the instance has ``route_open``/``route_close``: a visit must
  start within ``[open, close]`` of its route (``window``), and a node whose window in that
  route is empty (``close < open``, canonically ``close = -inf``) is closed on that route and
  may not be visited there at all (``closed``);
* arrival times consistent with the travel-time matrix and service durations, starting from
  the route's own start node (``travel``, ``start``, ``wait``); terminals have zero service;
* the route's start/end nodes (``starts``/``ends``, default the depot) as stated by the plan
  (``start_node``, ``end_node``; a plan that leaves them ``None`` states nothing);
* the day bounds (``day_start``/``day_end``, default ``open[depot]``/``close[depot]``): the
  route leaves its start node no earlier than ``day_start[r]`` (``depart``) and reaches its end
  node by ``day_end[r]`` (``deadline``);
* the budget, locked assignments and locked prefixes, and the claimed total score.

Whether must-visit nodes were included "whenever feasible" is not decidable here and is not
checked.  Time comparisons use an absolute tolerance of ``1e-6``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from navio.itinerary.solver import Instance, Solution

__all__ = ["Violation", "check"]

TOL = 1e-6


@dataclass(frozen=True)
class Violation:
    kind: str
    message: str
    route: int | None = None
    node: int | None = None


@dataclass(frozen=True)
class _Day:
    """What the instance prescribes for one route."""

    first: int
    last: int
    begin: float
    end: float


def _day(instance: Instance, route: int) -> _Day:
    depot = instance.depot
    known = route < instance.n_routes  # extra routes (already reported) get the defaults
    first = int(instance.starts[route]) if known and instance.starts is not None else depot
    last = int(instance.ends[route]) if known and instance.ends is not None else depot
    begin = float(instance.open[depot])
    if known and instance.day_start is not None:
        begin = float(instance.day_start[route])
    end = float(instance.close[depot])
    if known and instance.day_end is not None:
        end = float(instance.day_end[route])
    return _Day(first, last, begin, end)


def _window(instance: Instance, route: int, node: int) -> tuple[float, float]:
    known = route < instance.n_routes
    if known and instance.route_open is not None:
        lo = float(instance.route_open[route][node])
    else:
        lo = float(instance.open[node])
    if known and instance.route_close is not None:
        hi = float(instance.route_close[route][node])
    else:
        hi = float(instance.close[node])
    return lo, hi


def check(instance: Instance, solution: Solution) -> list[Violation]:
    """Return every violation found in ``solution`` (empty list means feasible)."""
    out: list[Violation] = []
    n = int(instance.score.shape[0])
    m = instance.n_routes
    terminals = {instance.depot}
    for r in range(m):
        day = _day(instance, r)
        terminals.update((day.first, day.last))
    if len(solution.routes) > m:
        out.append(Violation("routes", f"{len(solution.routes)} routes > {m} allowed"))
    seen: dict[int, int] = {}
    total_score = 0.0
    total_cost = 0.0

    def service(node: int) -> float:
        return 0.0 if node in terminals else float(instance.service[node])

    for ri, plan in enumerate(solution.routes):
        day = _day(instance, ri)
        k = len(plan.nodes)
        if not (len(plan.arrival) == len(plan.start) == len(plan.wait) == k):
            out.append(Violation("shape", "schedule lengths differ from node count", ri))
            continue
        cap = instance.max_visits
        if cap is not None and ri < len(cap) and k > cap[ri]:
            out.append(Violation("visits", f"{k} visits > {cap[ri]} allowed", ri))
        if plan.start_node is not None and plan.start_node != day.first:
            out.append(
                Violation("start_node", f"starts at node {plan.start_node}, not {day.first}", ri)
            )
        if plan.end_node is not None and plan.end_node != day.last:
            out.append(Violation("end_node", f"ends at node {plan.end_node}, not {day.last}", ri))
        if not plan.departure >= day.begin - TOL:
            out.append(
                Violation(
                    "depart", f"leaves node {day.first} at {plan.departure} < {day.begin}", ri
                )
            )
        clock = plan.departure
        prev = day.first
        for pos, node in enumerate(plan.nodes):
            if not 0 <= node < n or node in terminals:
                what = "a start/end node" if 0 <= node < n else "out of range"
                out.append(Violation("node", f"invalid node {node} ({what})", ri, node))
                clock = math.nan
                continue
            if node in seen:
                out.append(
                    Violation("duplicate", f"node {node} also in route {seen[node]}", ri, node)
                )
            seen[node] = ri
            total_score += float(instance.score[node])
            if instance.cost is not None:
                total_cost += float(instance.cost[node])
            expect_arrival = clock + service(prev) + float(instance.travel[prev, node])
            arrival = plan.arrival[pos]
            start = plan.start[pos]
            if not abs(arrival - expect_arrival) <= TOL:
                out.append(
                    Violation(
                        "travel",
                        f"arrival {arrival} but departure+travel gives {expect_arrival}",
                        ri,
                        node,
                    )
                )
            if start < arrival - TOL:
                out.append(
                    Violation("start", f"starts {start} before arriving {arrival}", ri, node)
                )
            lo, hi = _window(instance, ri, node)
            if hi < lo or hi == -math.inf:
                out.append(Violation("closed", f"node {node} is closed on route {ri}", ri, node))
            if start < lo - TOL:
                out.append(Violation("window", f"starts {start} before opening {lo}", ri, node))
            if start > hi + TOL:
                out.append(Violation("window", f"starts {start} after closing {hi}", ri, node))
            if not abs(plan.wait[pos] - (start - arrival)) <= TOL:
                out.append(Violation("wait", "wait != start - arrival", ri, node))
            clock = start
            prev = node
        back = clock + service(prev) + float(instance.travel[prev, day.last])
        if not abs(plan.return_time - back) <= TOL:
            out.append(Violation("travel", f"return {plan.return_time} but computed {back}", ri))
        if not back <= day.end + TOL:
            out.append(
                Violation("deadline", f"reaches node {day.last} at {back} after {day.end}", ri)
            )
    if instance.budget is not None and total_cost > instance.budget + TOL:
        out.append(Violation("budget", f"cost {total_cost} exceeds budget {instance.budget}"))
    for node, route in instance.locked.items():
        if seen.get(node) != route:
            out.append(Violation("locked", f"node {node} must be in route {route}", None, node))
    for route, prefix in instance.locked_prefix.items():
        nodes = solution.routes[route].nodes if route < len(solution.routes) else ()
        if tuple(nodes[: len(prefix)]) != tuple(prefix):
            out.append(Violation("prefix", f"route must start with {list(prefix)}", route))
    if abs(total_score - solution.score) > TOL * max(1.0, abs(total_score)):
        out.append(Violation("score", f"claimed score {solution.score} != {total_score}"))
    return out
