"""RAPTOR, range RAPTOR and McRAPTOR over a compiled :class:`~navio.transit.gtfs.Timetable`.

All three follow Delling, Pajor, Werneck (2012), "Round-Based Public Transit
Routing" (Transportation Science 49(3), 2015).

RAPTOR (:func:`earliest_arrival`)
    Round *k* computes, for every stop, the earliest arrival using at most *k*
    trips.  Only patterns serving a stop *marked* (improved) in round *k - 1* are
    scanned, each from the first marked position.  While scanning, the current
    trip is replaced by an earlier one whenever the previous round's label at a
    stop allows it; the earliest catchable trip is found by binary search over
    the (FIFO, hence sorted) departures of the pattern at that position.  After
    the route scan, footpaths are relaxed from stops *reached by a vehicle* in
    this round (footpaths are never chained, so a stop keeps, besides its label,
    its best arrival by vehicle).  Labels are pruned locally (only improvements
    are kept) and by the best arrival at any target stop (target pruning).
    Changing vehicles at one stop takes no time (arrive *t*, depart >= *t*); min
    change times come from footpaths only.

Range RAPTOR (:func:`range_raptor`)
    Runs RAPTOR once per distinct departure time at the source inside the
    window, latest first, *without* resetting labels between runs: labels of a
    later departure are valid upper bounds for an earlier one, so each run only
    explores what the earlier departure improves.  A (departure, arrival, trips)
    triple is recorded when the arrival with <= k trips improves, then filtered
    to the Pareto set.

McRAPTOR (:func:`mc_raptor`)
    Round-based with *bags* of Pareto-optimal labels (arrival, walking seconds)
    per stop instead of one time; the number of trips is the round.  A route
    bag of (trip, walk) labels is carried along each scanned pattern; under FIFO
    an earlier trip with no more walking dominates.  Bags keep labels of earlier
    rounds (fewer trips), so the target bag is the Pareto set over (arrival,
    trips, walking seconds).

Implementation note: the inner loops run in plain Python over lists of ints
(built once per timetable and cached): per-element access to numpy arrays is
several times slower than list indexing there, and ``bisect`` on a list beats
``np.searchsorted`` on a tiny slice.
"""

from __future__ import annotations

import weakref
from bisect import bisect_left
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from navio.transit.gtfs import Timetable

__all__ = [
    "UNREACHED",
    "EarliestArrival",
    "Journey",
    "ParetoJourney",
    "TransitLeg",
    "WalkLeg",
    "earliest_arrival",
    "mc_raptor",
    "range_raptor",
]

UNREACHED = 2**31 - 1
"""Arrival value of stops not reached (fits ``int32``)."""


@dataclass(frozen=True)
class TransitLeg:
    pattern: int
    trip: int
    trip_id: str
    route_id: str
    board_stop: int
    alight_stop: int
    departure: int
    arrival: int


@dataclass(frozen=True)
class WalkLeg:
    from_stop: int
    to_stop: int
    departure: int
    arrival: int


Leg = TransitLeg | WalkLeg


@dataclass(frozen=True)
class Journey:
    legs: tuple[Leg, ...]
    departure: int
    arrival: int

    @property
    def trips(self) -> int:
        return sum(1 for leg in self.legs if isinstance(leg, TransitLeg))

    @property
    def transfers(self) -> int:
        return max(self.trips - 1, 0)

    @property
    def walk_seconds(self) -> int:
        return sum(leg.arrival - leg.departure for leg in self.legs if isinstance(leg, WalkLeg))


@dataclass(frozen=True)
class ParetoJourney:
    """One Pareto-optimal option: ``trips`` vehicles used (``transfers = trips - 1``)."""

    departure: int
    arrival: int
    trips: int
    walk_seconds: int = 0
    journey: Journey | None = None

    @property
    def transfers(self) -> int:
        return max(self.trips - 1, 0)


# ---------------------------------------------------------------------------
# Plain-Python view of the timetable, cached per timetable object.


class _Prepared:
    __slots__ = ("arr_rows", "dep_by_pos", "fp", "n", "pstops", "stop_routes")

    def __init__(self, tt: Timetable) -> None:
        self.n = tt.n_stops
        offs = tt.pattern_stop_offsets.tolist()
        flat = tt.pattern_stops.tolist()
        self.pstops: list[list[int]] = [flat[offs[p] : offs[p + 1]] for p in range(tt.n_patterns)]
        self.arr_rows: list[list[list[int]]] = [a.tolist() for a in tt.pattern_arrivals]
        self.dep_by_pos: list[list[list[int]]] = [d.T.tolist() for d in tt.pattern_departures]
        so = tt.stop_pattern_offsets.tolist()
        sp = tt.stop_patterns.tolist()
        sq = tt.stop_pattern_positions.tolist()
        self.stop_routes: list[list[tuple[int, int]]] = [
            list(zip(sp[so[s] : so[s + 1]], sq[so[s] : so[s + 1]], strict=True))
            for s in range(self.n)
        ]
        fo = tt.footpath_offsets.tolist()
        ft = tt.footpath_targets.tolist()
        fs = tt.footpath_seconds.tolist()
        self.fp: list[list[tuple[int, int]]] = [
            list(zip(ft[fo[s] : fo[s + 1]], fs[fo[s] : fo[s + 1]], strict=True))
            for s in range(self.n)
        ]


_CACHE: weakref.WeakKeyDictionary[Timetable, _Prepared] = weakref.WeakKeyDictionary()


def _prepare(tt: Timetable) -> _Prepared:
    prep = _CACHE.get(tt)
    if prep is None:
        prep = _Prepared(tt)
        _CACHE[tt] = prep
    return prep


# ---------------------------------------------------------------------------
# Single-criterion engine shared by RAPTOR and range RAPTOR.

_TParent = tuple[int, int, int, int, int]  # pattern, trip, board pos, alight pos, arrival
_WParent = tuple[int, int]  # from stop, arrival


@dataclass
class _State:
    n: int
    tau: list[list[int]] = field(default_factory=list)  # round -> stop -> best arrival
    bt: list[list[int]] = field(default_factory=list)  # round -> stop -> best by vehicle
    tparent: list[dict[int, _TParent]] = field(default_factory=list)
    wparent: list[dict[int, _WParent]] = field(default_factory=list)

    def ensure(self, k: int) -> None:
        while len(self.tau) <= k:
            self.tau.append([UNREACHED] * self.n)
            self.bt.append([UNREACHED] * self.n)
            self.tparent.append({})
            self.wparent.append({})


def _run(
    prep: _Prepared,
    st: _State,
    sources: dict[int, int],
    targets: set[int] | frozenset[int],
    max_rounds: int | None,
) -> int:
    """One RAPTOR run into ``st`` (labels are reused, never reset); returns rounds done."""
    st.ensure(0)
    tau0, bt0 = st.tau[0], st.bt[0]
    fp = prep.fp
    changed: set[int] = set()
    changed_bt: set[int] = set()
    marked: set[int] = set()
    for s, t in sources.items():
        if t < bt0[s]:
            bt0[s] = t
            changed_bt.add(s)
        if t < tau0[s]:
            tau0[s] = t
            st.wparent[0].pop(s, None)
            marked.add(s)
            changed.add(s)
    bound = min((tau0[t] for t in targets), default=UNREACHED)
    for s, t in sources.items():
        for v, w in fp[s]:
            b = t + w
            if b < tau0[v] and b < bound:
                tau0[v] = b
                st.wparent[0][v] = (s, b)
                marked.add(v)
                changed.add(v)
                if v in targets:
                    bound = b
    pstops, arr_rows, dep_by_pos, stop_routes = (
        prep.pstops,
        prep.arr_rows,
        prep.dep_by_pos,
        prep.stop_routes,
    )
    k = 1
    while marked and (max_rounds is None or k <= max_rounds):
        st.ensure(k)
        prev, cur, btc, btp = st.tau[k - 1], st.tau[k], st.bt[k], st.bt[k - 1]
        tpar, wpar = st.tparent[k], st.wparent[k]
        for s in changed:
            if prev[s] < cur[s]:
                cur[s] = prev[s]
        for s in changed_bt:
            if btp[s] < btc[s]:
                btc[s] = btp[s]
        if targets:
            bound = min(cur[t] for t in targets)
        queue: dict[int, int] = {}
        for s in marked:
            for p, pos in stop_routes[s]:
                if pos < queue.get(p, 1 << 30):
                    queue[p] = pos
        new_marked: set[int] = set()
        arrived: list[int] = []
        for p, start in queue.items():
            stops = pstops[p]
            rows = arr_rows[p]
            deps = dep_by_pos[p]
            trip = len(rows)
            row: list[int] = []
            board = -1
            for pos in range(start, len(stops)):
                s = stops[pos]
                if board >= 0:
                    a = row[pos]
                    if a < btc[s] and a < bound:
                        btc[s] = a
                        tpar[s] = (p, trip, board, pos, a)
                        arrived.append(s)
                        changed_bt.add(s)
                        if a < cur[s]:
                            cur[s] = a
                            new_marked.add(s)
                            changed.add(s)
                            if s in targets:
                                bound = a
                tp = prev[s]
                if tp != UNREACHED and trip:
                    i = bisect_left(deps[pos], tp, 0, trip)
                    if i < trip:
                        trip = i
                        row = rows[i]
                        board = pos
        for s in arrived:
            a = btc[s]
            for v, w in fp[s]:
                b = a + w
                if b < cur[v] and b < bound:
                    cur[v] = b
                    wpar[v] = (s, b)
                    new_marked.add(v)
                    changed.add(v)
                    if v in targets:
                        bound = b
        marked = new_marked
        k += 1
    # Keep tau_k <= tau_{k-1} in rounds this run did not reach (range RAPTOR reuses them).
    for kk in range(max(k, 1), len(st.tau)):
        prev, cur, btp, btc = st.tau[kk - 1], st.tau[kk], st.bt[kk - 1], st.bt[kk]
        for s in changed:
            if prev[s] < cur[s]:
                cur[s] = prev[s]
        for s in changed_bt:
            if btp[s] < btc[s]:
                btc[s] = btp[s]
    return k - 1


# ---------------------------------------------------------------------------
# RAPTOR


@dataclass(frozen=True, eq=False)
class EarliestArrival:
    """Result of :func:`earliest_arrival`.

    ``rounds[k][s]`` is the earliest arrival at stop ``s`` with at most ``k`` trips
    (:data:`UNREACHED` if none); round 0 holds the sources and walks from them.
    """

    timetable: Timetable
    sources: dict[int, int]
    rounds: NDArray[np.int64]
    _state: _State

    @property
    def best(self) -> NDArray[np.int64]:
        out: NDArray[np.int64] = self.rounds.min(axis=0)
        return out

    def arrival(self, stop: int) -> int | None:
        a = int(self.best[stop])
        return None if a >= UNREACHED else a

    def journey(self, target: int, max_trips: int | None = None) -> Journey | None:
        """Earliest journey to ``target`` (fewest trips among equally early ones)."""
        tau = self._state.tau
        last = len(tau) - 1 if max_trips is None else min(max_trips, len(tau) - 1)
        if last < 0 or tau[last][target] >= UNREACHED:
            return None
        best = tau[last][target]
        k = min(r for r in range(last + 1) if tau[r][target] == best)
        legs: list[Leg] = []
        self._walk_back(target, k, legs)
        legs.reverse()
        if not legs:
            t = self.sources[target]
            return Journey((), t, t)
        return Journey(tuple(legs), legs[0].departure, legs[-1].arrival)

    def _walk_back(self, stop: int, k: int, legs: list[Leg]) -> None:
        st, tt = self._state, self.timetable
        while True:
            value = st.tau[k][stop]
            # Find the round that produced this value.
            while k > 0 and st.tau[k - 1][stop] == value:
                k -= 1
            w = st.wparent[k].get(stop)
            if w is not None and w[1] == value:
                origin = w[0]
                t_origin = self._vehicle_label(origin, k)
                legs.append(WalkLeg(origin, stop, t_origin, value))
                if k == 0:
                    return
                stop, value = origin, t_origin
            elif k == 0:
                return
            tp = st.tparent[k].get(stop)
            if tp is None or tp[4] != value:
                # The label at ``stop`` is a vehicle arrival from an earlier round.
                if k == 0:
                    return
                k -= 1
                continue
            p, trip, board_pos, _alight_pos, arr = tp
            stops = tt.stops_of(p)
            board = int(stops[board_pos])
            legs.append(
                TransitLeg(
                    p,
                    trip,
                    tt.pattern_trip_ids[p][trip],
                    tt.route_ids[int(tt.pattern_route[p])],
                    board,
                    stop,
                    int(tt.pattern_departures[p][trip, board_pos]),
                    arr,
                )
            )
            stop, k = board, k - 1

    def _vehicle_label(self, stop: int, k: int) -> int:
        if k == 0:
            return self.sources[stop]
        tp = self._state.tparent[k].get(stop)
        assert tp is not None
        return tp[4]


def earliest_arrival(
    tt: Timetable,
    source_stops: dict[int, int],
    target_stops: set[int] | None = None,
    max_rounds: int | None = 8,
) -> EarliestArrival:
    """RAPTOR from ``source_stops`` (stop index -> departure seconds).

    ``target_stops`` enables target pruning (labels of other stops may then be
    incomplete); ``max_rounds=None`` means unlimited rounds (until no stop improves).
    """
    prep = _prepare(tt)
    st = _State(prep.n)
    _run(prep, st, dict(source_stops), frozenset(target_stops or ()), max_rounds)
    rounds = np.asarray(st.tau, dtype=np.int64)
    return EarliestArrival(tt, dict(source_stops), rounds, st)


# ---------------------------------------------------------------------------
# Range RAPTOR


def _pareto_dat(items: list[ParetoJourney]) -> list[ParetoJourney]:
    out: list[ParetoJourney] = []
    for j in items:
        dominated = any(
            o.departure >= j.departure
            and o.arrival <= j.arrival
            and o.trips <= j.trips
            and (o.departure, o.arrival, o.trips) != (j.departure, j.arrival, j.trips)
            for o in items
        )
        if not dominated and all(
            (o.departure, o.arrival, o.trips) != (j.departure, j.arrival, j.trips) for o in out
        ):
            out.append(j)
    out.sort(key=lambda j: (j.departure, j.trips))
    return out


def range_raptor(
    tt: Timetable,
    source: int,
    target: int,
    window_start: int,
    window_end: int,
    max_rounds: int = 8,
) -> list[ParetoJourney]:
    """rRAPTOR: Pareto set of (departure, arrival, trips) for departures in the window.

    Departures considered are those of trips at ``source`` and at stops one footpath
    away (minus the walk) within ``[window_start, window_end]``.  Walking-only
    journeys are not reported.  Sorted by departure.
    """
    prep = _prepare(tt)
    deps: set[int] = set()
    for origin, walk in [(source, 0), *prep.fp[source]]:
        for p, pos in prep.stop_routes[origin]:
            for d in prep.dep_by_pos[p][pos]:
                if window_start <= d - walk <= window_end:
                    deps.add(d - walk)
    st = _State(prep.n)
    found: list[ParetoJourney] = []
    targets = frozenset({target})
    best_by_round: dict[int, int] = {}
    for d in sorted(deps, reverse=True):
        _run(prep, st, {source: d}, targets, max_rounds)
        for k in range(1, len(st.tau)):
            a = st.tau[k][target]
            if a < best_by_round.get(k, UNREACHED):
                best_by_round[k] = a
                found.append(ParetoJourney(d, a, k))
    return _pareto_dat(found)


# ---------------------------------------------------------------------------
# McRAPTOR


class _Label:
    __slots__ = ("arr", "data", "kind", "rnd", "walk")

    def __init__(self, arr: int, walk: int, rnd: int, kind: str, data: tuple[object, ...]) -> None:
        self.arr = arr
        self.walk = walk
        self.rnd = rnd
        self.kind = kind  # "S" source, "T" vehicle, "W" walk
        self.data = data


def _insert(bag: list[_Label], lab: _Label) -> bool:
    """Add ``lab`` unless a label with <= arrival and <= walk exists; drop same-round
    labels it dominates (labels of earlier rounds have fewer trips and stay)."""
    a, w = lab.arr, lab.walk
    for o in bag:
        if o.arr <= a and o.walk <= w:
            return False
    bag[:] = [o for o in bag if not (o.rnd == lab.rnd and a <= o.arr and w <= o.walk)]
    bag.append(lab)
    return True


def _dominated(bag: list[_Label], a: int, w: int) -> bool:
    return any(o.arr <= a and o.walk <= w for o in bag)


def mc_raptor(
    tt: Timetable,
    source_stops: dict[int, int],
    target: int,
    max_rounds: int = 8,
) -> list[ParetoJourney]:
    """McRAPTOR: Pareto set over (arrival, trips, walking seconds) at ``target``.

    Walking counts the footpaths used (including from the source and to the
    target).  Sorted by trips then arrival; each carries its reconstructed journey.
    """
    prep = _prepare(tt)
    pstops, arr_rows, dep_by_pos, stop_routes, fp = (
        prep.pstops,
        prep.arr_rows,
        prep.dep_by_pos,
        prep.stop_routes,
        prep.fp,
    )
    all_bag: dict[int, list[_Label]] = {}
    tr_bag: dict[int, list[_Label]] = {}

    def relax(arrived: set[int], rnd: int, marked: set[int]) -> None:
        tbag = all_bag.get(target, [])
        for s in arrived:
            for lab in tr_bag[s]:
                if lab.rnd != rnd:
                    continue
                for v, w in fp[s]:
                    a, ww = lab.arr + w, lab.walk + w
                    if _dominated(tbag, a, ww):
                        continue
                    if _insert(all_bag.setdefault(v, []), _Label(a, ww, rnd, "W", (lab, s, v))):
                        marked.add(v)
                        if v == target:
                            tbag = all_bag[v]

    marked: set[int] = set()
    for s, t in source_stops.items():
        lab = _Label(t, 0, 0, "S", (s,))
        if _insert(tr_bag.setdefault(s, []), lab):
            _insert(all_bag.setdefault(s, []), lab)
            marked.add(s)
    relax(set(source_stops), 0, marked)
    for k in range(1, max_rounds + 1):
        if not marked:
            break
        queue: dict[int, int] = {}
        for s in marked:
            for p, pos in stop_routes[s]:
                if pos < queue.get(p, 1 << 30):
                    queue[p] = pos
        new_marked: set[int] = set()
        arrived: set[int] = set()
        for p, start in queue.items():
            stops, rows, deps = pstops[p], arr_rows[p], dep_by_pos[p]
            ntrips = len(rows)
            rbag: list[tuple[int, int, _Label, int]] = []  # trip, walk, boarded label, pos
            for pos in range(start, len(stops)):
                s = stops[pos]
                if rbag:
                    tbag = all_bag.get(target, [])
                    for trip, walk, blab, bpos in rbag:
                        a = rows[trip][pos]
                        if _dominated(tbag, a, walk):
                            continue
                        lab = _Label(a, walk, k, "T", (blab, p, trip, bpos, pos))
                        if _insert(tr_bag.setdefault(s, []), lab):
                            arrived.add(s)
                        if _insert(all_bag.setdefault(s, []), lab):
                            new_marked.add(s)
                if s in marked:
                    for blab in all_bag[s]:
                        if blab.rnd != k - 1:
                            continue
                        i = bisect_left(deps[pos], blab.arr)
                        if i >= ntrips:
                            continue
                        w = blab.walk
                        if any(t <= i and ww <= w for t, ww, _, _ in rbag):
                            continue
                        rbag = [e for e in rbag if not (i <= e[0] and w <= e[1])]
                        rbag.append((i, w, blab, pos))
        relax(arrived, k, new_marked)
        marked = new_marked
    out: list[ParetoJourney] = []
    for lab in all_bag.get(target, []):
        journey = _label_journey(tt, lab)
        out.append(ParetoJourney(journey.departure, lab.arr, lab.rnd, lab.walk, journey))
    out.sort(key=lambda j: (j.trips, j.arrival, j.walk_seconds))
    return out


def _label_journey(tt: Timetable, lab: _Label) -> Journey:
    legs: list[Leg] = []
    end = lab.arr
    cur: _Label | None = lab
    while cur is not None and cur.kind != "S":
        if cur.kind == "W":
            prev, s, v = cur.data
            assert isinstance(prev, _Label) and isinstance(s, int) and isinstance(v, int)
            legs.append(WalkLeg(s, v, prev.arr, cur.arr))
            cur = prev
        else:
            blab, p, trip, bpos, pos = cur.data
            assert isinstance(blab, _Label)
            assert isinstance(p, int) and isinstance(trip, int)
            assert isinstance(bpos, int) and isinstance(pos, int)
            stops = tt.stops_of(p)
            legs.append(
                TransitLeg(
                    p,
                    trip,
                    tt.pattern_trip_ids[p][trip],
                    tt.route_ids[int(tt.pattern_route[p])],
                    int(stops[bpos]),
                    int(stops[pos]),
                    int(tt.pattern_departures[p][trip, bpos]),
                    cur.arr,
                )
            )
            cur = blab
    legs.reverse()
    start = legs[0].departure if legs else end
    return Journey(tuple(legs), start, end)
