"""Independent feasibility checker for itinerary (TOPTW) solutions.

It re-derives every schedule from the instance data by forward simulation, deliberately
without the solver's ``wait``/``maxShift`` bookkeeping, and reports every rule broken:
node range and uniqueness, time windows (a visit must start within ``[open, close]``),
arrival times consistent with the travel-time matrix and service durations, the return to the
depot by its closing time, the budget, locked assignments and locked prefixes, and the claimed
total score.  Whether must-visit nodes were included "whenever feasible" is not decidable
here and is not checked.  Time comparisons use an absolute tolerance of ``1e-6``.
"""

from __future__ import annotations

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


def check(instance: Instance, solution: Solution) -> list[Violation]:
    """Return every violation found in ``solution`` (empty list means feasible)."""
    out: list[Violation] = []
    n = int(instance.score.shape[0])
    depot = instance.depot
    tmax = float(instance.close[depot])
    t0 = float(instance.open[depot])
    if len(solution.routes) > instance.n_routes:
        out.append(
            Violation("routes", f"{len(solution.routes)} routes > {instance.n_routes} allowed")
        )
    seen: dict[int, int] = {}
    total_score = 0.0
    total_cost = 0.0
    for ri, plan in enumerate(solution.routes):
        k = len(plan.nodes)
        if not (len(plan.arrival) == len(plan.start) == len(plan.wait) == k):
            out.append(Violation("shape", "schedule lengths differ from node count", ri))
            continue
        if plan.departure < t0 - TOL:
            out.append(Violation("depart", f"leaves depot at {plan.departure} < {t0}", ri))
        clock = plan.departure
        prev = depot
        for pos, node in enumerate(plan.nodes):
            if not 0 <= node < n or node == depot:
                out.append(Violation("node", f"invalid node {node}", ri, node))
                clock = float("nan")
                continue
            if node in seen:
                out.append(
                    Violation("duplicate", f"node {node} also in route {seen[node]}", ri, node)
                )
            seen[node] = ri
            total_score += float(instance.score[node])
            if instance.cost is not None:
                total_cost += float(instance.cost[node])
            leave_prev = clock + (float(instance.service[prev]) if prev != depot else 0.0)
            expect_arrival = leave_prev + float(instance.travel[prev, node])
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
            if start < float(instance.open[node]) - TOL:
                out.append(
                    Violation(
                        "window", f"starts {start} before opening {instance.open[node]}", ri, node
                    )
                )
            if start > float(instance.close[node]) + TOL:
                out.append(
                    Violation(
                        "window", f"starts {start} after closing {instance.close[node]}", ri, node
                    )
                )
            if not abs(plan.wait[pos] - (start - arrival)) <= TOL:
                out.append(Violation("wait", "wait != start - arrival", ri, node))
            clock = start
            prev = node
        leave_prev = clock + (float(instance.service[prev]) if prev != depot else 0.0)
        back = leave_prev + float(instance.travel[prev, depot])
        if not abs(plan.return_time - back) <= TOL:
            out.append(Violation("travel", f"return {plan.return_time} but computed {back}", ri))
        if not back <= tmax + TOL:
            out.append(Violation("deadline", f"returns at {back} after depot close {tmax}", ri))
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
