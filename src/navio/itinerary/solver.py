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
  pairs of a route are evaluated at once with numpy, against that route's own window rows and
  day bounds; per-route results are cached and only the modified route is re-evaluated after
  an insertion.  During the search the ratios are perturbed by multiplicative noise (noisy
  re-insertion).
* **Local improvement** - after the insertion phase, routes whose sequence changed are
  shortened by first-improvement intra-route 2-opt and relocate moves (granular: segments and
  relocation distances up to ``_SPAN``, scanned cyclically) and by inter-route relocate and
  swap moves (any move is accepted if it keeps every window of the receiving route and reduces
  total route duration; inter-route moves are evaluated in O(1) each from ``wait``,
  ``maxShift`` and suffix sums, vectorised over a pair of routes, and re-simulated before they
  are applied); then the insertion is re-run, since the freed time may admit new visits.  A
  *replace* move then tries to exchange a visited node for a better unvisited one in its place
  (vectorised), or, on small solutions, anywhere in the same route.
* **Perturbation (shake)** - in every route, remove a block of consecutive visits of
  randomised size and position; remaining visits are shifted earlier to remove needless
  waiting.
* **Restart** - after a number of non-improving iterations (fewer on instances with more than
  ``_RESTART_SCALE`` customers, which afford fewer iterations) the search restarts from the
  best solution of the current episode (intensification); the shake-size bound grows with
  stagnation.  After a longer stagnation a new episode starts from a fresh, strongly noised
  greedy construction (diversification); the overall best is kept across episodes.

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

__all__ = ["Instance", "RoutePlan", "Solution", "solve"]

FloatArray = NDArray[np.float64]

_EPS = 1e-9
_RESTART_AFTER = 40  # non-improving iterations before restarting from the best solution
_NOISE = 0.5  # relative noise on insertion ratios during the search
_RESTART_SCALE = 100  # customers up to which _RESTART_AFTER applies; shrinks beyond
_SHAKE_FRAC = 0.5  # maximal shake size as a share of the longest route
_SHAKE_GROWTH = 100  # stalled iterations per extra unit of maximal shake size
_FRESH_AFTER = 300  # stalled iterations before a new episode from a fresh construction
_REPLACE_FULL = 20  # visited customers up to which _replace also tries remove-and-insert
_SPAN = 8  # granular intra-route moves: longest reversed segment / relocation distance


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
    """Instance data in the shapes the search needs (numpy for vector code, lists for loops)."""

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
        self.eff2 = np.where(eff > 0, eff * eff, 0.0)
        self.cost = np.zeros(n) if inst.cost is None else np.asarray(inst.cost, dtype=np.float64)
        self.costl: list[float] = self.cost.tolist()
        self.budget = math.inf if inst.budget is None else float(inst.budget)
        self.locked = inst.all_locked()
        self.prefix: list[list[int]] = [list(inst.locked_prefix.get(r, ())) for r in range(self.m)]
        cand = eff > 0
        cand[self.terminals] = False
        self.candidate = cand
        movable = np.ones(n, dtype=bool)
        movable[list(self.locked)] = False
        self.movable = movable  # not locked to a route


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

    __slots__ = ("arr", "fixed", "idx", "ms", "opt", "seq", "start", "wait")

    def __init__(self, seq: list[int], fixed: int, idx: int) -> None:
        self.seq = seq
        self.fixed = fixed  # number of leading customers that may not move (locked prefix)
        self.idx = idx
        self.arr: list[float] = []
        self.start: list[float] = []
        self.wait: list[float] = []
        self.ms: list[float] = []
        self.opt: list[int] | None = None  # a sequence known to be 2-opt/relocate optimal

    def copy(self) -> _Route:
        r = _Route(self.seq.copy(), self.fixed, self.idx)
        r.opt = self.opt
        r.arr, r.start, r.wait = self.arr.copy(), self.start.copy(), self.wait.copy()
        r.ms = self.ms.copy()
        return r

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

    def duration(self) -> float:
        return self.arr[-1] - self.start[0]


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

    def copy(self) -> _State:
        return _State([r.copy() for r in self.routes], self.visited.copy(), self.eff, self.cost)

    def key(self) -> tuple[float, float]:
        return (round(self.eff, 6), -round(sum(r.duration() for r in self.routes), 6))


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


def _insert_phase(c: _Ctx, s: _State, rng: np.random.Generator, noise: float) -> bool:
    """Greedy ``score^2/shift`` insertion until nothing fits.  Returns True if anything moved."""
    m = len(s.routes)
    if m == 0:
        return False
    shifts = np.empty((m, c.n))
    gaps = np.empty((m, c.n), dtype=np.intp)
    for i, r in enumerate(s.routes):
        shifts[i], gaps[i] = _eval_route(c, r)
    changed = False
    while True:
        avail = c.candidate & ~s.visited & (c.cost <= c.budget - s.cost + _EPS)
        if not avail.any():
            break
        ratio = np.where(avail[None, :], c.eff2[None, :] / shifts, -1.0)
        if noise > 0:
            ratio = ratio * rng.uniform(1.0 - noise, 1.0 + noise, size=ratio.shape)
        flat = int(np.argmax(ratio))
        ri, j = divmod(flat, c.n)
        if ratio[ri, j] <= 0 or not math.isfinite(shifts[ri, j]):
            break
        r = s.routes[ri]
        r.seq.insert(int(gaps[ri, j]) + 1, j)
        r.update(c)
        s.visited[j] = True
        s.eff += c.effl[j]
        s.cost += c.costl[j]
        shifts[ri], gaps[ri] = _eval_route(c, r)
        changed = True
    return changed


def _suffix_slack(c: _Ctx, r: _Route) -> list[float]:
    """``sm[p]``: how far the return time drops when the visit at ``p`` is reached earlier.

    Arriving ``d`` earlier at position ``p`` (suffix unchanged) moves the return time ``min(d,
    sm[p])`` earlier: each visit can only start earlier down to its opening time.
    """
    seq, start, opn = r.seq, r.start, c.opnl[r.idx]
    last = len(seq) - 1
    sm = [math.inf] * (last + 1)
    acc = math.inf
    for p in range(last - 1, 0, -1):
        v = start[p] - opn[seq[p]]
        if v < acc:
            acc = v
        sm[p] = acc
    return sm


def _two_opt_relocate(c: _Ctx, r: _Route, deadline: float) -> bool:
    """Intra-route 2-opt and relocate, first improvement on return time.

    Moves are evaluated incrementally: the unchanged prefix keeps its start times, only the
    modified stretch is simulated, and the effect of an earlier arrival on the unchanged suffix
    is read from :func:`_suffix_slack` (a move that delays the suffix cannot shorten the route).
    The neighbourhood is granular (segments and relocation distances up to ``_SPAN``) and is
    scanned cyclically: after an improving move the scan resumes at the same position and it
    ends once every position has been tried without success.
    """
    improved_any = False
    lo = r.fixed + 1
    i = lo
    since = 0
    sm = _suffix_slack(c, r)
    while time.perf_counter() < deadline:
        last = len(r.seq) - 1
        if last - lo < 2 or since >= last - lo:
            break
        if i >= last:
            i = lo
        found = _intra_move_at(c, r, i, sm)
        if found is None:
            i += 1
            since += 1
            continue
        r.seq = found
        r.update(c)
        sm = _suffix_slack(c, r)
        improved_any = True
        since = 0
    return improved_any


def _intra_move_at(c: _Ctx, r: _Route, i: int, sm: list[float]) -> list[int] | None:
    """An improving 2-opt move reversing ``seq[i..k]`` or relocation of ``seq[i]``, if any."""
    tl, svc, opn, cls = c.Tl, c.svcl, c.opnl[r.idx], c.clsl[r.idx]
    seq, arr, start = r.seq, r.arr, r.start
    lo = r.fixed + 1
    last = len(seq) - 1
    thr = 1e-7
    # 2-opt: reverse seq[i..k]
    p0 = seq[i - 1]
    t0 = start[i - 1] + svc[p0]
    row0 = tl[p0]
    for k in range(i + 1, min(last, i + _SPAN)):
        t = t0
        row = row0
        ok = True
        for q in range(k, i - 1, -1):
            node = seq[q]
            a = t + row[node]
            if a > cls[node] + _EPS:
                ok = False
                break
            o = opn[node]
            t = (a if a > o else o) + svc[node]
            row = tl[node]
        if not ok:
            continue
        p = k + 1
        a = t + row[seq[p]]
        d = arr[p] - a
        if d > thr and (d if d < sm[p] else sm[p]) > thr:
            return [*seq[:i], *seq[i : k + 1][::-1], *seq[k + 1 :]]
    # relocate: move seq[i] elsewhere
    node = seq[i]
    nrow = tl[node]
    snode = svc[node]
    onode, cnode = opn[node], cls[node]
    # earlier positions: seq[..k-1], node, seq[k..i-1], seq[i+1..]
    for k in range(max(lo, i - _SPAN), i):
        pk = seq[k - 1]
        a = start[k - 1] + svc[pk] + tl[pk][node]
        if a > cnode + _EPS:
            continue
        t = (a if a > onode else onode) + snode
        row = nrow
        ok = True
        for q in range(k, i):
            nd = seq[q]
            a = t + row[nd]
            if a > cls[nd] + _EPS:
                ok = False
                break
            o = opn[nd]
            t = (a if a > o else o) + svc[nd]
            row = tl[nd]
        if not ok:
            continue
        p = i + 1
        a = t + row[seq[p]]
        d = arr[p] - a
        if d > thr and (d if d < sm[p] else sm[p]) > thr:
            return [*seq[:k], node, *seq[k:i], *seq[i + 1 :]]
    # later positions: seq[..i-1], seq[i+1..k], node, seq[k+1..]
    pv = seq[i - 1]
    t = start[i - 1] + svc[pv]
    row = tl[pv]
    for k in range(i + 1, min(last, i + 1 + _SPAN)):
        nd = seq[k]
        a = t + row[nd]
        if a > cls[nd] + _EPS:
            break
        o = opn[nd]
        t = (a if a > o else o) + svc[nd]
        row = tl[nd]
        a = t + row[node]
        if a > cnode + _EPS:
            continue
        tn = (a if a > onode else onode) + snode
        p = k + 1
        a = tn + nrow[seq[p]]
        d = arr[p] - a
        if d > thr and (d if d < sm[p] else sm[p]) > thr:
            return [*seq[:i], *seq[i + 1 : k + 1], node, *seq[k + 1 :]]
    return None


class _RouteArrays:
    """Numpy views of one route's schedule for vectorised move evaluation.

    ``slack[k] = wait[k] + maxShift[k]``: how much the arrival at position ``k`` may be
    delayed; ``wsum[k]``: the waits from ``k`` to the end (a delay ``d`` at ``k`` delays the
    return by ``max(0, d - wsum[k])``); ``sm[k]``: see :func:`_suffix_slack` (an advance
    ``d`` at ``k`` advances the return by ``min(d, sm[k])``).
    """

    __slots__ = ("arr", "seq", "slack", "sm", "start", "wsum")

    def __init__(self, c: _Ctx, r: _Route) -> None:
        self.seq = np.asarray(r.seq, dtype=np.intp)
        self.start = np.asarray(r.start)
        self.arr = np.asarray(r.arr)
        wait = np.asarray(r.wait)
        self.slack = wait + np.asarray(r.ms)
        self.wsum = np.cumsum(wait[::-1])[::-1]
        self.sm = np.asarray(_suffix_slack(c, r))


def _end_change(delta: FloatArray, wsum: FloatArray, sm: FloatArray) -> FloatArray:
    """Change of the return time when the arrival at a position moves by ``delta``."""
    return np.where(delta > 0, np.maximum(delta - wsum, 0.0), -np.minimum(-delta, sm))


def _relocate_matrix(
    c: _Ctx, ra: _Route, xa: _RouteArrays, ia: NDArray[np.intp], rb: _Route, xb: _RouteArrays
) -> tuple[FloatArray, NDArray[np.intp]]:
    """Return-time change of moving ``ra.seq[ia]`` into ``rb`` at its best gap.

    Returns ``(change, gap)`` per entry of ``ia`` (``inf`` where infeasible); the node goes
    after position ``gap`` of ``rb``.
    """
    u = xa.seq[ia]
    pa, na = xa.seq[ia - 1], xa.seq[ia + 1]
    d_a = xa.start[ia - 1] + c.svc[pa] + c.T[pa, na] - xa.arr[ia + 1]
    ch_a = np.where(
        d_a <= xa.slack[ia + 1] + _EPS, _end_change(d_a, xa.wsum[ia + 1], xa.sm[ia + 1]), np.inf
    )
    if len(rb.seq) - 2 >= c.cap[rb.idx]:
        return np.full(ia.shape[0], np.inf), np.zeros(ia.shape[0], dtype=np.intp)
    k = np.arange(rb.fixed, len(rb.seq) - 1)
    prev, nxt = xb.seq[k], xb.seq[k + 1]
    arrj = (xb.start[k] + c.svc[prev])[:, None] + c.T[prev[:, None], u[None, :]]
    opn, cls = c.opn[rb.idx], c.cls[rb.idx]
    stj = np.maximum(arrj, opn[u][None, :])
    shift = stj + c.svc[u][None, :] + c.TT[nxt[:, None], u[None, :]] - xb.arr[k + 1][:, None]
    feas = (arrj <= cls[u][None, :] + _EPS) & (shift <= xb.slack[k + 1][:, None] + _EPS)
    ch_b = np.where(
        feas, _end_change(shift, xb.wsum[k + 1][:, None], xb.sm[k + 1][:, None]), np.inf
    )
    gap = np.argmin(ch_b, axis=0)
    best = ch_b[gap, np.arange(ia.shape[0])]
    return ch_a + best, gap + rb.fixed


def _swap_side(
    c: _Ctx, r: _Route, x: _RouteArrays, i: NDArray[np.intp], v: NDArray[np.intp]
) -> FloatArray:
    """Return-time change of ``r`` when ``r.seq[i]`` is replaced by ``v`` (``len(i) x len(v)``)."""
    p, nx = x.seq[i - 1], x.seq[i + 1]
    opn, cls = c.opn[r.idx], c.cls[r.idx]
    arrv = (x.start[i - 1] + c.svc[p])[:, None] + c.T[p[:, None], v[None, :]]
    st = np.maximum(arrv, opn[v][None, :])
    d = st + c.svc[v][None, :] + c.TT[nx[:, None], v[None, :]] - x.arr[i + 1][:, None]
    feas = (arrv <= cls[v][None, :] + _EPS) & (d <= x.slack[i + 1][:, None] + _EPS)
    return np.where(feas, _end_change(d, x.wsum[i + 1][:, None], x.sm[i + 1][:, None]), np.inf)


def _inter_route(c: _Ctx, s: _State, deadline: float) -> bool:
    """Relocate / swap customers between routes when total duration drops.

    Every move is evaluated in O(1) from the routes' schedules (vectorised over all
    positions of a route pair), against the receiving route's own windows and day bounds, so
    a node is only moved into a route where it is open.  The best move of a route pair is
    re-simulated before it is applied.
    """
    improved_any = False
    m = len(s.routes)
    if m < 2:
        return False
    arrays: dict[int, _RouteArrays] = {}
    movable: dict[int, NDArray[np.intp]] = {}

    def get(ri: int) -> tuple[_RouteArrays, NDArray[np.intp]]:
        if ri not in arrays:
            r = s.routes[ri]
            arrays[ri] = _RouteArrays(c, r)
            pos = np.arange(r.fixed + 1, len(r.seq) - 1)
            movable[ri] = pos[c.movable[arrays[ri].seq[pos]]]
        return arrays[ri], movable[ri]

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for a in range(m):
            for b in range(a + 1, m):
                if time.perf_counter() >= deadline:
                    return improved_any
                ra, rb = s.routes[a], s.routes[b]
                xa, ia = get(a)
                xb, ib = get(b)
                best = -1e-7
                move: tuple[int, int, int] | None = None
                if ia.shape[0]:
                    ch, gap = _relocate_matrix(c, ra, xa, ia, rb, xb)
                    t = int(np.argmin(ch))
                    if ch[t] < best:
                        best, move = float(ch[t]), (0, int(ia[t]), int(gap[t]))
                if ib.shape[0]:
                    ch, gap = _relocate_matrix(c, rb, xb, ib, ra, xa)
                    t = int(np.argmin(ch))
                    if ch[t] < best:
                        best, move = float(ch[t]), (1, int(ib[t]), int(gap[t]))
                if ia.shape[0] and ib.shape[0]:
                    tot = (
                        _swap_side(c, ra, xa, ia, xb.seq[ib])
                        + _swap_side(c, rb, xb, ib, xa.seq[ia]).T
                    )
                    t = int(np.argmin(tot))
                    ti, tk = divmod(t, ib.shape[0])
                    if tot[ti, tk] < best:
                        best, move = float(tot[ti, tk]), (2, int(ia[ti]), int(ib[tk]))
                if move is None:
                    continue
                kind, i, k = move
                if kind == 2:
                    cand_a = ra.seq.copy()
                    cand_b = rb.seq.copy()
                    cand_a[i], cand_b[k] = rb.seq[k], ra.seq[i]
                else:
                    src, dst = (ra, rb) if kind == 0 else (rb, ra)
                    node = src.seq[i]
                    rest = src.seq[:i] + src.seq[i + 1 :]
                    ins = [*dst.seq[: k + 1], node, *dst.seq[k + 1 :]]
                    cand_a, cand_b = (rest, ins) if kind == 0 else (ins, rest)
                e1 = _route_end(c, ra.idx, cand_a)
                e2 = _route_end(c, rb.idx, cand_b)
                if e1 + e2 < ra.arr[-1] + rb.arr[-1] - 1e-7:
                    ra.seq, rb.seq = cand_a, cand_b
                    ra.update(c)
                    rb.update(c)
                    arrays.pop(a, None)
                    arrays.pop(b, None)
                    improved = improved_any = True
    return improved_any


def _eval_cols(c: _Ctx, r: _Route, cols: NDArray[np.intp]) -> tuple[FloatArray, NDArray[np.intp]]:
    """:func:`_eval_route` restricted to the nodes ``cols`` (results indexed like ``cols``)."""
    if len(r.seq) - 2 >= c.cap[r.idx]:
        return np.full(cols.shape[0], np.inf), np.zeros(cols.shape[0], dtype=np.intp)
    lo = r.fixed
    seq = np.asarray(r.seq)
    prev = seq[lo:-1]
    nxt = seq[lo + 1 :]
    start = np.asarray(r.start)
    dep = start[lo:-1] + c.svc[prev]
    arrj = dep[:, None] + c.T[prev[:, None], cols[None, :]]
    stj = np.maximum(arrj, c.opn[r.idx][cols][None, :])
    old_next = np.asarray(r.arr[lo + 1 :])
    shift = stj + c.svc[cols][None, :] + c.TT[nxt[:, None], cols[None, :]] - old_next[:, None]
    slack = np.asarray(r.wait[lo + 1 :]) + np.asarray(r.ms[lo + 1 :])
    feas = (arrj <= c.cls[r.idx][cols][None, :] + _EPS) & (shift <= slack[:, None] + _EPS)
    shift = np.where(feas, np.maximum(shift, _EPS), np.inf)
    gap = np.argmin(shift, axis=0)
    best = shift[gap, np.arange(cols.shape[0])]
    return best, gap + lo


def _replace(c: _Ctx, s: _State) -> bool:
    """Swap one visited node for one unvisited node of higher score at the same route.

    First the unvisited node takes the visited one's place (all pairs of a route evaluated at
    once in O(1) each from the schedule); failing that, on short routes, the visited node is
    removed and the new one inserted at its cheapest feasible position.
    """
    avail = c.candidate & ~s.visited
    if not avail.any():
        return False
    room = c.budget - s.cost + _EPS
    for r in s.routes:
        pos = np.arange(r.fixed + 1, len(r.seq) - 1)
        seq = np.asarray(r.seq, dtype=np.intp)
        pos = pos[c.movable[seq[pos]]]
        if pos.shape[0] == 0:
            continue
        out = seq[pos]
        cols = np.flatnonzero(avail & (c.eff > float(c.eff[out].min()) + _EPS))
        if cols.shape[0] == 0:
            continue
        gain = c.eff[cols][None, :] - c.eff[out][:, None]
        ok = (gain > _EPS) & (c.cost[cols][None, :] <= room + c.cost[out][:, None])
        if not ok.any():
            continue
        x = _RouteArrays(c, r)
        p, nx = seq[pos - 1], seq[pos + 1]
        arrj = (x.start[pos - 1] + c.svc[p])[:, None] + c.T[p[:, None], cols[None, :]]
        st = np.maximum(arrj, c.opn[r.idx][cols][None, :])
        d = st + c.svc[cols][None, :] + c.TT[nx[:, None], cols[None, :]] - x.arr[pos + 1][:, None]
        ok &= (arrj <= c.cls[r.idx][cols][None, :] + _EPS) & (d <= x.slack[pos + 1][:, None] + _EPS)
        if not ok.any():
            continue
        t = int(np.argmax(np.where(ok, gain, -np.inf)))
        ti, tj = divmod(t, cols.shape[0])
        i, j = int(pos[ti]), int(cols[tj])
        old = r.seq[i]
        cand = r.seq.copy()
        cand[i] = j
        if not math.isfinite(_route_end(c, r.idx, cand)):
            continue
        r.seq = cand
        r.update(c)
        s.visited[old] = False
        s.visited[j] = True
        s.eff += c.effl[j] - c.effl[old]
        s.cost += c.costl[j] - c.costl[old]
        return True
    if sum(len(r.seq) - 2 for r in s.routes) > _REPLACE_FULL:
        return False
    return _replace_anywhere(c, s, avail)


def _replace_anywhere(c: _Ctx, s: _State, avail: NDArray[np.bool_]) -> bool:
    """Remove one visited node and insert one unvisited node of higher score anywhere."""
    for r in s.routes:
        for i in range(r.fixed + 1, len(r.seq) - 1):
            out = r.seq[i]
            if out in c.locked:
                continue
            gain_ok = avail & (c.eff > c.effl[out] + _EPS)
            gain_ok &= c.cost <= c.budget - s.cost + c.costl[out] + _EPS
            cols = np.flatnonzero(gain_ok)
            if cols.shape[0] == 0:
                continue
            saved = (r.seq, r.arr, r.start, r.wait, r.ms)
            r.seq = saved[0][:i] + saved[0][i + 1 :]
            r.update(c)
            shift, gap = _eval_cols(c, r, cols)
            ok = np.isfinite(shift)
            if ok.any():
                val = np.where(ok, c.eff[cols] - c.effl[out], -np.inf)
                t = int(np.argmax(val))
                j = int(cols[t])
                r.seq.insert(int(gap[t]) + 1, j)
                r.update(c)
                s.visited[out] = False
                s.visited[j] = True
                s.eff += c.effl[j] - c.effl[out]
                s.cost += c.costl[j] - c.costl[out]
                return True
            r.seq, r.arr, r.start, r.wait, r.ms = saved
    return False


def _local_search(
    c: _Ctx, s: _State, rng: np.random.Generator, noise: float, deadline: float
) -> None:
    _insert_phase(c, s, rng, noise)
    for _ in range(50):
        if time.perf_counter() >= deadline:
            return
        moved = False
        for r in s.routes:
            if r.opt == r.seq:
                continue
            moved |= _two_opt_relocate(c, r, deadline)
            r.opt = r.seq.copy()
        moved |= _inter_route(c, s, deadline)
        ins = _insert_phase(c, s, rng, 0.0) if moved else False
        rep = _replace(c, s)
        if rep:
            _insert_phase(c, s, rng, 0.0)
        if not (ins or rep):
            return


def _shake(c: _Ctx, s: _State, rng: np.random.Generator, max_size: int) -> None:
    for r in s.routes:
        movable = [k for k in range(r.fixed + 1, len(r.seq) - 1) if r.seq[k] not in c.locked]
        if not movable:
            continue
        size = int(rng.integers(1, max(1, min(max_size, len(movable))) + 1))
        first = int(rng.integers(0, len(movable)))
        drop = {movable[(first + t) % len(movable)] for t in range(size)}
        for k in drop:
            node = r.seq[k]
            s.visited[node] = False
            s.eff -= c.effl[node]
            s.cost -= c.costl[node]
        r.seq = [node for k, node in enumerate(r.seq) if k not in drop]
        r.update(c)


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
) -> Solution:
    """Run the ILS for ``time_limit`` seconds (or ``max_iterations``) and return the best.

    Raises ``ValueError`` if the locked assignments themselves are infeasible, or if a route
    cannot even travel from its start node to its end node within its day bounds.
    """
    t_begin = time.perf_counter()
    deadline = t_begin + time_limit
    c = _Ctx(instance)
    rng = np.random.default_rng(seed)
    cur = _initial(c)
    ls_deadline = math.inf if max_iterations is not None else deadline
    _local_search(c, cur, rng, 0.0, ls_deadline)
    best = cur.copy()
    episode = cur.copy()
    n_cust = max(1, int(c.candidate.sum()))
    max_route = max((len(r.seq) - 2 for r in cur.routes), default=0)
    base_size = max(2, min(n_cust // max(1, 3 * c.m), int(max_route * _SHAKE_FRAC) + 1))
    # large instances afford few iterations per second: restart from the episode's best sooner
    restart_after = max(
        1, int(_RESTART_AFTER * (_RESTART_SCALE / max(_RESTART_SCALE, n_cust)) ** 4)
    )
    stall = 0
    it = 0
    longest = 0.0  # the longest iteration so far: one that would end past the limit is not begun
    while True:
        if max_iterations is not None and it >= max_iterations:
            break
        started = time.perf_counter()
        if max_iterations is None and started + longest >= deadline:
            break
        it += 1
        _shake(c, cur, rng, base_size + stall // _SHAKE_GROWTH)
        _local_search(c, cur, rng, _NOISE, ls_deadline)
        if cur.key() > episode.key():
            episode = cur.copy()
            stall = 0
            if cur.key() > best.key():
                best = cur.copy()
        else:
            stall += 1
            if stall >= _FRESH_AFTER:
                # diversification: a new episode from a noisy construction
                cur = _initial(c)
                _insert_phase(c, cur, rng, 2 * _NOISE)
                episode = cur.copy()
                stall = 0
            elif stall % restart_after == 0:
                cur = episode.copy()
        longest = max(longest, time.perf_counter() - started)
    return _export(c, best, it, time.perf_counter() - t_begin)
