"""RAPTOR, range RAPTOR and McRAPTOR against brute-force references.

The real feed (Porto Alegre EPTC buses) is read from the shared data folder and
compiled once per module; small feeds are written as zips into ``tmp_path``.
"""

from __future__ import annotations

import heapq
import random
import zipfile
from bisect import bisect_left
from datetime import date
from pathlib import Path

import pytest

from navio.transit import (
    GtfsError,
    Timetable,
    TransitLeg,
    WalkLeg,
    earliest_arrival,
    load_timetable,
    mc_raptor,
    range_raptor,
)
from navio.transit.raptor import UNREACHED

POA = Path("/work/shared/data/gtfs/poa_eptc.zip")
POA_DATE = date(2019, 5, 15)  # a Wednesday inside 2019-04-15 .. 2019-07-15
RANDOM_PAIRS = 200  # random (source, target) pairs checked against the Dijkstra reference
T_1300 = 13 * 3600


# ---------------------------------------------------------------------------
# Brute-force references over the compiled trips


def _trips(tt: Timetable) -> list[tuple[list[int], list[int], list[int]]]:
    out = []
    for p in range(tt.n_patterns):
        stops = tt.stops_of(p).tolist()
        for arr, dep in zip(
            tt.pattern_arrivals[p].tolist(), tt.pattern_departures[p].tolist(), strict=True
        ):
            out.append((stops, arr, dep))
    return out


class Dijkstra:
    """Event-based time-dependent Dijkstra.

    States are (stop, may_walk): a stop reached by vehicle (or a source) may walk one
    footpath, a stop reached on foot may not (the same no-chained-footpaths model
    as the routers).  From a stop at time t any trip departing there at >= t can be
    boarded and ridden to any later stop; each trip is scanned once from the
    earliest position boarded so far.
    """

    def __init__(self, tt: Timetable) -> None:
        self.trips = _trips(tt)
        self.events: list[list[tuple[int, int, int]]] = [[] for _ in range(tt.n_stops)]
        for ti, (stops, _arr, dep) in enumerate(self.trips):
            for pos, s in enumerate(stops):
                self.events[s].append((dep[pos], ti, pos))
        for ev in self.events:
            ev.sort()
        self.fp = [tt.footpaths_of(s) for s in range(tt.n_stops)]

    def query(self, source: int, t0: int, target: int) -> int | None:
        best: dict[tuple[int, bool], int] = {(source, True): t0}
        heap = [(t0, source, True)]
        boarded: dict[int, int] = {}
        while heap:
            t, s, may_walk = heapq.heappop(heap)
            if best.get((s, may_walk), UNREACHED) < t:
                continue
            if s == target:
                return t
            if may_walk:
                for v, w in self.fp[s]:
                    if t + w < best.get((v, False), UNREACHED):
                        best[(v, False)] = t + w
                        heapq.heappush(heap, (t + w, v, False))
            ev = self.events[s]
            for dep, ti, pos in ev[bisect_left(ev, (t, -1, -1)) :]:
                end = boarded.get(ti)
                if end is not None and end <= pos:
                    continue
                boarded[ti] = pos
                stops, arr, _ = self.trips[ti]
                # up to and including where it was boarded before: arriving there by vehicle
                # (free to walk on) can matter even if it was reached sooner on foot
                for q in range(pos + 1, len(stops) if end is None else end + 1):
                    a = arr[q]
                    if a < best.get((stops[q], True), UNREACHED):
                        best[(stops[q], True)] = a
                        heapq.heappush(heap, (a, stops[q], True))
                del dep
        return None


def _exhaustive_pareto(
    tt: Timetable, source: int, t0: int, target: int, max_trips: int
) -> set[tuple[int, int, int]]:
    """Every journey (same walking model), then the Pareto set of (arrival, trips, walk)."""
    trips = _trips(tt)
    fp = [tt.footpaths_of(s) for s in range(tt.n_stops)]
    found: set[tuple[int, int, int]] = set()

    def go(s: int, t: int, n: int, walk: int, may_walk: bool) -> None:
        if s == target:
            found.add((t, n, walk))
        if may_walk:
            for v, w in fp[s]:
                go(v, t + w, n, walk + w, False)
        if n == max_trips:
            return
        for stops, arr, dep in trips:
            for pos, st in enumerate(stops):
                if st == s and dep[pos] >= t:
                    for q in range(pos + 1, len(stops)):
                        go(stops[q], arr[q], n + 1, walk, True)

    go(source, t0, 0, 0, True)
    return {
        j
        for j in found
        if not any(o != j and o[0] <= j[0] and o[1] <= j[1] and o[2] <= j[2] for o in found)
    }


# ---------------------------------------------------------------------------
# Tiny feeds


def _write_feed(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text.strip() + "\n")
    return path


def _hms(t: int) -> str:
    return f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"


def _feed(
    stops: dict[str, tuple[float, float]],
    routes: dict[str, tuple[str, list[tuple[str, int]], list[int]]],
    *,
    calendar: str = "WK,1,1,1,1,1,0,0,20240101,20241231",
    calendar_dates: str = "",
    transfers: str | None = None,
    frequencies: str | None = None,
) -> dict[str, str]:
    """routes: route_id -> (service_id, [(stop, offset seconds)], [start times])."""
    st_rows = []
    trip_rows = []
    for rid, (service, seq, starts) in routes.items():
        for start in starts:
            tid = f"{rid}-{start}"
            trip_rows.append(f"{rid},{service},{tid}")
            for i, (stop, off) in enumerate(seq):
                t = "" if off < 0 else _hms(start + off)
                st_rows.append(f"{tid},{t},{t},{stop},{i + 1}")
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,A,http://a,UTC",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        + "\n".join(f"{s},{s},{lat},{lon}" for s, (lat, lon) in stops.items()),
        "routes.txt": "route_id,route_short_name,route_type\n"
        + "\n".join(f"{r},{r},3" for r in routes),
        "trips.txt": "route_id,service_id,trip_id\n" + "\n".join(trip_rows),
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        + "\n".join(st_rows),
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\n" + calendar,
        "calendar_dates.txt": "service_id,date,exception_type\n" + calendar_dates,
    }
    if transfers is not None:
        files["transfers.txt"] = "from_stop_id,to_stop_id,transfer_type,min_transfer_time\n" + (
            transfers
        )
    if frequencies is not None:
        files["frequencies.txt"] = "trip_id,start_time,end_time,headway_secs\n" + frequencies
    return files


def _far(i: int) -> tuple[float, float]:
    return (10.0 + 0.1 * i, 20.0)  # 11 km apart: no geometric footpaths


# ---------------------------------------------------------------------------
# Real feed


@pytest.fixture(scope="module")
def poa() -> Timetable:
    if not POA.exists():
        pytest.skip("poa_eptc.zip not available")
    return load_timetable(POA, POA_DATE)


def test_poa_compiles(poa: Timetable) -> None:
    r = poa.report
    assert r.ok
    assert r.counts["stops"] > 3000 and r.counts["stop_times"] > 100_000
    assert poa.n_trips > 2000
    for p in range(poa.n_patterns):
        arr, dep = poa.pattern_arrivals[p], poa.pattern_departures[p]
        assert arr.shape == dep.shape == (len(poa.pattern_trip_ids[p]), len(poa.stops_of(p)))
        assert (dep >= arr).all()
        assert (arr[:, 1:] >= dep[:, :-1]).all()
        assert (arr[1:] >= arr[:-1]).all() and (dep[1:] >= dep[:-1]).all()  # FIFO
    lo, hi = int(poa.stop_pattern_offsets[0]), int(poa.stop_pattern_offsets[1])
    for p, pos in zip(poa.stop_patterns[lo:hi], poa.stop_pattern_positions[lo:hi], strict=True):
        assert poa.stops_of(int(p))[int(pos)] == 0


def test_raptor_matches_dijkstra_on_random_pairs(poa: Timetable) -> None:
    ref = Dijkstra(poa)
    served = sorted({int(s) for s in poa.pattern_stops})
    rng = random.Random(20190515)
    reached = 0
    for _ in range(RANDOM_PAIRS):
        s, t = rng.sample(served, 2)
        res = earliest_arrival(poa, {s: T_1300}, {t}, max_rounds=None)
        expected = ref.query(s, T_1300, t)
        assert res.arrival(t) == expected, (s, t)
        if expected is not None:
            reached += 1
            j = res.journey(t)
            assert j is not None and j.arrival == expected
            _check_journey(poa, j.legs, s, t, T_1300)
    assert reached > RANDOM_PAIRS // 2


def _check_journey(
    tt: Timetable, legs: tuple[TransitLeg | WalkLeg, ...], s: int, t: int, t0: int
) -> None:
    here, now = s, t0
    for leg in legs:
        if isinstance(leg, WalkLeg):
            assert leg.from_stop == here and leg.departure >= now
            assert (leg.to_stop, leg.arrival - leg.departure) in tt.footpaths_of(here)
            here, now = leg.to_stop, leg.arrival
        else:
            stops = tt.stops_of(leg.pattern).tolist()
            b, a = stops.index(leg.board_stop), len(stops) - 1 - stops[::-1].index(leg.alight_stop)
            assert leg.board_stop == here and leg.departure >= now
            assert tt.pattern_departures[leg.pattern][leg.trip, b] == leg.departure
            assert tt.pattern_arrivals[leg.pattern][leg.trip, a] == leg.arrival
            here, now = leg.alight_stop, leg.arrival
    assert here == t


def test_round_limits_are_monotone(poa: Timetable) -> None:
    res = earliest_arrival(poa, {0: T_1300}, max_rounds=4)
    assert res.rounds.shape[0] <= 5
    assert (res.rounds[1:] <= res.rounds[:-1]).all()
    fewer = earliest_arrival(poa, {0: T_1300}, max_rounds=1)
    assert (fewer.rounds[1] == res.rounds[1]).all()


def test_range_raptor_on_real_feed_matches_repeated_raptor(poa: Timetable) -> None:
    rng = random.Random(7)
    served = sorted({int(s) for s in poa.pattern_stops})
    for _ in range(2):
        s, t = rng.sample(served, 2)
        got = range_raptor(poa, s, t, T_1300, T_1300 + 900, max_rounds=4)
        assert {(j.departure, j.arrival, j.trips) for j in got} == _brute_range(
            poa, s, t, T_1300, T_1300 + 900, 4
        )


def _brute_range(
    tt: Timetable, s: int, t: int, lo: int, hi: int, rounds: int
) -> set[tuple[int, int, int]]:
    deps: set[int] = set()
    for origin, walk in [(s, 0), *tt.footpaths_of(s)]:
        for p in range(tt.n_patterns):
            for pos, st in enumerate(tt.stops_of(p).tolist()):
                if st == origin:
                    deps.update(
                        d - walk
                        for d in tt.pattern_departures[p][:, pos].tolist()
                        if lo <= d - walk <= hi
                    )
    found: set[tuple[int, int, int]] = set()
    for d in deps:
        res = earliest_arrival(tt, {s: d}, max_rounds=rounds)
        for k in range(1, res.rounds.shape[0]):
            if res.rounds[k][t] < UNREACHED:
                found.add((d, int(res.rounds[k][t]), k))
    return {
        j
        for j in found
        if not any(o != j and o[0] >= j[0] and o[1] <= j[1] and o[2] <= j[2] for o in found)
    }


# ---------------------------------------------------------------------------
# Hand-made feeds


def test_overnight_trip_found_next_day(tmp_path: Path) -> None:
    stops = {"A": _far(0), "B": _far(1), "C": _far(2)}
    routes = {"N": ("WK", [("A", 0), ("B", 3600), ("C", 5400)], [23 * 3600 + 1800])}
    path = _write_feed(tmp_path / "night.zip", _feed(stops, routes))
    thu = load_timetable(path, date(2024, 5, 16))  # Wednesday's trip runs into Thursday
    a, b, c = (thu.stop_index[x] for x in "ABC")
    res = earliest_arrival(thu, {b: 0}, {c})
    assert res.arrival(c) == 3600  # 25:00 yesterday == 01:00 today
    j = res.journey(c)
    assert j is not None and isinstance(j.legs[0], TransitLeg)
    assert j.legs[0].trip_id.endswith("@prev") and j.legs[0].departure == 1800
    # Today's own departure at 23:30 is there too.
    assert earliest_arrival(thu, {a: 80_000}, {c}).arrival(c) == 23 * 3600 + 1800 + 5400
    mon = load_timetable(path, date(2024, 5, 13))  # Sunday has no service
    assert earliest_arrival(mon, {b: 0}, {c}).arrival(c) == 23 * 3600 + 1800 + 5400


def test_calendar_dates_removal_and_addition(tmp_path: Path) -> None:
    stops = {"A": _far(0), "B": _far(1)}
    routes = {
        "R": ("WK", [("A", 0), ("B", 600)], [8 * 3600]),
        "X": ("EXTRA", [("A", 0), ("B", 300)], [9 * 3600]),
    }
    files = _feed(
        stops,
        routes,
        calendar_dates="WK,20240516,2\nEXTRA,20240518,1",
    )
    path = _write_feed(tmp_path / "cal.zip", files)

    def arrival(day: date) -> int | None:
        tt = load_timetable(path, day)
        a, b = tt.stop_index["A"], tt.stop_index["B"]
        return earliest_arrival(tt, {a: 0}, {b}).arrival(b)

    assert arrival(date(2024, 5, 15)) == 8 * 3600 + 600
    assert arrival(date(2024, 5, 16)) is None  # removed
    assert arrival(date(2024, 5, 18)) == 9 * 3600 + 300  # Saturday, added
    assert arrival(date(2024, 5, 19)) is None


def test_interpolation_and_frequencies(tmp_path: Path) -> None:
    stops = {"A": (0.0, 0.0), "B": (0.0, 0.03), "C": (0.0, 0.09)}  # B at 1/3 of A-C
    routes = {"R": ("WK", [("A", 0), ("B", -1), ("C", 900)], [8 * 3600])}
    files = _feed(stops, routes, frequencies="R-28800,08:00:00,09:00:00,1200")
    tt = load_timetable(_write_feed(tmp_path / "f.zip", files), date(2024, 5, 15))
    assert tt.n_trips == 3
    assert tt.pattern_departures[0][:, 1].tolist() == [28800 + 300, 30000 + 300, 31200 + 300]
    assert tt.footpaths_of(tt.stop_index["A"]) == []  # 3.3 km apart


def _mc_network(tmp_path: Path) -> Timetable:
    stops = {s: _far(i) for i, s in enumerate(["S", "A", "B", "C", "X", "T"])}
    starts = [8 * 3600, 8 * 3600 + 600, 8 * 3600 + 1200]
    routes = {
        "R1": ("WK", [("S", 0), ("A", 600), ("T", 3600)], starts),
        "R2": ("WK", [("S", 300), ("B", 900)], starts),
        "R3": ("WK", [("B", 1200), ("T", 2400)], starts),
        "R4": ("WK", [("S", 0), ("C", 600)], starts),
        "R5": ("WK", [("X", 1200), ("T", 2100)], starts),
        "R6": ("WK", [("T", 0), ("A", 300)], starts),
    }
    transfers = "C,X,2,300\nA,T,2,1800\nS,C,2,700\nB,X,2,60"
    path = _write_feed(tmp_path / "mc.zip", _feed(stops, routes, transfers=transfers))
    return load_timetable(path, date(2024, 5, 15))


def test_mc_raptor_matches_exhaustive_search(tmp_path: Path) -> None:
    tt = _mc_network(tmp_path)
    s, t = tt.stop_index["S"], tt.stop_index["T"]
    for t0 in (7 * 3600, 8 * 3600, 8 * 3600 + 400, 8 * 3600 + 900):
        got = mc_raptor(tt, {s: t0}, t, max_rounds=4)
        assert {(j.arrival, j.trips, j.walk_seconds) for j in got} == _exhaustive_pareto(
            tt, s, t0, t, 4
        )
        for j in got:
            assert j.journey is not None
            assert j.journey.trips == j.trips and j.journey.walk_seconds == j.walk_seconds
            _check_journey(tt, j.journey.legs, s, t, t0)
        # The fastest McRAPTOR option is RAPTOR's answer.
        assert min(j.arrival for j in got) == earliest_arrival(tt, {s: t0}, {t}).arrival(t)


def test_range_raptor_on_window(tmp_path: Path) -> None:
    tt = _mc_network(tmp_path)
    s, t = tt.stop_index["S"], tt.stop_index["T"]
    lo, hi = 8 * 3600 - 600, 8 * 3600 + 1500
    got = range_raptor(tt, s, t, lo, hi, max_rounds=4)
    assert {(j.departure, j.arrival, j.trips) for j in got} == _brute_range(tt, s, t, lo, hi, 4)
    assert got
    assert all(lo <= j.departure <= hi for j in got)


# ---------------------------------------------------------------------------
# Bad input


def test_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "feed.zip"
    bad.write_text("hello")
    with pytest.raises(GtfsError) as err:
        load_timetable(bad, date(2024, 5, 15))
    assert "not a readable zip" in err.value.report.issues
    assert not err.value.report.ok


def test_zip_without_stop_times(tmp_path: Path) -> None:
    files = _feed({"A": _far(0)}, {"R": ("WK", [("A", 0)], [0])})
    del files["stop_times.txt"]
    with pytest.raises(GtfsError) as err:
        load_timetable(_write_feed(tmp_path / "f.zip", files), date(2024, 5, 15))
    issue = err.value.report.issues["missing required file"]
    assert issue.examples == ["stop_times.txt"]
    assert "stop_times.txt" in str(err.value)


def test_broken_references_are_reported(tmp_path: Path) -> None:
    stops = {"A": _far(0), "B": _far(1)}
    files = _feed(stops, {"R": ("WK", [("A", 0), ("B", 600)], [8 * 3600])})
    files["stop_times.txt"] += "\nR-28800,08:20:00,08:20:00,NOPE,3\nGHOST,08:00:00,08:00:00,A,1"
    files["trips.txt"] += "\nR,WK,BACK\nQ,WK,ORPHAN"
    files["stop_times.txt"] += "\nBACK,09:00:00,09:00:00,A,1\nBACK,08:50:00,08:50:00,B,2"
    tt = load_timetable(_write_feed(tmp_path / "f.zip", files), date(2024, 5, 15))
    issues = tt.report.issues
    assert issues["stop_time references unknown stop_id"].examples == ["R-28800 -> NOPE"]
    assert issues["stop_time references unknown trip_id"].examples == ["GHOST"]
    assert issues["trip references unknown route_id"].examples == ["ORPHAN -> Q"]
    assert issues["times decrease along trip (trip dropped)"].examples == ["BACK"]
    assert tt.n_trips == 1
