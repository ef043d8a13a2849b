"""Travel-time matrices for the planner (`navio.transit.matrix.RouterTravelTimes`) on real
data, on SQLite and PostgreSQL: the straight-line transit model without a feed, transit over
the imported Porto Alegre bus feed checked pair by pair against our own RAPTOR runs, the walk
and drive models, and `navio.transit.router_travel_times` from the package root.

The Porto Alegre feed runs 2019-04-15..2019-07-15 with trips between about 11:00 and 17:00, so
transit is checked at 13:00 on Wednesday 2019-05-15."""

from __future__ import annotations

import csv
import functools
import io
import math
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from navio.kernel.clock import Clock
from navio.kernel.db import Database, create_engine
from navio.kernel.geo import haversine_m
from navio.kernel.uow import UnitOfWork
from navio.transit import matrix as matrix_module
from navio.transit import road, router_travel_times
from navio.transit.gtfs import Timetable, load_timetable
from navio.transit.matrix import RouterTravelTimes
from navio.transit.raptor import UNREACHED, earliest_arrival
from navio.transit.repository import TransitRepository
from navio.transit.service import TransitService
from tests.conftest import empty_database

POA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gtfs" / "poa_eptc.zip"
DAY = date(2019, 5, 15)
OUT_OF_SERVICE = date(2024, 1, 10)
DEPART = 13 * 3600
CENTRE = (-30.0277, -51.2287)  # Mercado Publico, central Porto Alegre
ACCESS_M = 800.0  # walking to and from stops, as documented
EARTH_M = 6_371_008.8
Point = tuple[float, float]

HELSINKI: list[Point] = [
    (60.1710, 24.9414),  # Rautatientori
    (60.1728, 24.9414),  # 200 m north of it: walked
    (60.1685, 24.9316),  # Kamppi
    (60.1675, 24.9525),  # Kauppatori
    (60.1986, 24.9335),  # Pasila
    (60.2100, 25.0810),  # Itakeskus
    (60.1757, 24.8050),  # Tapiola
]


# ---------------------------------------------------------------- data and helpers


@functools.cache
def _poa_stops() -> tuple[tuple[str, float, float], ...]:
    with zipfile.ZipFile(POA) as zf, zf.open("stops.txt") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig"))
        return tuple((r["stop_id"], float(r["stop_lat"]), float(r["stop_lon"])) for r in reader)


def _offset(point: Point, north_m: float, east_m: float) -> Point:
    lat, lon = point
    dlat = math.degrees(north_m / EARTH_M)
    dlon = math.degrees(east_m / (EARTH_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def _central_points() -> list[Point]:
    """15 points within 6 km of the centre: real stops, every other one moved 200-270 m."""
    stops = sorted(
        (haversine_m(*CENTRE, lat, lon), (lat, lon))
        for _, lat, lon in _poa_stops()
        if haversine_m(*CENTRE, lat, lon) <= 6000
    )
    picked = [point for _, point in stops[:: len(stops) // 15][:15]]
    moves = [(0.0, 0.0), (200.0, 150.0), (0.0, 0.0), (-100.0, -250.0)]
    points = [_offset(p, *moves[k % len(moves)]) for k, p in enumerate(picked)]
    for stop, point in zip(picked, points, strict=True):
        assert haversine_m(*stop, *point) <= 300
    return points


def _straight(points: Sequence[Point]) -> np.ndarray:
    return np.array([[haversine_m(*a, *b) for b in points] for a in points])


def _service(uow: UnitOfWork, cache_dir: Path) -> TransitService:
    return TransitService(TransitRepository(uow.session_source), Clock(), cache_dir)


async def _prepare(
    db: Database, cache_dir: Path, near: Point, day: date, depart: int = DEPART
) -> RouterTravelTimes:
    async with UnitOfWork(db, write=False) as uow:
        return await RouterTravelTimes.prepare(_service(uow, cache_dir), near, day, depart)


async def _import_poa(db: Database, cache_dir: Path) -> None:
    async with UnitOfWork(db, write=True) as uow:
        await _service(uow, cache_dir).import_feed("poa", POA, lenient=False)


@functools.cache
def _poa_timetable() -> Timetable:
    return load_timetable(POA, DAY)


def _access(tt: Timetable, point: Point) -> dict[int, int]:
    """Stop index -> walking seconds, for every stop within 800 m of `point`."""
    lats, lons = tt.stop_lat.tolist(), tt.stop_lon.tolist()
    out: dict[int, int] = {}
    for s in range(tt.n_stops):
        metres = haversine_m(point[0], point[1], lats[s], lons[s])
        if metres <= ACCESS_M:  # the walk rows' model: straight x 1.3 at 1.3 m/s
            out[s] = math.ceil(metres * road.WALK_DETOUR / road.WALK_SPEED_MPS)
    return out


def _raptor_then_walk(
    tt: Timetable, points: Sequence[Point], depart: int, max_rounds: int | None
) -> np.ndarray:
    """Our own transit matrix: per origin one RAPTOR run from the stops within 800 m
    (departing `depart` + the walk), the best stop within 800 m of the destination reached
    with at least one vehicle plus the walk from it, or walking all the way when sooner."""
    n = len(points)
    walking = _straight(points) * road.WALK_DETOUR / road.WALK_SPEED_MPS
    access = [_access(tt, p) for p in points]
    out = walking.copy()
    for i in range(n):
        sources = {s: depart + walk for s, walk in access[i].items()}
        if not sources:
            continue
        rounds = earliest_arrival(tt, sources, None, max_rounds=max_rounds).rounds
        if rounds.shape[0] < 2:
            continue
        best = rounds[1:].min(axis=0)
        for j in range(n):
            arrivals = [int(best[s]) + w for s, w in access[j].items() if best[s] < UNREACHED]
            if arrivals:
                out[i, j] = min(out[i, j], min(arrivals) - depart)
    np.fill_diagonal(out, 0.0)
    return out


def _check_straight_line_model(rt: RouterTravelTimes, points: Sequence[Point]) -> None:
    """The documented fallback: 1.4 x the straight line at 5.5 m/s plus 6 minutes to reach the
    stop and wait, or walking when that is sooner."""
    seconds, metres = rt.matrix(points, "transit")
    walk_s, _ = rt.matrix(points, "walk")
    straight = _straight(points)
    by_model = straight * 1.4 / 5.5 + 360.0
    assert (matrix_module.TRANSIT_DETOUR, matrix_module.TRANSIT_SPEED_MPS) == (1.4, 5.5)
    assert matrix_module.TRANSIT_OVERHEAD_S == 360.0
    walking = straight * road.WALK_DETOUR / road.WALK_SPEED_MPS
    walked = walking <= by_model
    expected = np.where(walked, walking, by_model)
    np.fill_diagonal(expected, 0.0)

    assert seconds.shape == metres.shape == (len(points), len(points))
    assert np.all(np.diag(seconds) == 0) and np.all(np.diag(metres) == 0)
    np.testing.assert_allclose(seconds, seconds.T, rtol=0, atol=1e-9)
    np.testing.assert_allclose(seconds, expected, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(
        metres, np.where(walked, straight * road.WALK_DETOUR, straight * 1.4), rtol=1e-12
    )
    assert np.all(seconds <= walk_s + 1e-9) and np.all(seconds <= by_model + 1e-9)
    off = ~np.eye(len(points), dtype=bool)
    assert np.any(walked & off), "some short pair is walked"
    assert np.any(~walked & off), "some long pair rides at the model's speed"


# ---------------------------------------------------------------- fixtures


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(create_engine(database_url))
    try:
        yield database
    finally:
        await empty_database(database)
        await database.engine.dispose()


@pytest.fixture
async def poa(db: Database, tmp_path: Path) -> Database:
    await _import_poa(db, tmp_path / "cache")
    return db


# ---------------------------------------------------------------- tests


async def test_without_a_serving_feed_transit_is_the_straight_line_model(
    db: Database, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    nothing = await _prepare(db, cache, CENTRE, DAY)
    assert nothing.timetable is None and nothing.feed is None
    assert nothing.depart_seconds == DEPART
    _check_straight_line_model(nothing, HELSINKI)
    _check_straight_line_model(nothing, _central_points())

    await _import_poa(db, cache)
    far = await _prepare(db, cache, HELSINKI[0], DAY)
    assert far.timetable is None and far.feed is None
    _check_straight_line_model(far, HELSINKI)
    off_dates = await _prepare(db, cache, CENTRE, OUT_OF_SERVICE)
    assert off_dates.timetable is None and off_dates.feed is None
    _check_straight_line_model(off_dates, _central_points())
    served = await _prepare(db, cache, CENTRE, DAY)
    assert served.timetable is not None and served.feed == "poa"


async def test_transit_matrix_is_raptor_from_each_point_or_walking(
    poa: Database, tmp_path: Path
) -> None:
    rt = await _prepare(poa, tmp_path / "cache", CENTRE, DAY)
    tt = rt.timetable
    assert tt is not None and rt.feed == "poa"
    points = _central_points()
    n = len(points)
    seconds, metres = rt.matrix(points, "transit")
    walk_s, walk_m = rt.matrix(points, "walk")
    straight = _straight(points)

    assert seconds.shape == (n, n) and np.all(np.diag(seconds) == 0)
    assert np.all(seconds <= walk_s), "transit takes the min with walking"
    rode = seconds < walk_s
    np.testing.assert_allclose(metres[~rode], walk_m[~rode], rtol=1e-12)
    np.testing.assert_allclose(metres[rode], straight[rode] * 1.4, rtol=1e-12)
    far = straight > 3000
    assert far.sum() >= 20
    # clearly faster than walking
    assert (far & (seconds < 0.75 * walk_s)).sum() >= 10, "buses beat walking on long pairs"

    # every pair against our own RAPTOR runs; the matrix rides at most 4 vehicles
    expected = _raptor_then_walk(tt, points, DEPART, max_rounds=4)
    np.testing.assert_allclose(seconds, expected, rtol=0, atol=1e-6)
    # more vehicles can only help: the matrix is never sooner than unbounded RAPTOR
    unbounded = _raptor_then_walk(tt, points, DEPART, max_rounds=None)
    assert np.all(unbounded <= seconds + 1e-6)


def test_walk_and_drive_matrices() -> None:
    # along the meridian south of a real stop: distance from it grows with the index
    _, lat, lon = min(_poa_stops(), key=lambda s: haversine_m(*CENTRE, s[1], s[2]))
    metres = [0, 10, 50, 100, 150, 190, 192, 193, 250, 300, 370, 500, 1000, 3000, 7692, 10_000]
    metres += [38_462, 60_000, 250_000, 500_000, 1_000_000, 1_500_000]
    points = [(lat - math.degrees(m / EARTH_M), lon) for m in metres]
    rt = RouterTravelTimes(None, DEPART, None)
    straight = _straight(points)
    off = ~np.eye(len(points), dtype=bool)
    walk_s, walk_m = rt.matrix(points, "walk")
    drive_s, drive_m = rt.matrix(points, "drive")

    np.testing.assert_allclose(straight[0], metres, atol=1e-3)
    for seconds, length in ((walk_s, walk_m), (drive_s, drive_m)):
        assert np.all(np.diag(seconds) == 0) and np.all(np.diag(length) == 0)
        assert np.all(seconds[off] > 0)
        np.testing.assert_allclose(seconds, seconds.T, rtol=1e-12)
        # a farther point is never sooner, from the first point and over all pairs
        assert np.all(np.diff(seconds[0]) >= 0) and np.all(np.diff(length[0]) >= 0)
        order = np.argsort(straight, axis=None, kind="stable")
        assert np.all(np.diff(seconds.ravel()[order]) >= -1e-6)

    np.testing.assert_allclose(walk_m, straight * road.WALK_DETOUR, rtol=1e-12)
    np.testing.assert_allclose(walk_s, walk_m / road.WALK_SPEED_MPS, rtol=1e-12)
    for i, j in zip(*np.nonzero(off), strict=True):
        car = road.drive(float(straight[i, j]))
        if car is None:
            assert drive_s[i, j] == math.inf  # beyond driving range
        elif car.seconds < walk_s[i, j] or walk_m[i, j] > road.WALK_MAX_M:
            assert (drive_s[i, j], drive_m[i, j]) == (car.seconds, car.metres)
        else:  # parking takes longer than walking there
            assert (drive_s[i, j], drive_m[i, j]) == (walk_s[i, j], walk_m[i, j])
    assert drive_s[0, metres.index(300)] == walk_s[0, metres.index(300)]
    assert drive_s[0, metres.index(3000)] < walk_s[0, metres.index(3000)]


async def test_router_travel_times_from_the_package_root_is_prepare(
    poa: Database, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    points = _central_points()[::2]
    for near in (CENTRE, HELSINKI[0]):
        async with UnitOfWork(poa, write=False) as uow:
            root = await router_travel_times(uow.session_source, cache, near, DAY)
        async with UnitOfWork(poa, write=False) as uow:  # prepare's own default departure
            direct = await RouterTravelTimes.prepare(_service(uow, cache), near, DAY)
        assert (root.feed, root.depart_seconds) == (direct.feed, direct.depart_seconds)
        assert (root.timetable is None) == (direct.timetable is None)
        for mode in ("walk", "drive", "transit"):
            for a, b in zip(root.matrix(points, mode), direct.matrix(points, mode), strict=True):
                assert np.array_equal(a, b), (near, mode)
    # the same compiled timetable: equal answers when the buses run too
    async with UnitOfWork(poa, write=False) as uow:
        root = await router_travel_times(uow.session_source, cache, CENTRE, DAY)
    direct = await _prepare(poa, cache, CENTRE, DAY)
    at_one = RouterTravelTimes(root.timetable, DEPART, root.feed)
    assert np.array_equal(at_one.matrix(points, "transit")[0], direct.matrix(points, "transit")[0])


# ---------------------------------------------------------------- edges


def test_a_pair_no_vehicle_joins_is_walked() -> None:
    tt = _poa_timetable()
    rt = RouterTravelTimes(tt, DEPART, "poa")
    _, lat, lon = min(_poa_stops(), key=lambda s: haversine_m(*CENTRE, s[1], s[2]))
    points = [(lat, lon), _offset((lat, lon), 300.0, 0.0)]
    # no vehicle helps here: the best arrival with up to 4 vehicles is the one with none
    assert np.array_equal(
        _raptor_then_walk(tt, points, DEPART, max_rounds=0),
        _raptor_then_walk(tt, points, DEPART, max_rounds=4),
    )
    seconds, metres = rt.matrix(points, "transit")
    walk_s, walk_m = rt.matrix(points, "walk")
    assert np.array_equal(seconds, walk_s) and np.array_equal(metres, walk_m)


async def test_prepare_takes_the_feed_within_4_km(poa: Database, tmp_path: Path) -> None:
    in_the_lake = (-30.03, -51.26)  # the Guaiba, about 1.9 km from the nearest stop
    nearest = min(haversine_m(*in_the_lake, lat, lon) for _, lat, lon in _poa_stops())
    assert 1500 < nearest < 2500
    rt = await _prepare(poa, tmp_path / "cache", in_the_lake, DAY)
    assert rt.feed == "poa"  # (not the timetable: its repr alone takes a second)
    far = (-30.03, -51.35)  # some 10 km west of the network
    assert (await _prepare(poa, tmp_path / "cache", far, DAY)).feed is None


def test_drive_beyond_range_is_unreachable() -> None:
    rt = RouterTravelTimes(None, DEPART, None)
    seconds, _ = rt.matrix([HELSINKI[0], CENTRE], "drive")
    assert seconds.shape == (2, 2) and np.all(np.diag(seconds) == 0)
    assert seconds[0, 1] == seconds[1, 0] == math.inf
