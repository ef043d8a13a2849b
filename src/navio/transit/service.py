"""Transit use cases: import a GTFS feed, nearby stops with their next departures, and the
earliest-arrival journey between two places (walk, transit, walk) by RAPTOR.

A feed is stored as given (the zip, in the database: every process can compile it) and compiled
per service day on first use; the compiled timetable is kept in memory (a few days) and on disk
(`cache_dir`, keyed by the zip's SHA-256 and the day), so a restart does not recompile.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import gzip
import hashlib
import pickle
import tempfile
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from navio.kernel.clock import Clock
from navio.kernel.geo import haversine_m
from navio.transit.errors import InvalidTransitQuery, NoService
from navio.transit.flights import FlightNetwork, ParseReport, parse_routes
from navio.transit.gtfs import GtfsError, Timetable, load_timetable
from navio.transit.importer import FeedSummary, report_dict, summarise
from navio.transit.models import Feed, FlightNetworkData, Stop
from navio.transit.raptor import EarliestArrival, TransitLeg, WalkLeg, earliest_arrival
from navio.transit.repository import TransitRepository
from navio.transit.schemas import (
    Departure,
    JourneyRead,
    LegRead,
    LocalTransitRead,
    NearbyStop,
)

WALK_SPEED = 1.3  # m/s
WALK_DETOUR = 1.2  # street distance over straight line
ACCESS_RADIUS_M = 800.0
MEMORY_DAYS = 6
CACHE_VERSION = 1

_MEMORY: OrderedDict[tuple[str, date], Timetable] = OrderedDict()
_LOCKS: dict[tuple[str, date], asyncio.Lock] = {}


def walk_seconds(metres: float) -> int:
    return round(metres * WALK_DETOUR / WALK_SPEED)


@dataclass(frozen=True)
class ImportResult:
    feed_id: uuid.UUID
    name: str
    summary: FeedSummary
    replaced: bool


_NETWORKS: dict[str, FlightNetwork] = {}
IMPORT_STAGES = 3


@dataclass(frozen=True)
class FlightImport:
    name: str
    routes: int
    airports: int
    report: dict[str, object]
    replaced: bool


def _build_network(raw: bytes) -> tuple[FlightNetwork, ParseReport]:
    routes, parse_report = parse_routes(raw.decode("utf-8", errors="replace").splitlines())
    return FlightNetwork.build(routes), parse_report


class TransitService:
    def __init__(self, repo: TransitRepository, clock: Clock, cache_dir: Path) -> None:
        self.repo = repo
        self.clock = clock
        self.cache_dir = cache_dir

    # ---------------------------------------------------------------- import
    async def import_feed(
        self,
        name: str,
        path: Path,
        *,
        lenient: bool,
        progress: Callable[[str], None] | None = None,
    ) -> ImportResult:
        """Store a feed (replacing one of the same name). Raises GtfsError for a feed that does
        not compile, unless `lenient` (the report is kept with the feed either way).
        `progress` is told each stage as it starts (IMPORT_STAGES of them)."""
        step = progress or (lambda _stage: None)
        step("reading and compiling a service day")
        summary = await asyncio.to_thread(summarise, path)
        step("storing the feed")
        if not summary.report.ok and not lenient:
            raise GtfsError(summary.report)
        content = await asyncio.to_thread(path.read_bytes)
        feed = await self.repo.feed_named(name)
        replaced = feed is not None
        if feed is None:
            feed = Feed(id=uuid.uuid4(), name=name)
            self.repo.session.add(feed)
        feed.sha256 = summary.sha256
        feed.timezone = summary.timezone
        feed.starts_on, feed.ends_on = summary.starts_on, summary.ends_on
        feed.stops = len(summary.stops)
        feed.report = {**report_dict(summary.report), "fare": summary.fare}
        feed.content = content
        await self.repo.session.flush()
        step(f"storing {len(summary.stops)} stops")
        await self.repo.replace_stops(
            feed.id,
            [
                Stop(feed_id=feed.id, stop_id=stop_id, name=stop_name, lat=lat, lon=lon)
                for stop_id, stop_name, lat, lon in summary.stops
            ],
        )
        return ImportResult(feed.id, name, summary, replaced)

    async def import_flights(self, name: str, path: Path) -> FlightImport:
        """Store an airline route network (OpenFlights routes.dat), replacing one of the same
        name. Raises InvalidTransitQuery when nothing usable is in the file."""
        raw = await asyncio.to_thread(path.read_bytes)
        network, parsed = await asyncio.to_thread(_build_network, raw)
        report = network.report
        if network.n_edges == 0:
            raise InvalidTransitQuery(
                f"{path.name} holds no non-stop route between known airports", field="path"
            )
        row = await self.repo.flight_network_named(name)
        replaced = row is not None
        if row is None:
            row = FlightNetworkData(id=uuid.uuid4(), name=name)
            self.repo.session.add(row)
        row.sha256 = hashlib.sha256(raw).hexdigest()
        row.routes = network.n_edges
        row.airports = network.n_airports
        row.report = {
            "parse": dataclasses.asdict(parsed),
            "routes_in": report.routes_in,
            "routes_kept": report.routes_kept,
            "routes_dropped": report.routes_dropped,
            "unknown_airports": dict(
                sorted(report.unknown_airports.items(), key=lambda kv: -kv[1])[:50]
            ),
        }
        row.content = gzip.compress(raw)
        row.updated_at = self.clock.now()
        await self.repo.session.flush()
        return FlightImport(name, network.n_edges, network.n_airports, row.report, replaced)

    async def flight_network(self) -> FlightNetwork | None:
        """The most recently imported route network, built once per process and import."""
        latest = await self.repo.flight_network_latest()
        if latest is None:
            return None
        network_id, sha = latest
        if sha not in _NETWORKS:
            content = await self.repo.flight_network_content(network_id)
            if content is None:
                return None
            built, _ = await asyncio.to_thread(_build_network, gzip.decompress(content))
            _NETWORKS.clear()
            _NETWORKS[sha] = built
        return _NETWORKS[sha]

    # ---------------------------------------------------------------- timetables
    def _disk_path(self, feed: Feed, day: date) -> Path:
        return self.cache_dir / f"{feed.sha256[:32]}-{day.isoformat()}-v{CACHE_VERSION}.pickle"

    def _compile(self, feed: Feed, day: date, content: bytes | None) -> Timetable:
        path = self._disk_path(feed, day)
        if content is None:
            # our own cache file, written below from a feed this deployment imported
            with path.open("rb") as f:
                cached: Timetable = pickle.load(f)  # noqa: S301
            return cached
        with tempfile.NamedTemporaryFile(suffix=".zip") as zipped:
            zipped.write(content)
            zipped.flush()
            timetable = load_timetable(zipped.name, day)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        with partial.open("wb") as f:
            # the read-only stop index is a mapping proxy, which pickle refuses: a plain dict
            plain = replace(timetable, stop_index=dict(timetable.stop_index))
            pickle.dump(plain, f, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)  # atomic: readers never see half a file
        return timetable

    async def timetable(self, feed: Feed, day: date) -> Timetable:
        if feed.starts_on and feed.ends_on and not feed.starts_on <= day <= feed.ends_on:
            raise NoService(
                f"the feed {feed.name!r} runs from {feed.starts_on} to {feed.ends_on}",
                field="date",
            )
        key = (feed.sha256, day)
        if key in _MEMORY:
            _MEMORY.move_to_end(key)
            return _MEMORY[key]
        lock = _LOCKS.setdefault(key, asyncio.Lock())
        async with lock:  # one compilation per day and process, however many ask
            if key not in _MEMORY:
                content = (
                    None
                    if self._disk_path(feed, day).exists()
                    else await self.repo.feed_content(feed.id)
                )
                _MEMORY[key] = await asyncio.to_thread(self._compile, feed, day, content)
                while len(_MEMORY) > MEMORY_DAYS:
                    _MEMORY.popitem(last=False)
        return _MEMORY[key]

    # ---------------------------------------------------------------- queries
    async def nearby_stops(
        self, lat: float, lon: float, radius_m: float, limit: int
    ) -> list[tuple[Stop, float]]:
        found = [
            (stop, haversine_m(lat, lon, stop.lat, stop.lon))
            for stop in await self.repo.stops_near(lat, lon, radius_m, limit)
        ]
        near = sorted((pair for pair in found if pair[1] <= radius_m), key=lambda p: p[1])
        return near[:limit]

    @staticmethod
    def local_time(feed: Feed, at: datetime) -> tuple[date, int, ZoneInfo]:
        zone = ZoneInfo(feed.timezone)
        local = at.astimezone(zone)
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        return local.date(), seconds, zone

    @staticmethod
    def clock_time(day: date, seconds: int, zone: ZoneInfo) -> datetime:
        return datetime.combine(day, datetime.min.time(), zone) + timedelta(seconds=seconds)

    async def local_transit(
        self, lat: float, lon: float, radius_m: float, at: datetime | None, limit: int
    ) -> LocalTransitRead:
        at = at or self.clock.now()
        near = await self.nearby_stops(lat, lon, radius_m, limit)
        stops = []
        for stop, distance in near:
            feed = await self.repo.feed(stop.feed_id)
            if feed is None:
                continue
            day, now_s, zone = self.local_time(feed, at)
            try:
                tt = await self.timetable(feed, day)
            except NoService:
                departures: list[Departure] = []
            else:
                departures = self._departures(tt, stop.stop_id, now_s, day, zone)
            stops.append(
                NearbyStop(
                    feed=feed.name,
                    stop_id=stop.stop_id,
                    name=stop.name,
                    lat=stop.lat,
                    lon=stop.lon,
                    distance_m=round(distance, 1),
                    walk_minutes=round(walk_seconds(distance) / 60, 1),
                    departures=departures,
                )
            )
        return LocalTransitRead(at=at, stops=stops)

    def _departures(
        self, tt: Timetable, stop_id: str, after: int, day: date, zone: ZoneInfo, count: int = 5
    ) -> list[Departure]:
        index = tt.stop_index.get(stop_id)
        if index is None:
            return []
        found: list[tuple[int, str, str]] = []
        lo, hi = int(tt.stop_pattern_offsets[index]), int(tt.stop_pattern_offsets[index + 1])
        for k in range(lo, hi):
            pattern = int(tt.stop_patterns[k])
            position = int(tt.stop_pattern_positions[k])
            stops = tt.stops_of(pattern)
            if position == len(stops) - 1:
                continue  # trips end here: nothing departs
            column = tt.pattern_departures[pattern][:, position].tolist()
            first = bisect.bisect_left(column, after)
            route = tt.route_short_names[int(tt.pattern_route[pattern])]
            towards = tt.stop_names[int(stops[-1])]
            found += [(t, route, towards) for t in column[first : first + count]]
        found.sort()
        return [
            Departure(
                route=route,
                towards=towards,
                departs_at=self.clock_time(day, seconds, zone),
                in_minutes=round((seconds - after) / 60, 1),
            )
            for seconds, route, towards in found[:count]
        ]

    @staticmethod
    def best_ride(
        tt: Timetable,
        feed_id: uuid.UUID,
        starts: Sequence[tuple[Stop, float]],
        ends: Sequence[tuple[Stop, float]],
        t0: int,
        max_rounds: int = 5,
    ) -> tuple[dict[int, int], dict[int, int], EarliestArrival, tuple[int, int] | None]:
        """Walk to any stop of `starts` (leaving at `t0`), ride (RAPTOR), walk on from any stop
        of `ends`: (departure per source stop, walk per egress stop, the RAPTOR result,
        (arrival, egress stop) of the earliest arrival or None)."""
        sources: dict[int, int] = {}
        for stop, distance in starts:
            if stop.feed_id == feed_id and stop.stop_id in tt.stop_index:
                index = tt.stop_index[stop.stop_id]
                sources[index] = min(sources.get(index, 1 << 30), t0 + walk_seconds(distance))
        egress = {
            tt.stop_index[stop.stop_id]: walk_seconds(distance)
            for stop, distance in ends
            if stop.feed_id == feed_id and stop.stop_id in tt.stop_index
        }
        result = earliest_arrival(tt, sources, set(egress), max_rounds=max_rounds)
        best: tuple[int, int] | None = None
        for target, walk in egress.items():
            arrival = result.arrival(target)
            if arrival is not None and (best is None or arrival + walk < best[0]):
                best = (arrival + walk, target)
        return sources, egress, result, best

    async def journey(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        depart_at: datetime,
    ) -> JourneyRead:
        """Walk to a nearby stop, ride (RAPTOR, up to 5 vehicles), walk on; or walk all the way
        when that is sooner."""
        starts = await self.nearby_stops(*origin, ACCESS_RADIUS_M, 30)
        ends = await self.nearby_stops(*destination, ACCESS_RADIUS_M, 30)
        direct = haversine_m(*origin, *destination)
        walk_only = walk_seconds(direct)
        if not starts or not ends:
            raise InvalidTransitQuery(
                "no transit stop within 800 m of the origin or the destination", field="origin"
            )
        feed = await self.repo.feed(starts[0][0].feed_id)
        assert feed is not None
        day, t0, zone = self.local_time(feed, depart_at)
        tt = await self.timetable(feed, day)
        sources, egress, result, best = self.best_ride(tt, feed.id, starts, ends, t0)
        if best is None or best[0] >= t0 + walk_only:
            return JourneyRead(
                feed=feed.name,
                departure=self.clock_time(day, t0, zone),
                arrival=self.clock_time(day, t0 + walk_only, zone),
                duration_minutes=round(walk_only / 60, 1),
                transfers=0,
                walking_minutes=round(walk_only / 60, 1),
                legs=[
                    LegRead(
                        mode="walk",
                        from_name="origin",
                        to_name="destination",
                        departure=self.clock_time(day, t0, zone),
                        arrival=self.clock_time(day, t0 + walk_only, zone),
                        metres=round(direct * WALK_DETOUR),
                    )
                ],
            )
        arrival, target = best
        found = result.journey(target)
        assert found is not None
        legs: list[LegRead] = []
        first_stop = found.legs[0]
        board = (
            first_stop.board_stop if isinstance(first_stop, TransitLeg) else first_stop.from_stop
        )
        access = sources[board] - t0
        legs.append(
            LegRead(
                mode="walk",
                from_name="origin",
                to_name=tt.stop_names[board],
                departure=self.clock_time(day, t0, zone),
                arrival=self.clock_time(day, sources[board], zone),
                metres=round(access * WALK_SPEED),
            )
        )
        walking = access + egress[target]
        for leg in found.legs:
            if isinstance(leg, TransitLeg):
                legs.append(
                    LegRead(
                        mode="transit",
                        route=tt.route_short_names[int(tt.pattern_route[leg.pattern])],
                        from_name=tt.stop_names[leg.board_stop],
                        to_name=tt.stop_names[leg.alight_stop],
                        departure=self.clock_time(day, leg.departure, zone),
                        arrival=self.clock_time(day, leg.arrival, zone),
                    )
                )
            elif isinstance(leg, WalkLeg):
                walking += leg.arrival - leg.departure
                legs.append(
                    LegRead(
                        mode="walk",
                        from_name=tt.stop_names[leg.from_stop],
                        to_name=tt.stop_names[leg.to_stop],
                        departure=self.clock_time(day, leg.departure, zone),
                        arrival=self.clock_time(day, leg.arrival, zone),
                        metres=round((leg.arrival - leg.departure) * WALK_SPEED),
                    )
                )
        legs.append(
            LegRead(
                mode="walk",
                from_name=tt.stop_names[target],
                to_name="destination",
                departure=self.clock_time(day, arrival - egress[target], zone),
                arrival=self.clock_time(day, arrival, zone),
                metres=round(egress[target] * WALK_SPEED),
            )
        )
        return JourneyRead(
            feed=feed.name,
            departure=self.clock_time(day, t0, zone),
            arrival=self.clock_time(day, arrival, zone),
            duration_minutes=round((arrival - t0) / 60, 1),
            transfers=found.transfers,
            walking_minutes=round(walking / 60, 1),
            legs=legs,
        )
