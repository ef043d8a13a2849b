"""Read a GTFS zip and compile one service date into an immutable RAPTOR timetable.

Time model
    Every time is an ``int`` number of seconds since "noon minus 12 h" of the
    service date (for days without a DST change that is local midnight).  GTFS
    allows times past ``24:00:00`` for trips running over midnight; they are kept
    as is (e.g. ``25:10:00`` -> 90600).  Trips of the *previous* service day that
    have any time >= 24:00:00 are also included, shifted by -86400 s, so that
    after-midnight departures exist in the timetable of ``date`` (their trip ids
    get the suffix ``"@prev"``).  Times of those trips before midnight become
    negative, which is harmless.

Service resolution
    A service is active on ``date`` if ``calendar.txt`` says so (weekday flag and
    ``start_date <= date <= end_date``) and ``calendar_dates.txt`` does not remove
    it (exception_type 2), or if ``calendar_dates.txt`` adds it (exception_type 1).

Blank stop times
    Only timepoints need times in GTFS (the Porto Alegre EPTC feed times only the
    first and last stop of a trip).  Missing times are interpolated linearly
    between the surrounding timed stops, by ``shape_dist_traveled`` when present
    for the whole trip, else by cumulative straight-line (haversine) distance along
    the stop sequence; results are rounded to whole seconds.

frequencies.txt
    Each row ``(trip_id, start_time, end_time, headway_secs)`` is expanded into
    concrete trips departing at ``start, start + headway, ... < end`` with the
    template trip's relative times (ids ``"<trip_id>@<start seconds>"``).  The
    template trip itself is then not run on its own.

Footpaths
    From ``transfers.txt`` when present: rows with transfer_type 0, 1 or 2 give a
    directed footpath ``from -> to`` taking ``min_transfer_time`` seconds (0 if
    blank); a station (location_type 1) is expanded to all its child stops, so
    ``101 -> 101`` with 180 s links platforms ``101N`` and ``101S``.  A footpath
    from a stop to itself is dropped (changing vehicles at one stop is free: a
    trip arriving at time *t* connects to a departure at *t*).  Without
    ``transfers.txt`` footpaths join every pair of stops at most
    :data:`FOOTPATH_RADIUS_M` (400 m) apart as the crow flies, taking
    ``ceil(distance * 1.2 / 1.3)`` seconds: 1.3 m/s walking speed and a 1.2
    detour factor for the street network.  The footpath graph is *not*
    transitively closed; the routers never chain two footpaths.

Compiled layout (Delling, Pajor, Werneck 2012, "Round-Based Public Transit Routing")
    RAPTOR routes ("patterns") group trips with the identical stop sequence.
    Trips in a pattern are sorted by departure at the first stop and must be FIFO
    (no trip overtakes another at any stop); a GTFS route is split into several
    patterns when its trips use different stop sequences or overtake.

    * ``pattern_stop_offsets[p] : pattern_stop_offsets[p + 1]`` slices
      ``pattern_stops`` (stop indices of pattern ``p`` in order).
    * ``pattern_arrivals[p]`` / ``pattern_departures[p]``: ``int32`` arrays of
      shape ``(n_trips, n_stops_of_p)``; rows sorted by departure, columns
      non-decreasing in both directions.
    * ``stop_pattern_offsets[s] : stop_pattern_offsets[s + 1]`` slices
      ``stop_patterns`` / ``stop_pattern_positions``: which patterns serve stop
      ``s`` and at which position (one entry per occurrence, so loops appear twice).
    * ``footpath_offsets[s] : footpath_offsets[s + 1]`` slices ``footpath_targets``
      and ``footpath_seconds`` (CSR).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import zipfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DAY",
    "FOOTPATH_RADIUS_M",
    "REQUIRED_FILES",
    "WALK_DETOUR",
    "WALK_SPEED_MPS",
    "GtfsError",
    "Issue",
    "Timetable",
    "ValidationReport",
    "load_timetable",
    "parse_time",
]

DAY = 86_400
FOOTPATH_RADIUS_M = 400.0
WALK_SPEED_MPS = 1.3
WALK_DETOUR = 1.2
REQUIRED_FILES = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
_EXAMPLES = 5
_EARTH_RADIUS_M = 6_371_000.0

IntArray = NDArray[np.int32]
FloatArray = NDArray[np.float64]


@dataclass
class Issue:
    """One kind of problem found in a feed: how often and a few examples."""

    kind: str
    count: int = 0
    examples: list[str] = field(default_factory=list)
    fatal: bool = False

    def add(self, example: str) -> None:
        self.count += 1
        if len(self.examples) < _EXAMPLES:
            self.examples.append(example)


@dataclass
class ValidationReport:
    """Counts of the feed's entities and the problems met while compiling it."""

    counts: dict[str, int] = field(default_factory=dict)
    issues: dict[str, Issue] = field(default_factory=dict)

    def problem(self, kind: str, example: str, *, fatal: bool = False) -> None:
        issue = self.issues.setdefault(kind, Issue(kind, fatal=fatal))
        issue.add(example)

    @property
    def ok(self) -> bool:
        return not any(issue.fatal for issue in self.issues.values())

    def summary(self) -> str:
        parts = [", ".join(f"{k}={v}" for k, v in self.counts.items()) or "no counts"]
        for issue in self.issues.values():
            level = "ERROR" if issue.fatal else "warning"
            parts.append(f"{level} {issue.kind} x{issue.count}: {'; '.join(issue.examples)}")
        return "\n".join(parts)


class GtfsError(Exception):
    """The feed cannot be compiled; ``report`` says why."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.summary())
        self.report = report


@dataclass(frozen=True, eq=False)
class Timetable:
    """A GTFS feed compiled for one service date (see the module docstring)."""

    service_date: date
    stop_ids: tuple[str, ...]
    stop_names: tuple[str, ...]
    stop_lat: FloatArray
    stop_lon: FloatArray
    stop_index: Mapping[str, int]
    route_ids: tuple[str, ...]
    route_short_names: tuple[str, ...]
    pattern_route: IntArray
    pattern_stop_offsets: IntArray
    pattern_stops: IntArray
    pattern_arrivals: tuple[IntArray, ...]
    pattern_departures: tuple[IntArray, ...]
    pattern_trip_ids: tuple[tuple[str, ...], ...]
    stop_pattern_offsets: IntArray
    stop_patterns: IntArray
    stop_pattern_positions: IntArray
    footpath_offsets: IntArray
    footpath_targets: IntArray
    footpath_seconds: IntArray
    report: ValidationReport

    @property
    def n_stops(self) -> int:
        return len(self.stop_ids)

    @property
    def n_patterns(self) -> int:
        return len(self.pattern_arrivals)

    @property
    def n_trips(self) -> int:
        return sum(int(a.shape[0]) for a in self.pattern_arrivals)

    def stops_of(self, pattern: int) -> IntArray:
        lo, hi = self.pattern_stop_offsets[pattern], self.pattern_stop_offsets[pattern + 1]
        return self.pattern_stops[lo:hi]

    def footpaths_of(self, stop: int) -> list[tuple[int, int]]:
        lo, hi = int(self.footpath_offsets[stop]), int(self.footpath_offsets[stop + 1])
        return [
            (int(t), int(s))
            for t, s in zip(self.footpath_targets[lo:hi], self.footpath_seconds[lo:hi], strict=True)
        ]


def parse_time(text: str) -> int | None:
    """``"25:03:07"`` -> 90187 seconds; blank -> ``None``; raises ``ValueError``."""
    text = text.strip()
    if not text:
        return None
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def _parse_date(text: str) -> date:
    text = text.strip()
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _rows(zf: zipfile.ZipFile, name: str) -> Iterator[dict[str, str]]:
    with zf.open(name) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        header = [h.strip() for h in next(reader, [])]
        for row in reader:
            if row:
                yield dict(zip(header, row, strict=False))


def _haversine(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    out: FloatArray = 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def _walk_seconds(meters: float) -> int:
    return math.ceil(meters * WALK_DETOUR / WALK_SPEED_MPS)


class _Reader:
    def __init__(self, zf: zipfile.ZipFile, names: dict[str, str]) -> None:
        self.zf = zf
        self.names = names

    def has(self, name: str) -> bool:
        return name in self.names

    def rows(self, name: str) -> Iterator[dict[str, str]]:
        return _rows(self.zf, self.names[name])


def _active_services(rd: _Reader, day: date, report: ValidationReport) -> set[str]:
    active: set[str] = set()
    if rd.has("calendar.txt"):
        weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[
            day.weekday()
        ]
        for row in rd.rows("calendar.txt"):
            try:
                start, end = _parse_date(row["start_date"]), _parse_date(row["end_date"])
            except (KeyError, ValueError):
                report.problem("calendar row with bad dates", row.get("service_id", "?"))
                continue
            if start <= day <= end and row.get(weekday, "0").strip() == "1":
                active.add(row.get("service_id", ""))
    if rd.has("calendar_dates.txt"):
        key = day.strftime("%Y%m%d")
        for row in rd.rows("calendar_dates.txt"):
            if row.get("date", "").strip() != key:
                continue
            kind = row.get("exception_type", "").strip()
            if kind == "1":
                active.add(row.get("service_id", ""))
            elif kind == "2":
                active.discard(row.get("service_id", ""))
    return active


def _all_services(rd: _Reader) -> set[str]:
    out: set[str] = set()
    for name in ("calendar.txt", "calendar_dates.txt"):
        if rd.has(name):
            out.update(row.get("service_id", "") for row in rd.rows(name))
    return out


@dataclass
class _RawTrip:
    trip_id: str
    route: int
    shift: int
    stops: list[int]
    arr: list[int]
    dep: list[int]


def _interpolate(
    times: list[int | None], dist: list[float], trip_id: str, report: ValidationReport
) -> list[int] | None:
    timed = [i for i, t in enumerate(times) if t is not None]
    if not timed:
        report.problem("trip without any time", trip_id)
        return None
    out: list[int] = [0] * len(times)
    first, last = timed[0], timed[-1]
    t_first, t_last = times[first], times[last]
    assert t_first is not None and t_last is not None
    for i in range(first + 1):
        out[i] = t_first
    for i in range(last, len(times)):
        out[i] = t_last
    for a, b in itertools.pairwise(timed):
        ta, tb = times[a], times[b]
        assert ta is not None and tb is not None
        out[a] = ta
        span = dist[b] - dist[a]
        for i in range(a + 1, b):
            frac = (dist[i] - dist[a]) / span if span > 0 else (i - a) / (b - a)
            out[i] = round(ta + (tb - ta) * frac)
        out[b] = tb
    if first != 0 or last != len(times) - 1:
        report.problem("first or last stop time blank (extrapolated as constant)", trip_id)
    return out


def load_timetable(path: str | Path, service_date: date) -> Timetable:
    """Read the GTFS zip at ``path`` and compile the timetable of ``service_date``.

    Raises :class:`GtfsError` (with a :class:`ValidationReport`) when the file is not
    a zip, lacks a required file, or references make compilation impossible.
    """
    report = ValidationReport()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.problem("not a readable zip", f"{path}: {exc}", fatal=True)
        raise GtfsError(report) from exc
    with zf:
        # Feeds zipped with a top folder keep their files one level down.
        names = {Path(n).name: n for n in zf.namelist() if not n.endswith("/")}
        missing = [f for f in REQUIRED_FILES if f not in names]
        if "calendar.txt" not in names and "calendar_dates.txt" not in names:
            missing.append("calendar.txt or calendar_dates.txt")
        for name in missing:
            report.problem("missing required file", name, fatal=True)
        if missing:
            raise GtfsError(report)
        return _compile(_Reader(zf, names), service_date, report)


def _compile(rd: _Reader, service_date: date, report: ValidationReport) -> Timetable:
    # --- stops ---------------------------------------------------------------
    stop_ids: list[str] = []
    stop_names: list[str] = []
    lats: list[float] = []
    lons: list[float] = []
    parent_of: dict[str, str] = {}
    stations: set[str] = set()
    for row in rd.rows("stops.txt"):
        sid = row.get("stop_id", "").strip()
        if not sid:
            report.problem("stop without stop_id", repr(row))
            continue
        if row.get("location_type", "").strip() == "1":
            stations.add(sid)
        parent = row.get("parent_station", "").strip()
        if parent:
            parent_of[sid] = parent
        if row.get("location_type", "").strip() not in ("", "0"):
            continue  # stations, entrances, nodes, boarding areas are not routing stops
        try:
            lat, lon = float(row["stop_lat"]), float(row["stop_lon"])
        except (KeyError, ValueError):
            report.problem("stop with bad coordinates", sid)
            lat = lon = math.nan
        stop_ids.append(sid)
        stop_names.append(row.get("stop_name", ""))
        lats.append(lat)
        lons.append(lon)
    stop_index = {sid: i for i, sid in enumerate(stop_ids)}
    report.counts["stops"] = len(stop_ids)

    # --- routes --------------------------------------------------------------
    route_ids: list[str] = []
    route_names: list[str] = []
    for row in rd.rows("routes.txt"):
        route_ids.append(row.get("route_id", "").strip())
        route_names.append(row.get("route_short_name", "") or row.get("route_long_name", ""))
    route_index = {rid: i for i, rid in enumerate(route_ids)}
    report.counts["routes"] = len(route_ids)

    # --- services ------------------------------------------------------------
    today = _active_services(rd, service_date, report)
    yesterday = _active_services(rd, service_date - timedelta(days=1), ValidationReport())
    known_services = _all_services(rd)
    report.counts["services"] = len(known_services)
    report.counts["services_active"] = len(today)

    # --- trips ---------------------------------------------------------------
    trip_route: dict[str, int] = {}
    trip_shifts: dict[str, list[int]] = {}
    n_trips = 0
    for row in rd.rows("trips.txt"):
        n_trips += 1
        tid = row.get("trip_id", "").strip()
        rid = row.get("route_id", "").strip()
        sid = row.get("service_id", "").strip()
        if rid not in route_index:
            report.problem("trip references unknown route_id", f"{tid} -> {rid}")
            continue
        if sid not in known_services:
            report.problem("trip references unknown service_id", f"{tid} -> {sid}")
        shifts = []
        if sid in today:
            shifts.append(0)
        if sid in yesterday:
            shifts.append(-DAY)
        trip_route[tid] = route_index[rid]
        if shifts:
            trip_shifts[tid] = shifts
    report.counts["trips"] = n_trips
    if not trip_route:
        report.problem("no usable trips", "trips.txt has no trip with a known route", fatal=True)

    # --- stop_times ----------------------------------------------------------
    per_trip: dict[str, list[tuple[int, int, int | None, int | None, float | None]]] = defaultdict(
        list
    )
    n_st = 0
    for row in rd.rows("stop_times.txt"):
        n_st += 1
        tid = row.get("trip_id", "").strip()
        if tid not in trip_route:
            report.problem("stop_time references unknown trip_id", tid)
            continue
        sid = row.get("stop_id", "").strip()
        s = stop_index.get(sid)
        if s is None:
            report.problem("stop_time references unknown stop_id", f"{tid} -> {sid}")
            continue
        if tid not in trip_shifts:
            continue
        try:
            seq = int(row["stop_sequence"])
            arr = parse_time(row.get("arrival_time", ""))
            dep = parse_time(row.get("departure_time", ""))
            dist_text = row.get("shape_dist_traveled", "").strip()
            dist = float(dist_text) if dist_text else None
        except (KeyError, ValueError):
            report.problem("stop_time with unparsable field", f"{tid}: {row}")
            continue
        if arr is None:
            arr = dep
        if dep is None:
            dep = arr
        per_trip[tid].append((seq, s, arr, dep, dist))
    report.counts["stop_times"] = n_st
    if n_st == 0:
        report.problem("no stop_times", "stop_times.txt is empty", fatal=True)
    if not report.ok:
        raise GtfsError(report)

    lat_arr = np.asarray(lats, dtype=np.float64)
    lon_arr = np.asarray(lons, dtype=np.float64)

    # Resolve each active trip into concrete times.
    templates: dict[str, tuple[list[int], list[int], list[int]]] = {}
    for tid, rows in per_trip.items():
        rows.sort(key=lambda r: r[0])
        if len(rows) < 2:
            report.problem("trip with fewer than two stops", tid)
            continue
        stops = [r[1] for r in rows]
        dists = [r[4] for r in rows]
        if all(d is not None for d in dists):
            cum = [float(d) for d in dists if d is not None]
        else:
            idx = np.asarray(stops)
            seg = _haversine(
                lat_arr[idx[:-1]], lon_arr[idx[:-1]], lat_arr[idx[1:]], lon_arr[idx[1:]]
            )
            cum = [0.0, *np.cumsum(np.nan_to_num(seg)).tolist()]
        arr_i = _interpolate([r[2] for r in rows], cum, tid, report)
        dep_i = _interpolate([r[3] for r in rows], cum, tid, report)
        if arr_i is None or dep_i is None:
            continue
        bad = False
        for i in range(len(stops)):
            if dep_i[i] < arr_i[i] or (i and arr_i[i] < dep_i[i - 1]):
                bad = True
                break
        if bad:
            report.problem("times decrease along trip (trip dropped)", tid)
            continue
        templates[tid] = (stops, arr_i, dep_i)

    # frequencies.txt: expand templates into concrete trips.
    frequency_runs: dict[str, list[int]] = defaultdict(list)
    if rd.has("frequencies.txt"):
        for row in rd.rows("frequencies.txt"):
            tid = row.get("trip_id", "").strip()
            try:
                start = parse_time(row["start_time"])
                end = parse_time(row["end_time"])
                headway = int(row["headway_secs"])
            except (KeyError, ValueError):
                report.problem("frequency with unparsable field", tid)
                continue
            if tid not in trip_route:
                report.problem("frequency references unknown trip_id", tid)
                continue
            if start is None or end is None or headway <= 0:
                report.problem("frequency with bad window or headway", tid)
                continue
            frequency_runs[tid].extend(range(start, end, headway))

    raw: list[_RawTrip] = []
    for tid, (stops, arr_i, dep_i) in templates.items():
        starts: list[int | None] = list(frequency_runs.get(tid, [None]))
        for shift in trip_shifts[tid]:
            if shift and max(dep_i[-1], arr_i[-1]) < DAY and not frequency_runs.get(tid):
                continue  # yesterday's trip that ends before midnight
            for start in starts:
                offset = shift + (0 if start is None else start - dep_i[0])
                if shift and start is not None and start + (arr_i[-1] - dep_i[0]) < DAY:
                    continue
                name = tid if start is None else f"{tid}@{start}"
                if shift:
                    name += "@prev"
                raw.append(
                    _RawTrip(
                        name,
                        trip_route[tid],
                        offset,
                        stops,
                        [t + offset for t in arr_i],
                        [t + offset for t in dep_i],
                    )
                )
    report.counts["trips_compiled"] = len(raw)

    # --- patterns ------------------------------------------------------------
    groups: dict[tuple[int, tuple[int, ...]], list[_RawTrip]] = defaultdict(list)
    for trip in raw:
        groups[(trip.route, tuple(trip.stops))].append(trip)
    p_route: list[int] = []
    p_stops: list[tuple[int, ...]] = []
    p_arr: list[IntArray] = []
    p_dep: list[IntArray] = []
    p_tids: list[tuple[str, ...]] = []
    overtaking = 0
    for (route, stops_key), trips in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        trips.sort(key=lambda t: (t.dep[0], t.arr[-1]))
        pa = np.asarray([t.arr for t in trips], dtype=np.int32)
        pd = np.asarray([t.dep for t in trips], dtype=np.int32)
        # Greedy split into FIFO sub-patterns: a trip joins the first sub-pattern whose
        # last trip it never overtakes.
        subs: list[list[int]] = []
        for i in range(len(trips)):
            for sub in subs:
                j = sub[-1]
                if bool(np.all(pa[i] >= pa[j])) and bool(np.all(pd[i] >= pd[j])):
                    sub.append(i)
                    break
            else:
                subs.append([i])
        overtaking += len(subs) - 1
        for sub in subs:
            idx = np.asarray(sub)
            p_route.append(route)
            p_stops.append(stops_key)
            p_arr.append(np.ascontiguousarray(pa[idx]))
            p_dep.append(np.ascontiguousarray(pd[idx]))
            p_tids.append(tuple(trips[i].trip_id for i in sub))
    if overtaking:
        report.problem("overtaking trips (patterns split)", f"{overtaking} extra patterns")
    report.counts["patterns"] = len(p_stops)

    offsets = np.zeros(len(p_stops) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(s) for s in p_stops], dtype=np.int64)
    flat = np.fromiter(
        (s for pseq in p_stops for s in pseq), dtype=np.int32, count=int(offsets[-1])
    )

    n_stops = len(stop_ids)
    occ: list[list[tuple[int, int]]] = [[] for _ in range(n_stops)]
    for p, pseq in enumerate(p_stops):
        for pos, s in enumerate(pseq):
            occ[s].append((p, pos))
    sp_off = np.zeros(n_stops + 1, dtype=np.int32)
    sp_off[1:] = np.cumsum([len(o) for o in occ], dtype=np.int64)
    sp_pat = np.fromiter((p for o in occ for p, _ in o), dtype=np.int32, count=int(sp_off[-1]))
    sp_pos = np.fromiter((q for o in occ for _, q in o), dtype=np.int32, count=int(sp_off[-1]))

    # --- footpaths -----------------------------------------------------------
    edges: dict[tuple[int, int], int] = {}
    if rd.has("transfers.txt"):
        children: dict[str, list[int]] = defaultdict(list)
        for sid, parent in parent_of.items():
            if sid in stop_index:
                children[parent].append(stop_index[sid])

        def expand(sid: str) -> list[int]:
            if sid in stop_index:
                return [stop_index[sid]]
            return children.get(sid, [])

        for row in rd.rows("transfers.txt"):
            a, b = row.get("from_stop_id", "").strip(), row.get("to_stop_id", "").strip()
            if row.get("transfer_type", "0").strip() not in ("", "0", "1", "2"):
                continue
            froms, tos = expand(a), expand(b)
            if not froms or not tos:
                report.problem("transfer references unknown stop", f"{a} -> {b}")
                continue
            secs = int(row.get("min_transfer_time", "").strip() or 0)
            for u in froms:
                for v in tos:
                    if u != v:
                        edges[(u, v)] = min(secs, edges.get((u, v), secs))
    else:
        edges = _geometric_footpaths(lat_arr, lon_arr)
    fp_from = np.asarray([k[0] for k in edges], dtype=np.int64)
    order = np.lexsort((np.asarray([k[1] for k in edges], dtype=np.int64), fp_from))
    keys = list(edges)
    fp_t = np.asarray([keys[i][1] for i in order], dtype=np.int32)
    fp_s = np.asarray([edges[keys[i]] for i in order], dtype=np.int32)
    fp_off = np.zeros(n_stops + 1, dtype=np.int32)
    if len(keys):
        fp_off[1:] = np.cumsum(np.bincount(fp_from, minlength=n_stops), dtype=np.int64)
    report.counts["footpaths"] = len(keys)

    return Timetable(
        service_date=service_date,
        stop_ids=tuple(stop_ids),
        stop_names=tuple(stop_names),
        stop_lat=lat_arr,
        stop_lon=lon_arr,
        stop_index=MappingProxyType(stop_index),
        route_ids=tuple(route_ids),
        route_short_names=tuple(route_names),
        pattern_route=np.asarray(p_route, dtype=np.int32),
        pattern_stop_offsets=offsets,
        pattern_stops=flat,
        pattern_arrivals=tuple(p_arr),
        pattern_departures=tuple(p_dep),
        pattern_trip_ids=tuple(p_tids),
        stop_pattern_offsets=sp_off,
        stop_patterns=sp_pat,
        stop_pattern_positions=sp_pos,
        footpath_offsets=fp_off,
        footpath_targets=fp_t,
        footpath_seconds=fp_s,
        report=report,
    )


def _geometric_footpaths(lat: FloatArray, lon: FloatArray) -> dict[tuple[int, int], int]:
    """Footpaths between stops within :data:`FOOTPATH_RADIUS_M`, via a lat/lon grid."""
    edges: dict[tuple[int, int], int] = {}
    ok = np.flatnonzero(~(np.isnan(lat) | np.isnan(lon)))
    if len(ok) < 2:
        return edges
    cell_lat = FOOTPATH_RADIUS_M / 111_000.0
    mean_lat = float(np.mean(lat[ok]))
    cell_lon = cell_lat / max(math.cos(math.radians(mean_lat)), 0.01)
    gy = np.floor(lat / cell_lat)
    gx = np.floor(lon / cell_lon)
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in ok.tolist():
        cells[(int(gy[i]), int(gx[i]))].append(i)
    for (cy, cx), members in cells.items():
        near = [
            j for dy in (-1, 0, 1) for dx in (-1, 0, 1) for j in cells.get((cy + dy, cx + dx), ())
        ]
        cand = np.asarray(near, dtype=np.int64)
        for i in members:
            d = _haversine(
                np.full(len(cand), lat[i]), np.full(len(cand), lon[i]), lat[cand], lon[cand]
            )
            for j, dist in zip(cand.tolist(), d.tolist(), strict=True):
                if j != i and dist <= FOOTPATH_RADIUS_M:
                    edges[(i, j)] = _walk_seconds(dist)
    return edges
