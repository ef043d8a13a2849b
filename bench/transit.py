"""Transit routing benchmark: Navio RAPTOR / range RAPTOR / McRAPTOR vs pyraptor 1.3.10.

Usage::

    .venv/bin/python bench/transit.py [--feeds nyc,poa] [--pairs 200] [--skip-pyraptor]

For each feed it loads the Navio timetable (load time, peak traced memory), draws ``--pairs``
seeded random reachable stop pairs and times earliest-arrival RAPTOR (with target pruning),
range RAPTOR (1 h window) and McRAPTOR.

Unless ``--skip-pyraptor``, it then runs the baseline, pyraptor 1.3.10, on the same queries:

* a separate virtualenv ``var/bench/pyraptor-venv`` (``pyraptor==1.3.10``, ``numpy<2``,
  ``attrs``) is created on first use;
* a converted GTFS copy is written to ``var/bench/pyraptor/<feed>-<date>/gtfs`` from Navio's
  compiled timetable of the query date (so services are already expanded for that date and
  blank stop times interpolated by distance, exactly as Navio sees them), with one
  ``calendar_dates.txt`` service, integer ``trip_short_name``, text ``stop_code`` and
  ``platform_code``, and every platform given a parent station;
* stations are transfer complexes (feeds with ``transfers.txt``: parent stations joined by
  transfers) or clusters of stops within 100 m (single linkage) otherwise; pyraptor groups
  stops into stations by ``stop_name`` so each platform is named after its station;
* pyraptor's timetable is built once (minutes; quadratic in trips) and cached in
  ``var/bench/pyraptor/<feed>-<date>/timetable`` keyed by a hash of the converted feed;
* queries run in a subprocess of that virtualenv, one JSON line per query.

For the answer comparison Navio is run on the same station model as pyraptor: sources are all
stops of the origin station at the departure time, the arrival is the minimum over the stops
of the destination station, and footpaths are exactly pyraptor's (every ordered pair of stops of
one station, 120 s, no other walking).  Results go to ``var/bench/transit.json``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import random
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from navio.transit.gtfs import Timetable, load_timetable
from navio.transit.raptor import earliest_arrival, mc_raptor, range_raptor

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "gtfs"
OUT_DIR = ROOT / "var" / "bench"
PY_VENV = OUT_DIR / "pyraptor-venv"
PY_DIR = OUT_DIR / "pyraptor"
PYRAPTOR_TRANSFER_S = 120  # pyraptor.util.TRANSFER_COST
STATION_RADIUS_M = 100.0
ROUNDS = 8


@dataclasses.dataclass(frozen=True)
class Feed:
    key: str
    path: Path
    day: date
    departure: int  # seconds since midnight


FEEDS: dict[str, Feed] = {
    "nyc": Feed("nyc", DATA / "nyc_subway.zip", date(2026, 6, 4), 8 * 3600),
    "poa": Feed("poa", DATA / "poa_eptc.zip", date(2019, 5, 15), 13 * 3600),
}

# ---------------------------------------------------------------------------
# Helpers


def pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return round(ordered[idx], 3)


def timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args)
    return out, (time.perf_counter() - t0) * 1000.0


def hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000.0 * math.asin(math.sqrt(min(1.0, max(0.0, a))))


# ---------------------------------------------------------------------------
# Stations (transfer complexes or stops within 100 m) and the station model


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _zip_rows(path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as zf:
        names = {Path(n).name: n for n in zf.namelist()}
        if name not in names:
            return []
        with zf.open(names[name]) as raw:
            return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")))


def stations_of(tt: Timetable, feed: Feed) -> list[int]:
    """Station number of every stop (numbered 0.. in order of first stop)."""
    uf = _UnionFind(tt.n_stops)
    if _zip_rows(feed.path, "transfers.txt"):
        # Transfer complexes: platforms of one parent station, joined by transfers.txt
        # (which Navio already compiled into footpaths, parent stations expanded).
        first_child: dict[str, int] = {}
        for row in _zip_rows(feed.path, "stops.txt"):
            parent = row.get("parent_station", "").strip()
            s = tt.stop_index.get(row.get("stop_id", "").strip())
            if parent and s is not None:
                uf.union(first_child.setdefault(parent, s), s)
        for s in range(tt.n_stops):
            for v, _ in tt.footpaths_of(s):
                uf.union(s, v)
    else:
        lat, lon = tt.stop_lat.tolist(), tt.stop_lon.tolist()
        for s in range(tt.n_stops):  # geometric footpaths cover every pair within 400 m
            for v, _ in tt.footpaths_of(s):
                if haversine_m(lat[s], lon[s], lat[v], lon[v]) <= STATION_RADIUS_M:
                    uf.union(s, v)
    number: dict[int, int] = {}
    return [number.setdefault(uf.find(s), len(number)) for s in range(tt.n_stops)]


def station_model(tt: Timetable, station: list[int]) -> Timetable:
    """``tt`` with pyraptor's transfers: every ordered pair in one station, 120 s."""
    members: dict[int, list[int]] = defaultdict(list)
    for s, c in enumerate(station):
        members[c].append(s)
    targets: list[int] = []
    offsets = [0]
    for s in range(tt.n_stops):
        targets.extend(v for v in members[station[s]] if v != s)
        offsets.append(len(targets))
    return dataclasses.replace(
        tt,
        footpath_offsets=np.asarray(offsets, dtype=np.int32),
        footpath_targets=np.asarray(targets, dtype=np.int32),
        footpath_seconds=np.full(len(targets), PYRAPTOR_TRANSFER_S, dtype=np.int32),
    )


# ---------------------------------------------------------------------------
# Converted GTFS for pyraptor


def write_pyraptor_gtfs(tt: Timetable, station: list[int], feed: Feed, out: Path) -> str:
    """Write the converted feed into ``out``; return a hash of its content."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[list[str]]] = {
        "agency.txt": [
            ["agency_id", "agency_name", "agency_url", "agency_timezone"],
            ["A", "NAVIO", "https://example.org", "UTC"],
        ],
        "routes.txt": [
            ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"]
        ],
        "trips.txt": [["route_id", "service_id", "trip_id", "trip_short_name", "trip_long_name"]],
        "calendar_dates.txt": [
            ["service_id", "date", "exception_type"],
            ["SVC", feed.day.strftime("%Y%m%d"), "1"],
        ],
        "stop_times.txt": [
            ["trip_id", "stop_sequence", "stop_id", "arrival_time", "departure_time"]
        ],
        "stops.txt": [
            [
                "stop_id",
                "stop_code",
                "stop_name",
                "stop_lat",
                "stop_lon",
                "location_type",
                "parent_station",
                "platform_code",
            ]
        ],
    }
    for r, rid in enumerate(tt.route_ids):
        name = tt.route_short_names[r] or rid
        files["routes.txt"].append([f"R{r}", "A", name, name, "3"])
    seen_station: set[int] = set()
    for s in range(tt.n_stops):
        c = station[s]
        lat, lon = f"{tt.stop_lat[s]:.6f}", f"{tt.stop_lon[s]:.6f}"
        if c not in seen_station:
            seen_station.add(c)
            files["stops.txt"].append([f"ST{c}", f"ST{c}", f"ST{c}", lat, lon, "1", "", ""])
        files["stops.txt"].append([f"P{s}", f"P{s}", f"ST{c}", lat, lon, "0", f"ST{c}", f"P{s}"])
    n = 0
    for p in range(tt.n_patterns):
        stops = tt.stops_of(p).tolist()
        arrs, deps = tt.pattern_arrivals[p].tolist(), tt.pattern_departures[p].tolist()
        for arr, dep in zip(arrs, deps, strict=True):
            if min(arr) < 0:
                continue  # previous day's trip before midnight: not expressible
            n += 1
            files["trips.txt"].append([f"R{int(tt.pattern_route[p])}", "SVC", f"T{n}", str(n), ""])
            st = files["stop_times.txt"]
            for i, s in enumerate(stops):
                st.append([f"T{n}", str(i + 1), f"P{s}", hms(arr[i]), hms(dep[i])])
    digest = hashlib.sha256()
    for name, rows in files.items():
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        text = buf.getvalue()
        digest.update(name.encode() + text.encode())
        (out / name).write_text(text, encoding="utf-8")
    return digest.hexdigest()[:16]


RUNNER = r"""
import json, os, shutil, sys, time
from loguru import logger
logger.remove()

def build(gtfs_dir, out_dir, day):
    from pyraptor.gtfs.timetable import read_gtfs_timetable, gtfs_to_pyraptor_timetable
    from pyraptor.dao.timetable import write_timetable
    t0 = time.perf_counter()
    tt = gtfs_to_pyraptor_timetable(read_gtfs_timetable(gtfs_dir, day, ["NAVIO"]), False)
    seconds = time.perf_counter() - t0
    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    write_timetable(tmp, tt)
    with open(os.path.join(tmp, "build.json"), "w") as f:
        json.dump({"build_seconds": seconds, "stations": len(tt.stations),
                   "stops": len(tt.stops), "trips": len(tt.trips)}, f)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(tmp, out_dir)

def query(tt_dir, queries_file, results_file):
    from pyraptor.dao.timetable import read_timetable
    from pyraptor.model.raptor import RaptorAlgorithm
    from pyraptor.model.mcraptor import McRaptorAlgorithm
    t0 = time.perf_counter()
    tt = read_timetable(tt_dir)
    load = time.perf_counter() - t0
    with open(queries_file) as f:
        queries = json.load(f)
    with open(results_file, "w") as out:
        out.write(json.dumps({"load_seconds": load}) + "\n")
        out.flush()
        for q in queries:
            origin = tt.stations.get(q["origin"])
            dest = tt.stations.get(q["destination"])
            if origin is None or dest is None:
                out.write(json.dumps({**q, "arrival": None, "ms": None, "missing": True}) + "\n")
                continue
            rounds = q["rounds"]
            t0 = time.perf_counter()
            if q["algo"] == "raptor":
                bags = RaptorAlgorithm(tt).run(origin.stops, q["dep"], rounds)
                best = min(bags[k][s].earliest_arrival_time
                           for k in bags for s in dest.stops)
            else:
                bags, _ = McRaptorAlgorithm(tt).run(origin.stops, q["dep"], rounds)
                best = min([lab.earliest_arrival_time for k in bags for s in dest.stops
                            for lab in bags[k][s].labels] or [2147483647])
            ms = (time.perf_counter() - t0) * 1000.0
            arrival = None if best >= 2147483647 else int(best)
            out.write(json.dumps({**q, "arrival": arrival, "ms": ms}) + "\n")
            out.flush()

if __name__ == "__main__":
    {"build": build, "query": query}[sys.argv[1]](*sys.argv[2:])
"""


def ensure_pyraptor_venv() -> Path:
    python = PY_VENV / "bin" / "python"
    if not python.exists():
        log(f"creating {PY_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(PY_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "pyraptor==1.3.10", "numpy<2", "attrs"],
            check=True,
        )
    (PY_DIR / "runner.py").parent.mkdir(parents=True, exist_ok=True)
    (PY_DIR / "runner.py").write_text(RUNNER, encoding="utf-8")
    return python


def ensure_pyraptor_timetable(tt: Timetable, station: list[int], feed: Feed) -> dict[str, Any]:
    """Convert the feed and build pyraptor's timetable unless cached; return build info."""
    python = ensure_pyraptor_venv()
    base = PY_DIR / f"{feed.key}-{feed.day:%Y%m%d}"
    digest = write_pyraptor_gtfs(tt, station, feed, base / "gtfs")
    tt_dir = base / f"timetable-{digest}"
    info_file = tt_dir / "build.json"
    if not info_file.exists():
        log(f"{feed.key}: building pyraptor timetable (minutes; cached in {tt_dir})")
        subprocess.run(
            [
                str(python),
                str(PY_DIR / "runner.py"),
                "build",
                str(base / "gtfs"),
                str(tt_dir),
                f"{feed.day:%Y%m%d}",
            ],
            check=True,
        )
    info: dict[str, Any] = json.loads(info_file.read_text())
    info["timetable_dir"] = str(tt_dir)
    return info


def run_pyraptor_queries(
    feed: Feed, tt_dir: str, queries: list[dict[str, Any]], budget_s: float
) -> tuple[float | None, list[dict[str, Any]]]:
    python = PY_VENV / "bin" / "python"
    base = PY_DIR / f"{feed.key}-{feed.day:%Y%m%d}"
    qfile, rfile = base / "queries.json", base / "results.jsonl"
    qfile.write_text(json.dumps(queries), encoding="utf-8")
    cmd = [str(python), str(PY_DIR / "runner.py"), "query", tt_dir, str(qfile), str(rfile)]
    try:
        subprocess.run(cmd, check=True, timeout=budget_s)
    except subprocess.TimeoutExpired:
        log(f"{feed.key}: pyraptor budget of {budget_s:.0f} s used up; keeping partial results")
    lines = [json.loads(x) for x in rfile.read_text().splitlines() if x.strip()]
    load = lines[0].get("load_seconds") if lines else None
    return load, lines[1:]


# ---------------------------------------------------------------------------
# The benchmark


def bench_feed(feed: Feed, args: argparse.Namespace) -> dict[str, Any]:
    log(f"{feed.key}: loading {feed.path.name} for {feed.day}")
    tt, load_ms = timed(lambda: load_timetable(feed.path, feed.day))
    # Warm the per-timetable plain-Python view (part of a cold first query otherwise).
    _, prep_ms = timed(lambda: earliest_arrival(tt, {0: feed.departure}, {0}, 1))
    tracemalloc.start()
    tt_mem = load_timetable(feed.path, feed.day)
    earliest_arrival(tt_mem, {0: feed.departure}, {0}, 1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del tt_mem
    dep = feed.departure
    rng = random.Random(args.seed)
    served = [
        s for s in range(tt.n_stops) if tt.stop_pattern_offsets[s + 1] > tt.stop_pattern_offsets[s]
    ]
    pairs: list[tuple[int, int]] = []
    tries = 0
    while len(pairs) < args.pairs and tries < args.pairs * 50:
        tries += 1
        s, t = rng.sample(served, 2)
        if earliest_arrival(tt, {s: dep}, {t}, ROUNDS).arrival(t) is not None:
            pairs.append((s, t))
    log(f"{feed.key}: {len(pairs)} reachable pairs ({tries} drawn); timing RAPTOR")
    raptor_ms = [timed(earliest_arrival, tt, {s: dep}, {t}, ROUNDS)[1] for s, t in pairs]
    all_ms = [timed(earliest_arrival, tt, {s: dep}, None, ROUNDS)[1] for s, _ in pairs]
    log(f"{feed.key}: range RAPTOR")
    range_ms = [timed(range_raptor, tt, s, t, dep, dep + 3600, ROUNDS)[1] for s, t in pairs]
    log(f"{feed.key}: McRAPTOR")
    mc_ms = [timed(mc_raptor, tt, {s: dep}, t, ROUNDS)[1] for s, t in pairs]
    row: dict[str, Any] = {
        "feed": feed.key,
        "gtfs": feed.path.name,
        "date": feed.day.isoformat(),
        "departure": hms(dep),
        "pairs": len(pairs),
        "rounds": ROUNDS,
        "stops": tt.n_stops,
        "patterns": tt.n_patterns,
        "trips": tt.n_trips,
        "load_seconds": round(load_ms / 1000, 3),
        "prepare_seconds": round(prep_ms / 1000, 3),
        "peak_memory_mb": round(peak / 2**20, 1),
        "raptor_p50_ms": pct(raptor_ms, 50),
        "raptor_p95_ms": pct(raptor_ms, 95),
        "raptor_one_to_all_p50_ms": pct(all_ms, 50),
        "raptor_one_to_all_p95_ms": pct(all_ms, 95),
        "range_raptor_p50_ms": pct(range_ms, 50),
        "range_raptor_p95_ms": pct(range_ms, 95),
        "mcraptor_p50_ms": pct(mc_ms, 50),
        "mcraptor_p95_ms": pct(mc_ms, 95),
    }
    log(f"{feed.key}: navio {json.dumps(row)}")
    if not args.skip_pyraptor:
        row.update(compare_pyraptor(tt, feed, pairs, args))
    return row


def compare_pyraptor(
    tt: Timetable, feed: Feed, pairs: list[tuple[int, int]], args: argparse.Namespace
) -> dict[str, Any]:
    dep = feed.departure
    station = stations_of(tt, feed)
    members: dict[int, list[int]] = defaultdict(list)
    for s, c in enumerate(station):
        members[c].append(s)
    st_pairs = [(station[s], station[t]) for s, t in pairs if station[s] != station[t]]
    info = ensure_pyraptor_timetable(tt, station, feed)
    stt = station_model(tt, station)

    def navio_station(o: int, d: int) -> int | None:
        res = earliest_arrival(stt, dict.fromkeys(members[o], dep), set(members[d]), ROUNDS)
        best = res.best
        arr = min(int(best[s]) for s in members[d])
        return None if arr >= 2**31 - 1 else arr

    navio_answers = {(o, d): navio_station(o, d) for o, d in st_pairs}
    station_ms = [timed(navio_station, o, d)[1] for o, d in st_pairs]
    queries = [
        {
            "algo": "raptor",
            "origin": f"ST{o}",
            "destination": f"ST{d}",
            "dep": dep,
            "rounds": ROUNDS,
        }
        for o, d in st_pairs[: args.pyraptor_pairs]
    ] + [
        {
            "algo": "mcraptor",
            "origin": f"ST{o}",
            "destination": f"ST{d}",
            "dep": dep,
            "rounds": ROUNDS,
        }
        for o, d in st_pairs[: args.pyraptor_mc_pairs]
    ]
    log(f"{feed.key}: pyraptor: {len(queries)} queries (budget {args.pyraptor_budget} s)")
    py_load, results = run_pyraptor_queries(
        feed, info["timetable_dir"], queries, args.pyraptor_budget
    )
    diffs: list[dict[str, Any]] = []
    py_ms: dict[str, list[float]] = {"raptor": [], "mcraptor": []}
    compared = 0
    for r in results:
        if r.get("ms") is None:
            continue
        py_ms[r["algo"]].append(r["ms"])
        key = (int(r["origin"][2:]), int(r["destination"][2:]))
        ours = navio_answers[key]
        compared += 1
        if ours != r["arrival"]:
            diffs.append(
                {
                    "algo": r["algo"],
                    "origin": r["origin"],
                    "destination": r["destination"],
                    "origin_stops": [tt.stop_ids[s] for s in members[key[0]]],
                    "destination_stops": [tt.stop_ids[s] for s in members[key[1]]],
                    "navio": hms(ours) if ours is not None else None,
                    "pyraptor": hms(r["arrival"]) if r["arrival"] is not None else None,
                }
            )
    p50 = pct(py_ms["raptor"], 50)
    ours50 = pct(station_ms, 50)
    return {
        "stations": len(members),
        "navio_station_model_raptor_p50_ms": ours50,
        "navio_station_model_raptor_p95_ms": pct(station_ms, 95),
        "pyraptor_build_seconds": round(info["build_seconds"], 1),
        "pyraptor_load_seconds": round(py_load, 2) if py_load is not None else None,
        "pyraptor_queries": {k: len(v) for k, v in py_ms.items()},
        "pyraptor_p50_ms": p50,
        "pyraptor_p95_ms": pct(py_ms["raptor"], 95),
        "pyraptor_mcraptor_p50_ms": pct(py_ms["mcraptor"], 50),
        "pyraptor_mcraptor_p95_ms": pct(py_ms["mcraptor"], 95),
        "speedup_raptor_p50": round(p50 / ours50, 1) if p50 and ours50 else None,
        "compared_answers": compared,
        "same_answers": compared > 0 and not diffs,
        "answer_differences": len(diffs),
        "difference_examples": diffs[:5],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", default="nyc,poa")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip-pyraptor", action="store_true")
    ap.add_argument("--pyraptor-pairs", type=int, default=20, help="RAPTOR queries for pyraptor")
    ap.add_argument("--pyraptor-mc-pairs", type=int, default=10, help="McRAPTOR queries")
    ap.add_argument("--pyraptor-budget", type=float, default=900.0, help="seconds per feed")
    ap.add_argument(
        "--pyraptor-build-only",
        action="store_true",
        help="only convert the feeds and build/cache pyraptor's timetables",
    )
    ap.add_argument("--out", type=Path, default=OUT_DIR / "transit.json")
    args = ap.parse_args(argv)
    feeds = [FEEDS[k.strip()] for k in args.feeds.split(",") if k.strip()]
    if args.pyraptor_build_only:
        for feed in feeds:
            tt = load_timetable(feed.path, feed.day)
            print(json.dumps(ensure_pyraptor_timetable(tt, stations_of(tt, feed), feed)))
        return 0
    rows: list[dict[str, Any]] = []
    previous: dict[str, Any] = {}
    if args.out.exists():
        try:
            previous = {r["feed"]: r for r in json.loads(args.out.read_text())}
        except (ValueError, KeyError, TypeError):
            previous = {}
    for feed in feeds:
        rows.append(bench_feed(feed, args))
        previous[feed.key] = rows[-1]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(list(previous.values()), indent=2) + "\n")
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
