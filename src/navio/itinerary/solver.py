"""Iterated local search for the multi-day Team Orienteering Problem with Time Windows.

Problem (TOPTW)
---------------
Nodes ``0..n-1`` with an ``n x n`` travel-time matrix; there are ``m`` routes, one per day.
In the basic model node ``depot`` (0 by default) is the hotel where every route starts and
ends: every route leaves the depot at ``open[depot]`` and must be back by ``close[depot]``.
Each other node has a score, a service (visit) duration and a time window ``[open, close]``
within which the visit must *start* (arriving early means waiting).  Choose disjoint ordered
subsets of nodes, one per route, maximising the total score, optionally under a budget cap on
the summed node costs, with optional *must-visit* nodes (strongly preferred: lexicographically
first in the objective) and *locked* nodes (fixed to a route, optionally as a fixed ordered
prefix of it) for re-optimising a partially fixed plan.

Multi-day extensions (all optional; without them the basic model above applies unchanged):

* **Per-route time windows** - ``route_open`` / ``route_close`` of shape ``(m, n)``: node
  ``j`` may be visited in route ``r`` only with a start time in
  ``[route_open[r, j], route_close[r, j]]`` (opening hours that differ per weekday).  A node
  is *closed* in route ``r`` when ``route_close[r, j] < route_open[r, j]``; the canonical
  encoding is ``route_close[r, j] = -inf``.  A closed node is never placed in that route.  The
  same rule applies to the shared ``open``/``close``: ``close[j] < open[j]`` means never open.
* **Per-route start/end nodes and day bounds** - route ``r`` leaves node ``starts[r]`` at
  time ``day_start[r]`` and must arrive at node ``ends[r]`` by ``day_end[r]`` (a different
  hotel per night: day ``r`` runs from the hotel of night ``r - 1`` to that of night ``r``).
  Start, end and depot nodes are *terminals*: never visited as customers, zero service; their
  own time windows are ignored (``day_start``/``day_end`` bound the route instead).

The times of one route need only be consistent within that route (each day may use its own
clock, e.g. minutes since that day's midnight, or one clock for the whole trip): the search
only compares durations across routes.

Algorithm
---------
The search follows the iterated local search (ILS) of Vansteenwegen, Souffriau, Vanden Berghe &
Van Oudheusden, "Iterated local search for the team orienteering problem with time windows",
Computers & Operations Research 36(12), 2009, with the refinements of later ILS variants
(Gunawan, Lau & Lu, "Well-tuned algorithms for the team orienteering problem with time
windows", JORS 68(8), 2017; Labadie et al., "The team orienteering problem with time windows:
an LP-based granular variable neighborhood search", EJOR 220(1), 2012):

* **Insertion** - greedy: each step inserts the unvisited node with the best ratio
  ``score**2 / shift`` where ``shift`` is the extra time its insertion adds at its cheapest
  feasible position.  Each position of a route keeps ``wait`` and ``maxShift`` (how much the
  visit could be delayed without breaking a later window or the return deadline), so the
  feasibility of one insertion is O(1): ``arrival_j <= close_j`` and
  ``shift_j <= wait_k + maxShift_k`` for the following visit ``k``.  All (position, node)
  pairs of a route are evaluated against that route's own window rows and day bounds.  Only
  the gaps where the node can be in time are scanned: latest starts (``start + maxShift``)
  and starts never decrease along a route, so a bisection finds the first gap whose next
  visit may start after the node's opening plus service, and the scan stops once a visit
  starts after the node closes.  Shifts are evaluated on demand and kept per route while
  its sequence is unchanged (after an insertion, only the nodes that fitted before are
  evaluated again).  Each step scans the nodes by an upper bound of their ratio, ``score**2``
  over their service time (the least shift under the triangle inequality), and stops once no
  remaining node can beat the best ratio found, so most nodes are never evaluated.  During
  the search the ratios are perturbed by multiplicative noise (noisy re-insertion), a factor
  drawn in ``[1 - _NOISE, 1 + _NOISE)``; a fresh episode's construction draws in
  ``[1 - _FRESH_NOISE, 1 + _FRESH_NOISE)``.
* **Local improvement** - after the insertion phase, routes whose sequence changed are
  shortened by first-improvement intra-route 2-opt and relocate moves (granular: segments and
  relocation distances up to ``_SPAN``, scanned cyclically) and by inter-route relocate and
  swap moves (any move is accepted if it keeps every window of the receiving route and reduces
  total route duration; inter-route moves are evaluated in O(1) each from ``wait``,
  ``maxShift`` and suffix sums over the position pairs of two routes where the moved visits
  can be in time, found by the same bisection, and re-simulated before they are applied);
  then the insertion is re-run, since the freed time may admit new visits.  A *replace* move
  then tries to exchange a visited node for a better unvisited one in its place (O(1) per
  pair; the free nodes are tried by score, so each position stops at its first feasible
  node), or, on small solutions, anywhere in the same route.  When all
  routes share their windows, day bounds, visit cap and end node (the benchmark's identical
  vehicles, not a multi-day plan), 2-opt* also exchanges the tails of two routes.
* **Perturbation (shake)** - either (block) in every route, remove a block of consecutive
  visits of randomised size (up to ``_SHAKE_FRAC / sqrt(m)`` of the longest route, so the
  whole cut grows with the square root of the number of routes) and position, or (related
  removal, a share ``_RELATED_SHARE`` of the shakes) remove the visits closest in travel time
  plus start-time difference to a random visit, across all routes, so that a neighbourhood is
  re-planned together and visits change routes; remaining visits are shifted earlier to remove
  needless waiting.  A share ``_FORCE_SHARE`` of the shakes instead forces one unvisited node
  (the best-scored of three drawn at random) into the gap where it adds the least travel and
  drops the lowest-scored other visits of that route until it is feasible and within the
  budget again: a jump into a region that greedy insertion never enters, because its first
  visit costs more time than any other insertion.  Of the other shakes, a share
  ``_WORST_SHARE`` (worst removal) removes the visits that bring the least score squared per
  unit of time their removal saves (travel detour plus service, noised by a factor in
  [0.5, 1.5)), across all routes, so the poorest visits make room together.
* **Restart** - after a number of non-improving iterations (fewer on instances with more than
  ``_RESTART_SCALE`` customers, which afford fewer iterations) the search restarts from the
  best solution of the current episode (intensification) unless the current solution is
  within ``_ACCEPT`` of it (threshold accepting); the shake-size bound grows with
  stagnation.  After a longer stagnation a new episode starts from a fresh, strongly noised
  greedy construction (diversification); the overall best is kept across episodes.  In the
  last ``_END_GAME`` of the run (of the time limit, or of the iterations when they bind) no
  new episode starts: a long stagnation sends the search back to the overall best instead,
  since an episode started that late has too little time left to catch up with it.
* **Recombination** - when every route may take any slot (identical routes: the benchmark's
  vehicles, no locked visits), every route of every local optimum goes into a pool of the
  ``_POOL_SIZE`` best-scored distinct visit sets, and every ``_RECOMBINE_EVERY`` iterations
  (twice as long after each failure, up to 16 times) the best set packing of the pool (at
  most ``m`` routes, no visit twice, within the budget) is found by depth-first branch and
  bound, limited to ``_PACK_NODES`` nodes and 2 % of the time limit; if it beats the best
  solution, the search goes on from it.  This is the route-recombination step of Hu & Lim,
  "An iterative three-component heuristic for the team orienteering problem with time
  windows", EJOR 232(2), 2014 (there with a MIP solver over the pool).  The bound is
  Lagrangian: each visit's "at most one route" constraint is priced by a multiplier, found by
  subgradient steps (warm-started from the last recombination's), and the branch and bound
  walks the routes by reduced score (score less their visits' multipliers); its bound, the
  free visits' multipliers plus the best positive reduced scores still to come, lies a few
  points above the best solution where the sum of the best route scores lay hundreds above,
  so the packing is mostly proven optimal within milliseconds.  A last recombination runs
  when the search stops (its time is kept from the search), since the pool then holds the
  routes of the last iterations too.  From ``_INJECT_FROM`` routes on, a share
  ``_INJECT_SHARE`` of the shakes also injects one pool route (the best-scored of three
  drawn at random) in place of the current route sharing the most visits with it, if it
  scores more than that route: the other routes lose the visits it brings and the local
  search refills them, a crossover of the current solution with an elite route that, unlike
  the packing, needs no disjoint partners in the pool.

Implementation: this module validates the instance, builds its arrays, places the locked
visits and turns the result back into schedules; the search loop itself (everything above)
runs in the C extension ``navio.itinerary._ils`` (``_ils.c``, built by ``pip install``), without
the GIL (and without global state, so searches may run in parallel threads).  In Python
with numpy the same loop managed 50-700 iterations a second on the 100-288 customer benchmark
instances, too few for their landscape; compiled it does 10-25x more.

The solver is *anytime*: it stops after ``time_limit`` seconds (or ``max_iterations``) and
returns the best solution found.  It is deterministic for a given seed and iteration count;
when only the time limit binds, the result depends on how many iterations fitted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from navio.itinerary._ils import search as _search

__all__ = ["Instance", "RoutePlan", "Solution", "solve"]

FloatArray = NDArray[np.float64]

_EPS = 1e-9
_RESTART_AFTER = 40  # non-improving iterations before restarting from the best solution
_NOISE = 0.7  # relative noise on insertion ratios during the search: a factor in [0.3, 1.7)
_RESTART_SCALE = 100  # customers up to which _RESTART_AFTER applies; shrinks beyond
_SHAKE_FRAC = 0.5  # maximal shake size per route as a share of the longest route, over sqrt(m)
_SHAKE_GROWTH = 100  # stalled iterations per extra unit of maximal shake size
_FRESH_AFTER = 100  # stalled iterations before a new episode from a fresh construction
_REPLACE_FULL = 20  # visited customers up to which _replace also tries remove-and-insert
_SPAN = 8  # granular intra-route moves: longest reversed segment / relocation distance
_RELATED_SHARE = 0.5  # share of shakes that remove related visits (close in space and time)
_RELATED_FRAC = 0.15  # related removal: at most this share of all visits
_ACCEPT = 0.02  # the search goes on from a solution this share below the episode's best
_RECOMBINE_EVERY = 100  # iterations between set-packing recombinations of the route pool
_POOL_SIZE = 4000  # routes kept for recombination (the best-scored distinct visit sets)
_PACK_NODES = 100_000  # branch-and-bound nodes per recombination
_FORCE_SHARE = 0.1  # share of shakes that force an unvisited node in (dropping visits to fit it)
_WORST_SHARE = 0.2  # share of the other shakes removing the visits of least score^2 per time saved
_FRESH_NOISE = 1.0  # insertion noise of a fresh episode's construction: a factor in [0, 2)
_END_GAME = 0.2  # last share of the run without new episodes: stalls go back to the overall best
# share of shakes putting a better pool route in place of the route it overlaps most, from
# m = _INJECT_FROM routes on (at m = 2 it lost in 13 of 16 seed pairs; there none of 298
# packings counted on pr01-pr20 stopped at the node limit, so the packing already finds the
# pool's best pair of disjoint routes; see docs/decisions.md)
_INJECT_SHARE = 0.1
_INJECT_FROM = 3


@dataclass(frozen=True, eq=False)
class Instance:
    """A TOPTW instance.  Arrays are indexed by node; ``travel`` is an ``n x n`` matrix.

    All times (``travel``, ``service``, windows, day bounds) share one unit, e.g. minutes.

    ``locked`` maps a node to the route (0-based) it must belong to; ``locked_prefix`` maps a
    route to the ordered visits that must open it.  Nodes of a prefix are implicitly locked.

    Multi-day fields (``m = n_routes``), each optional and independent of the others:

    * ``route_open``, ``route_close`` - shape ``(m, n)``; row ``r`` replaces ``open`` /
      ``close`` for route ``r`` (a missing one of the two falls back to the shared array for
      every route).  Node ``j`` is closed in route ``r`` when ``route_close[r, j] <
      route_open[r, j]``; write ``route_close[r, j] = -inf`` for that.  NaN is rejected.
    * ``starts``, ``ends`` - ``m`` node indices; route ``r`` starts at ``starts[r]`` and ends
      at ``ends[r]``.  Default: ``depot`` for every route.
    * ``day_start``, ``day_end`` - shape ``(m,)``; route ``r`` departs at ``day_start[r]`` and
      must arrive at its end node by ``day_end[r]``.  Default: ``open[depot]`` /
      ``close[depot]`` for every route.  NaN is rejected.

    The depot and every start/end node are terminals: they may not be visited, must-visit or
    locked, and their service time is taken as zero.
    """

    travel: FloatArray
    score: FloatArray
    service: FloatArray
    open: FloatArray
    close: FloatArray
    n_routes: int
    cost: FloatArray | None = None
    budget: float | None = None
    must_visit: frozenset[int] = frozenset()
    locked: Mapping[int, int] = field(default_factory=dict)
    locked_prefix: Mapping[int, Sequence[int]] = field(default_factory=dict)
    depot: int = 0
    route_open: FloatArray | None = None
    route_close: FloatArray | None = None
    starts: Sequence[int] | None = None
    ends: Sequence[int] | None = None
    day_start: FloatArray | None = None
    day_end: FloatArray | None = None
    # at most this many visits per route (a day's pace); None: no limit
    max_visits: Sequence[int] | None = None

    def __post_init__(self) -> None:
        n = self.n_nodes
        m = self.n_routes
        if self.travel.shape != (n, n):
            raise ValueError(f"travel matrix must be {n}x{n}, got {self.travel.shape}")
        if not (np.all(self.travel >= 0) and np.all(self.service >= 0)):
            raise ValueError("travel times and service durations must be >= 0 (and not NaN)")
        if self.max_visits is not None and (
            len(self.max_visits) != m or any(v < 0 for v in self.max_visits)
        ):
            raise ValueError(f"max_visits needs {m} counts >= 0")
        for name in ("service", "open", "close"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},)")
        if self.cost is not None and self.cost.shape != (n,):
            raise ValueError(f"cost must have shape ({n},)")
        if m < 0:
            raise ValueError("n_routes must be >= 0")
        if not 0 <= self.depot < n:
            raise ValueError("depot out of range")
        for name, shape in (
            ("route_open", (m, n)),
            ("route_close", (m, n)),
            ("day_start", (m,)),
            ("day_end", (m,)),
        ):
            value = getattr(self, name)
            if value is None:
                continue
            arr = np.asarray(value, dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
            if np.isnan(arr).any():
                raise ValueError(f"{name} must not contain NaN")
        for name in ("starts", "ends"):
            nodes = getattr(self, name)
            if nodes is None:
                continue
            if len(nodes) != m:
                raise ValueError(f"{name} must list {m} nodes, got {len(nodes)}")
            for node in nodes:
                if not 0 <= int(node) < n:
                    raise ValueError(f"{name} node {node} out of range")
        terminals = self.terminals()
        for node in self.must_visit:
            if not 0 <= node < n or node in terminals:
                raise ValueError(f"invalid must-visit node {node}")
        for node, route in self.all_locked().items():
            if not 0 <= node < n or node in terminals:
                raise ValueError(f"invalid locked node {node}")
            if not 0 <= route < m:
                raise ValueError(f"locked node {node} refers to missing route {route}")

    @property
    def n_nodes(self) -> int:
        return int(self.score.shape[0])

    def route_starts(self) -> list[int]:
        """The start node of every route (``starts``, default the depot)."""
        if self.starts is None:
            return [self.depot] * self.n_routes
        return [int(v) for v in self.starts]

    def route_ends(self) -> list[int]:
        """The end node of every route (``ends``, default the depot)."""
        if self.ends is None:
            return [self.depot] * self.n_routes
        return [int(v) for v in self.ends]

    def terminals(self) -> frozenset[int]:
        """The depot and every start/end node: nodes that are never visited as customers."""
        return frozenset([self.depot, *self.route_starts(), *self.route_ends()])

    def all_locked(self) -> dict[int, int]:
        """Node -> route for every locked node, including those of locked prefixes."""
        out = dict(self.locked)
        for route, prefix in self.locked_prefix.items():
            for node in prefix:
                if out.get(node, route) != route:
                    raise ValueError(f"node {node} locked to two routes")
                out[node] = route
        return out


@dataclass(frozen=True)
class RoutePlan:
    """One route: the visited nodes (start/end nodes excluded) and their schedule.

    ``departure`` is the time the route leaves ``start_node``; ``return_time`` the arrival at
    ``end_node``.  The solver always fills ``start_node``/``end_node``; ``None`` (for plans
    built by hand) means "the instance's start/end node of this route".
    """

    nodes: tuple[int, ...]
    arrival: tuple[float, ...]
    start: tuple[float, ...]
    wait: tuple[float, ...]
    departure: float
    return_time: float
    start_node: int | None = None
    end_node: int | None = None


@dataclass(frozen=True)
class Solution:
    routes: tuple[RoutePlan, ...]
    score: float
    cost: float
    iterations: int
    elapsed: float


class _Ctx:
    """Instance data as arrays (for the compiled search) and lists (for the Python loops)."""

    def __init__(self, inst: Instance) -> None:
        n = inst.n_nodes
        m = inst.n_routes
        self.inst = inst
        self.n = n
        self.m = m
        self.depot = inst.depot
        self.starts = inst.route_starts()
        self.ends = inst.route_ends()
        self.terminals = sorted(inst.terminals())
        self.T = np.ascontiguousarray(inst.travel, dtype=np.float64)
        self.TT = np.ascontiguousarray(self.T.T)
        self.Tl: list[list[float]] = self.T.tolist()
        self.svc = np.asarray(inst.service, dtype=np.float64).copy()
        self.svc[self.terminals] = 0.0  # terminals' own service durations are ignored
        self.svcl: list[float] = self.svc.tolist()
        # Time windows per route: row ``r`` of each list (routes share one row object when the
        # instance has no per-route windows).  A closed node gets ``close = -inf``.
        shared_open = np.asarray(inst.open, dtype=np.float64)
        shared_close = np.asarray(inst.close, dtype=np.float64)
        self.opn: list[FloatArray]
        self.cls: list[FloatArray]
        if inst.route_open is None and inst.route_close is None:
            self.opn = [shared_open] * m
            self.cls = [_closed_to_neg_inf(shared_open, shared_close)] * m
        else:
            ro = shared_open if inst.route_open is None else inst.route_open
            rc = shared_close if inst.route_close is None else inst.route_close
            ro = np.broadcast_to(np.asarray(ro, dtype=np.float64), (m, n))
            rc = np.broadcast_to(np.asarray(rc, dtype=np.float64), (m, n))
            self.opn = [np.ascontiguousarray(ro[r]) for r in range(m)]
            self.cls = [_closed_to_neg_inf(ro[r], rc[r]) for r in range(m)]
        self.opnl: list[list[float]] = _as_lists(self.opn)
        self.clsl: list[list[float]] = _as_lists(self.cls)
        t0 = float(shared_open[self.depot])
        tmax = float(shared_close[self.depot])
        self.t0: list[float] = (
            [t0] * m if inst.day_start is None else np.asarray(inst.day_start, float).tolist()
        )
        self.tmax: list[float] = (
            [tmax] * m if inst.day_end is None else np.asarray(inst.day_end, float).tolist()
        )
        self.cap: list[int] = (
            [n] * m if inst.max_visits is None else [int(v) for v in inst.max_visits]
        )
        score = np.asarray(inst.score, dtype=np.float64)
        self.bonus = float(np.abs(score).sum()) + 1.0
        eff = score.copy()
        for j in inst.must_visit:
            eff[j] += self.bonus
        self.eff = eff
        self.effl: list[float] = eff.tolist()
        self.cost = np.zeros(n) if inst.cost is None else np.asarray(inst.cost, dtype=np.float64)
        self.costl: list[float] = self.cost.tolist()
        self.budget = math.inf if inst.budget is None else float(inst.budget)
        self.locked = inst.all_locked()
        self.prefix: list[list[int]] = [list(inst.locked_prefix.get(r, ())) for r in range(self.m)]
        cand = eff > 0
        cand[self.terminals] = False
        self.candidate = cand


def _closed_to_neg_inf(opn: FloatArray, cls: FloatArray) -> FloatArray:
    """``cls`` with ``-inf`` wherever the window is empty (so no arrival is ever early enough)."""
    return np.ascontiguousarray(np.where(cls < opn, -np.inf, cls), dtype=np.float64)


def _as_lists(rows: list[FloatArray]) -> list[list[float]]:
    """``row.tolist()`` per row, converting a row object shared by several routes only once."""
    done: dict[int, list[float]] = {}
    out: list[list[float]] = []
    for row in rows:
        key = id(row)
        if key not in done:
            done[key] = row.tolist()
        out.append(done[key])
    return out


class _Route:
    """Route ``idx``: ``seq = [start node, ..., end node]`` with arrival/start/wait/maxShift.

    ``idx`` selects the route's time-window rows (``c.opn[idx]``, ``c.cls[idx]``) and day
    bounds (``c.t0[idx]``, ``c.tmax[idx]``).
    """

    __slots__ = ("arr", "fixed", "idx", "ms", "seq", "start", "wait")

    def __init__(self, seq: list[int], fixed: int, idx: int) -> None:
        self.seq = seq
        self.fixed = fixed  # number of leading customers that may not move (locked prefix)
        self.idx = idx
        self.arr: list[float] = []
        self.start: list[float] = []
        self.wait: list[float] = []
        self.ms: list[float] = []

    def update(self, c: _Ctx) -> None:
        idx = self.idx
        seq, tl, svc, opn, cls = self.seq, c.Tl, c.svcl, c.opnl[idx], c.clsl[idx]
        t0 = c.t0[idx]
        size = len(seq)
        arr = [t0] * size
        start = [t0] * size
        wait = [0.0] * size
        t = t0
        prev = seq[0]
        for k in range(1, size):
            node = seq[k]
            a = t + svc[prev] + tl[prev][node]
            arr[k] = a
            s = a if k == size - 1 else max(a, opn[node])
            start[k] = s
            wait[k] = s - a
            t = s
            prev = node
        ms = [0.0] * size
        ms[-1] = c.tmax[idx] - arr[-1]
        for k in range(size - 2, 0, -1):
            ms[k] = min(cls[seq[k]] - start[k], wait[k + 1] + ms[k + 1])
        ms[0] = wait[1] + ms[1] if size > 1 else 0.0
        self.arr, self.start, self.wait, self.ms = arr, start, wait, ms


def _route_end(c: _Ctx, ri: int, seq: Sequence[int]) -> float:
    """Return time of ``seq`` as route ``ri`` or ``inf`` if it breaks a window or the deadline."""
    if len(seq) - 2 > c.cap[ri]:
        return math.inf
    tl, svc, opn, cls = c.Tl, c.svcl, c.opnl[ri], c.clsl[ri]
    t = c.t0[ri]
    prev = seq[0]
    last = len(seq) - 1
    for k in range(1, last):
        node = seq[k]
        a = t + svc[prev] + tl[prev][node]
        if a > cls[node] + _EPS:
            return math.inf
        t = a if a > opn[node] else opn[node]
        prev = node
    end = t + svc[prev] + tl[prev][seq[last]]
    return end if end <= c.tmax[ri] + _EPS else math.inf


class _State:
    __slots__ = ("cost", "eff", "routes", "visited")

    def __init__(self, routes: list[_Route], visited: NDArray[np.bool_], eff: float, cost: float):
        self.routes = routes
        self.visited = visited
        self.eff = eff
        self.cost = cost


def _eval_route(c: _Ctx, r: _Route) -> tuple[FloatArray, NDArray[np.intp]]:
    """Cheapest feasible insertion shift of every node into route ``r`` (inf if none).

    Returns ``(shift, gap)``: inserting node ``j`` after position ``gap[j]`` costs
    ``shift[j]`` extra time.  Vectorised over all (gap, node) pairs, with the route's own
    window rows (a node closed in this route has ``close = -inf``: never feasible).  A route
    holding its maximal number of visits takes no more.
    """
    if len(r.seq) - 2 >= c.cap[r.idx]:
        return np.full(c.n, np.inf), np.zeros(c.n, dtype=np.intp)
    lo = r.fixed
    seq = np.asarray(r.seq)
    prev = seq[lo:-1]
    nxt = seq[lo + 1 :]
    start = np.asarray(r.start)
    dep = start[lo:-1] + c.svc[prev]
    arrj = dep[:, None] + c.T[prev]
    stj = np.maximum(arrj, c.opn[r.idx][None, :])
    old_next = np.asarray(r.arr[lo + 1 :])
    shift = stj + c.svc[None, :] + c.TT[nxt] - old_next[:, None]
    slack = np.asarray(r.wait[lo + 1 :]) + np.asarray(r.ms[lo + 1 :])
    feas = (arrj <= c.cls[r.idx][None, :] + _EPS) & (shift <= slack[:, None] + _EPS)
    shift = np.where(feas, np.maximum(shift, _EPS), np.inf)
    gap = np.argmin(shift, axis=0)
    best = shift[gap, np.arange(c.n)]
    return best, gap + lo


def _initial(c: _Ctx) -> _State:
    visited = np.zeros(c.n, dtype=bool)
    visited[c.terminals] = True
    routes: list[_Route] = []
    eff = 0.0
    cost = 0.0
    for ri in range(c.m):
        prefix = c.prefix[ri]
        first, last = c.starts[ri], c.ends[ri]
        if not math.isfinite(_route_end(c, ri, [first, last])):
            raise ValueError(
                f"route {ri} cannot go from node {first} at {c.t0[ri]} to node {last} "
                f"by {c.tmax[ri]}"
            )
        seq = [first, *prefix, last]
        if not math.isfinite(_route_end(c, ri, seq)):
            raise ValueError(f"locked prefix of route {ri} is infeasible")
        r = _Route(seq, len(prefix), ri)
        r.update(c)
        routes.append(r)
        for j in prefix:
            visited[j] = True
            eff += c.effl[j]
            cost += c.costl[j]
    for j, ri in sorted(c.locked.items()):
        if visited[j]:
            continue
        r = routes[ri]
        shift, gap = _eval_route(c, r)
        if not math.isfinite(shift[j]):
            raise ValueError(f"locked node {j} cannot be scheduled in route {ri}")
        r.seq.insert(int(gap[j]) + 1, j)
        r.update(c)
        visited[j] = True
        eff += c.effl[j]
        cost += c.costl[j]
    if cost > c.budget + _EPS:
        raise ValueError("locked nodes exceed the budget")
    return _State(routes, visited, eff, cost)


def _export(c: _Ctx, s: _State, iterations: int, elapsed: float) -> Solution:
    plans = []
    score = 0.0
    for r in s.routes:
        nodes = tuple(r.seq[1:-1])
        score += float(sum(c.inst.score[j] for j in nodes))
        plans.append(
            RoutePlan(
                nodes=nodes,
                arrival=tuple(r.arr[1:-1]),
                start=tuple(r.start[1:-1]),
                wait=tuple(r.wait[1:-1]),
                departure=r.start[0],
                return_time=r.arr[-1],
                start_node=r.seq[0],
                end_node=r.seq[-1],
            )
        )
    cost = float(sum(c.costl[j] for p in plans for j in p.nodes))
    return Solution(tuple(plans), score, cost, iterations, elapsed)


def solve(
    instance: Instance,
    *,
    time_limit: float,
    seed: int = 0,
    max_iterations: int | None = None,
    construct_only: bool = False,
) -> Solution:
    """Run the ILS for ``time_limit`` seconds (or ``max_iterations``) and return the best.

    ``construct_only``: return the greedy score^2/shift insertion from the initial state alone
    (no local search, no iteration): the baseline the search starts from.

    Raises ``ValueError`` if the locked assignments themselves are infeasible, or if a route
    cannot even travel from its start node to its end node within its day bounds.  The search
    itself runs in the compiled ``_ils`` module, without the GIL.
    """
    t_begin = time.perf_counter()
    c = _Ctx(instance)
    init = _initial(c)
    n_cust = max(1, int(c.candidate.sum()))
    # large instances afford fewer iterations per second: restart from the episode's best sooner
    restart_after = max(
        1, int(_RESTART_AFTER * (_RESTART_SCALE / max(_RESTART_SCALE, n_cust)) ** 4)
    )
    locked = np.zeros(c.n, dtype=np.uint8)
    locked[list(c.locked)] = 1
    opn = np.ascontiguousarray(np.stack(c.opn) if c.m else np.zeros((0, c.n)))
    cls = np.ascontiguousarray(np.stack(c.cls) if c.m else np.zeros((0, c.n)))
    seqs, iterations = _search(
        n=c.n,
        m=c.m,
        travel=c.T,
        service=c.svc,
        open=opn,
        close=cls,
        t0=np.asarray(c.t0, dtype=np.float64),
        tmax=np.asarray(c.tmax, dtype=np.float64),
        cap=np.asarray(c.cap, dtype=np.intc),
        eff=c.eff,
        cost=c.cost,
        budget=c.budget,
        candidate=c.candidate.astype(np.uint8),
        locked=locked,
        routes=[r.seq for r in init.routes],
        fixed=np.asarray([r.fixed for r in init.routes], dtype=np.intc),
        seed=seed,
        # 3 % of the limit is kept for building the schedules after the search and for the
        # machine's own pauses (one 1 s run of 420 took 1.005 s with 1 % kept)
        time_limit=max(0.0, 0.97 * time_limit - (time.perf_counter() - t_begin)),
        max_iterations=-1 if max_iterations is None else max_iterations,
        params=(
            restart_after,
            _FRESH_AFTER,
            _SHAKE_GROWTH,
            _REPLACE_FULL,
            _SPAN,
            _NOISE,
            _RELATED_SHARE,
            _RELATED_FRAC,
            # a block shake cuts every route: the bound per route shrinks as sqrt(m), so the
            # whole cut grows with sqrt(m) rather than with m
            _SHAKE_FRAC / math.sqrt(max(1, c.m)),
            _ACCEPT,
            _RECOMBINE_EVERY,
            _POOL_SIZE,
            _PACK_NODES,
            _FORCE_SHARE,
            _WORST_SHARE,
            _FRESH_NOISE,
            _END_GAME,
            _INJECT_SHARE if c.m >= _INJECT_FROM else 0.0,
        ),
        construct_only=construct_only,
    )
    best = _State([], np.zeros(0, dtype=bool), 0.0, 0.0)
    for ri, (seq, r0) in enumerate(zip(seqs, init.routes, strict=True)):
        r = _Route(list(seq), r0.fixed, ri)
        r.update(c)
        best.routes.append(r)
    return _export(c, best, iterations, time.perf_counter() - t_begin)
