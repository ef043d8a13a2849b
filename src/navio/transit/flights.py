"""Flight network: non-stop routes, modelled block times and fares, itinerary search.

Pure module (no database, no web framework): routes are parsed from the OpenFlights
``routes.dat`` format, joined to airport coordinates (``airportsdata``, keyed by IATA code)
and compiled into a compact adjacency structure that answers itinerary queries between
any two airports in a few milliseconds.

Input format
------------
OpenFlights ``routes.dat`` (ODbL): nine comma-separated columns ``airline, airline_id,
source IATA, source_id, dest IATA, dest_id, codeshare ('Y' or empty), stops, equipment``;
``\\N`` means missing.  :func:`parse_routes` keeps non-stop rows (``stops == 0``) with two
valid, distinct IATA airport codes and merges the rows of each directed airport pair into
one :class:`Route` (the set of airlines, which of them operate rather than codeshare, and
the aircraft types).

Everything below is a *model* for comparing options against each other.  The constants
are modelling assumptions chosen to reproduce typical published schedules to within
~15 % (see the reference routes in ``tests/unit/transit/test_flights.py``); they are not
measurements and not facts about any particular flight.

Distance
--------
Great-circle distance by the haversine formula on a sphere of radius
``EARTH_RADIUS_KM = 6371.0088`` (the IUGG mean Earth radius).  Edge distances are
rounded to 0.1 km, and an edge's block time and fare are computed from that rounded value.

Block time model (gate to gate, minutes)
----------------------------------------
::

    block = TAXI_OUT_MIN + TAXI_IN_MIN + CLIMB_DESCENT_MIN
            + great_circle_km * DETOUR_FACTOR / CRUISE_KMH * 60

* ``TAXI_OUT_MIN = 15`` and ``TAXI_IN_MIN = 8``: assumed average taxi times at a large
  airport (taxi-out is usually the longer of the two because of departure queues).
* ``CLIMB_DESCENT_MIN = 20``: assumed extra time of the departure and arrival phases
  (climb, descent, approach at lower speeds) over flying the same distance at cruise speed.
* ``DETOUR_FACTOR = 1.04``: flown distance over great-circle distance.  Aircraft do not
  fly the great circle (airways, airspace structure, departure and arrival routes);
  EUROCONTROL's performance reviews track this as *horizontal flight efficiency*, where
  extensions of a few percent are commonly cited.  4 % over the whole flight is our
  assumption.
* ``CRUISE_KMH = 850``: assumed average ground speed in cruise for jet aircraft.  The
  model has no wind, so one value serves both directions; on routes with a strong jet
  stream (e.g. the North Atlantic) the eastbound schedule is shorter and the westbound
  longer than the model, which lands in between.

The result is rounded to whole minutes.  With these constants AMS-LHR (370 km) models
as 70 min and JFK-LHR (5,540 km) as 7 h 30.

Fare model (economy, one way, EUR)
----------------------------------
**A model for ranking and comparing options, not a quoted or bookable price.**
::

    fare_eur = FIXED_EUR + carrier_eur(distance) * low_cost * competition

* ``FIXED_EUR = 30``: assumed per-segment airport charges, taxes and ticketing cost;
  not discounted.
* ``carrier_eur(d)``: piecewise-linear, tapering with distance (the per-km rate falls as
  the trip gets longer, as fixed costs per departure are spread over more kilometres):
  0.14 EUR/km up to 500 km, 0.09 EUR/km for 500-1,500 km, 0.06 EUR/km for
  1,500-4,000 km, 0.04 EUR/km for 4,000-8,000 km and 0.03 EUR/km beyond
  (``FARE_BANDS``).  ``carrier_eur(370 km) = 51.8``, ``carrier_eur(5,540 km) = 371.6``.
* ``low_cost = LOW_COST_FACTOR = 0.6`` when at least one carrier operating the edge is in
  ``LOW_COST_CARRIERS`` (a small, hand-picked set of IATA codes of well-known low-cost
  airlines), else 1.
* ``competition = max(COMPETITION_FLOOR, 1 - COMPETITION_STEP * (n - 1))`` with
  ``COMPETITION_STEP = 0.06`` and ``COMPETITION_FLOOR = 0.82``, where ``n`` is the number of
  airlines operating the edge (codeshare-only marketers are not competitors; an edge
  known only through codeshares counts as one).
* The result is in integer minor units (euro cents), rounded half to even.
  An itinerary's fare is the sum of its legs' fares (through fares are not modelled).

Itinerary search
----------------
:meth:`FlightNetwork.itineraries` enumerates paths of up to ``max_connections``
intermediate airports (default 1, at most 2):

* direct: the edge ``origin -> dest`` if it exists;
* one connection: every ``m`` in ``out(origin) & in(dest)`` (a set intersection of the
  outgoing neighbours of the origin and the incoming neighbours of the destination);
* two connections ``origin -> a -> b -> dest``: only candidates whose flown great-circle
  distance stays within ``max(MAX_DETOUR_RATIO * gc, gc + MIN_DETOUR_KM)`` of the
  origin-destination great-circle distance ``gc`` (``MAX_DETOUR_RATIO = 1.5``,
  ``MIN_DETOUR_KM = 500``), checked first for ``a`` (``gc(o, a) + gc(a, dest)``) and then
  for the whole path.  If that finds nothing and there is no direct or one-connection
  option either, the two-connection search is repeated without the distance bound.

There are no timetables, so a connection costs a fixed ``min_connection_minutes``
(default ``MIN_CONNECTION_MINUTES = 60``, an assumed minimum connecting time at a hub;
actual waits depend on schedules).  The total time is the sum of the legs' block times
plus one connection time per intermediate airport.  Only the Pareto-optimal options over
``(total minutes, total fare, connections)`` are returned (no returned option is
matched-or-beaten on all three by another and strictly beaten on one), sorted by total
minutes, then fare, then connections.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from navio.transit.errors import InvalidTransitQuery

__all__ = [
    "CLIMB_DESCENT_MIN",
    "COMPETITION_FLOOR",
    "COMPETITION_STEP",
    "CRUISE_KMH",
    "DETOUR_FACTOR",
    "EARTH_RADIUS_KM",
    "FARE_BANDS",
    "FIXED_EUR",
    "LOW_COST_CARRIERS",
    "LOW_COST_FACTOR",
    "MAX_DETOUR_RATIO",
    "MIN_CONNECTION_MINUTES",
    "MIN_DETOUR_KM",
    "TAXI_IN_MIN",
    "TAXI_OUT_MIN",
    "BuildReport",
    "FlightNetwork",
    "FlightQueryError",
    "Itinerary",
    "Leg",
    "NearbyAirport",
    "ParseReport",
    "Route",
    "SameAirport",
    "UnknownAirport",
    "block_minutes",
    "fare_minor",
    "haversine_km",
    "parse_routes",
]

FloatArray = npt.NDArray[np.float64]

EARTH_RADIUS_KM: Final = 6371.0088

# Block time model (see module docstring).
TAXI_OUT_MIN: Final = 15.0
TAXI_IN_MIN: Final = 8.0
CLIMB_DESCENT_MIN: Final = 20.0
DETOUR_FACTOR: Final = 1.04
CRUISE_KMH: Final = 850.0

# Fare model (see module docstring).
FIXED_EUR: Final = 30.0
# (upper bound of the band in km, EUR per km inside the band); the last band is open.
FARE_BANDS: Final[tuple[tuple[float, float], ...]] = (
    (500.0, 0.14),
    (1500.0, 0.09),
    (4000.0, 0.06),
    (8000.0, 0.04),
    (math.inf, 0.03),
)
LOW_COST_FACTOR: Final = 0.6
COMPETITION_STEP: Final = 0.06
COMPETITION_FLOOR: Final = 0.82
LOW_COST_CARRIERS: Final = frozenset(
    {
        "FR",  # Ryanair
        "U2",  # easyJet
        "W6",  # Wizz Air
        "DY",  # Norwegian Air Shuttle
        "D8",  # Norwegian Air International
        "VY",  # Vueling
        "HV",  # Transavia
        "TO",  # Transavia France
        "4U",  # Germanwings
        "LS",  # Jet2.com
        "PC",  # Pegasus Airlines
        "WN",  # Southwest Airlines
        "NK",  # Spirit Airlines
        "F9",  # Frontier Airlines
        "G4",  # Allegiant Air
        "AK",  # AirAsia
        "FD",  # Thai AirAsia
        "D7",  # AirAsia X
        "TR",  # Tigerair
        "JQ",  # Jetstar
        "3K",  # Jetstar Asia
        "6E",  # IndiGo
        "SG",  # SpiceJet
        "5J",  # Cebu Pacific
        "FZ",  # flydubai
        "G9",  # Air Arabia
    }
)

# Search (see module docstring).
MIN_CONNECTION_MINUTES: Final = 60
MAX_DETOUR_RATIO: Final = 1.5
MIN_DETOUR_KM: Final = 500.0

_IATA_AIRPORT = re.compile(r"[A-Z]{3}")
_AIRLINE = re.compile(r"[A-Z0-9]{2,3}")
_MISSING = "\\N"


# ---------------------------------------------------------------------------
# Errors


class FlightQueryError(InvalidTransitQuery, ValueError):
    """An invalid flight query (also a ``ValueError``)."""

    code = "invalid_flight_query"
    title = "Invalid flight query"


class UnknownAirport(FlightQueryError):
    """The airport code is not known, or has no route in the network."""

    code = "unknown_airport"
    title = "Unknown airport"

    def __init__(self, airport: str, reason: str = "is not a known airport") -> None:
        self.airport = airport
        super().__init__(f"airport {airport!r} {reason}", airport=airport)


class SameAirport(FlightQueryError):
    """Origin and destination are the same airport."""

    code = "same_airport"
    title = "Origin and destination are the same"

    def __init__(self, airport: str) -> None:
        self.airport = airport
        super().__init__(
            f"origin and destination are both {airport!r}; nothing to search", airport=airport
        )


# ---------------------------------------------------------------------------
# Models (pure functions)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _haversine_many(lat_rad: FloatArray, lon_rad: FloatArray, lat: float, lon: float) -> FloatArray:
    """Vectorised haversine (km) from one point (degrees) to arrays of points (radians)."""
    p, lam = math.radians(lat), math.radians(lon)
    h = (
        np.sin((lat_rad - p) / 2) ** 2
        + math.cos(p) * np.cos(lat_rad) * np.sin((lon_rad - lam) / 2) ** 2
    )
    out: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return out


def _block_minutes_array(distance_km: FloatArray) -> npt.NDArray[np.int64]:
    airborne = distance_km * DETOUR_FACTOR / CRUISE_KMH * 60.0
    fixed = TAXI_OUT_MIN + TAXI_IN_MIN + CLIMB_DESCENT_MIN
    return np.rint(fixed + airborne).astype(np.int64)


# Breakpoints of the tapering carrier component: distance (km) -> cumulative EUR.
_BAND_KM = np.array([0.0, *(upper for upper, _ in FARE_BANDS[:-1])])
_BAND_EUR = np.concatenate(([0.0], np.cumsum(np.diff(_BAND_KM) * [r for _, r in FARE_BANDS[:-1]])))


def _carrier_eur(distance_km: FloatArray) -> FloatArray:
    """Piecewise-linear tapering carrier component (EUR) of ``FARE_BANDS``."""
    inside: FloatArray = np.interp(distance_km, _BAND_KM, _BAND_EUR)
    beyond = np.maximum(distance_km - _BAND_KM[-1], 0.0) * FARE_BANDS[-1][1]
    out: FloatArray = inside + beyond
    return out


def _fare_minor_array(
    distance_km: FloatArray, low_cost: npt.NDArray[np.bool_], airlines: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    competition = np.maximum(
        COMPETITION_FLOOR, 1.0 - COMPETITION_STEP * (np.maximum(airlines, 1) - 1)
    )
    factor: FloatArray = np.where(low_cost, LOW_COST_FACTOR, 1.0) * competition
    return np.rint((FIXED_EUR + _carrier_eur(distance_km) * factor) * 100).astype(np.int64)


def _check_distance(distance_km: float) -> FloatArray:
    try:
        km = float(distance_km)
    except (TypeError, ValueError):
        km = math.nan
    if not 0 <= km < math.inf:
        raise ValueError(f"distance must be a finite non-negative number, got {distance_km!r}")
    return np.array([km])


def block_minutes(distance_km: float) -> int:
    """Modelled gate-to-gate (block) minutes for a non-stop flight of that great-circle length."""
    return int(_block_minutes_array(_check_distance(distance_km))[0])


def fare_minor(distance_km: float, *, low_cost: bool = False, airlines: int = 1) -> int:
    """Modelled economy one-way fare in euro cents for one non-stop segment.

    A model for comparing options, not a quoted price; see the module docstring.
    ``airlines`` is the number of airlines operating the segment (competition; values
    below 1 count as 1).
    """
    fares = _fare_minor_array(
        _check_distance(distance_km),
        np.array([bool(low_cost)]),
        np.array([int(airlines)], dtype=np.int64),
    )
    return int(fares[0])


# ---------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True, slots=True)
class Route:
    """A directed non-stop airport pair with every airline listed on it."""

    source: str
    dest: str
    airlines: frozenset[str]
    operating: frozenset[str]  # airlines whose row is not flagged as a codeshare
    equipment: frozenset[str] = frozenset()

    @property
    def codeshare(self) -> bool:
        """True when every row for the pair was a codeshare (the operator is not listed)."""
        return not self.operating


@dataclass(frozen=True, slots=True)
class ParseReport:
    rows_read: int
    rows_kept: int
    routes: int  # distinct directed airport pairs
    skipped: Mapping[str, int]  # reason -> rows: malformed, stops, bad_airport, self_loop, ...


def _lines(source: str | os.PathLike[str] | Iterable[str]) -> Iterable[str]:
    if isinstance(source, str | os.PathLike):
        with Path(source).open(encoding="utf-8", newline="") as fh:
            yield from fh
    else:
        yield from source


def parse_routes(
    source: str | os.PathLike[str] | Iterable[str],
) -> tuple[list[Route], ParseReport]:
    """Parse OpenFlights ``routes.dat`` rows into non-stop directed routes.

    ``source`` is a path (``str`` or ``PathLike``) or an iterable of lines.  Rows with
    ``stops > 0``, a missing or malformed IATA airport code, the same source and
    destination, or the wrong number of columns are skipped and counted by reason.
    Rows for the same directed pair are merged; routes come out in first-seen order.
    """
    skipped = {"malformed": 0, "stops": 0, "bad_airport": 0, "bad_airline": 0, "self_loop": 0}
    merged: dict[tuple[str, str], tuple[set[str], set[str], set[str]]] = {}
    airport_ok: dict[str, bool] = {}  # validation cache: ~3.4k distinct codes in 67k rows
    read = kept = 0
    for line in _lines(source):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        read += 1
        # OpenFlights rows are unquoted; fall back to the csv module if a row is quoted.
        row = next(csv.reader([line])) if '"' in line else line.split(",")
        if len(row) != 9:
            skipped["malformed"] += 1
            continue
        airline, _, src, _, dst, _, codeshare, stops, equipment = row
        stops = stops.strip()
        if stops != "0":
            try:
                n_stops = int(stops)
            except ValueError:
                n_stops = -1
            skipped["stops" if n_stops > 0 else "malformed"] += 1
            continue
        src, dst = src.strip().upper(), dst.strip().upper()
        for code in (src, dst):
            if code not in airport_ok:
                airport_ok[code] = _IATA_AIRPORT.fullmatch(code) is not None
        if not (airport_ok[src] and airport_ok[dst]):
            skipped["bad_airport"] += 1
            continue
        if src == dst:
            skipped["self_loop"] += 1
            continue
        airline = airline.strip().upper()
        if not _AIRLINE.fullmatch(airline):
            skipped["bad_airline"] += 1
            continue
        kept += 1
        entry = merged.get((src, dst))
        if entry is None:
            entry = merged[(src, dst)] = (set(), set(), set())
        entry[0].add(airline)
        if codeshare.strip().upper() != "Y":
            entry[1].add(airline)
        equipment = equipment.strip()
        if equipment and equipment != _MISSING:
            entry[2].update(equipment.split())
    routes = [
        Route(s, d, frozenset(a), frozenset(o), frozenset(e))
        for (s, d), (a, o, e) in merged.items()
    ]
    return routes, ParseReport(read, kept, len(routes), skipped)


# ---------------------------------------------------------------------------
# Network


@dataclass(frozen=True, slots=True)
class Leg:
    origin: str
    dest: str
    airlines: tuple[str, ...]  # every airline listed on the edge, codeshares included
    operators: tuple[str, ...]  # those listed as operating (not codeshare)
    distance_km: float
    block_minutes: int
    fare_minor: int
    low_cost: bool


@dataclass(frozen=True, slots=True)
class Itinerary:
    legs: tuple[Leg, ...]
    total_minutes: int  # block times plus one connection time per intermediate airport
    fare_minor: int  # sum of the legs' modelled fares, euro cents
    connections: int
    currency: str = "EUR"

    @property
    def airports(self) -> tuple[str, ...]:
        return (self.legs[0].origin, *(leg.dest for leg in self.legs))

    @property
    def distance_km(self) -> float:
        return sum(leg.distance_km for leg in self.legs)


@dataclass(frozen=True, slots=True)
class NearbyAirport:
    code: str
    name: str
    city: str
    country: str
    distance_km: float
    destinations: int  # non-stop destinations served


@dataclass(frozen=True, slots=True)
class BuildReport:
    routes_in: int
    routes_kept: int  # directed edges in the network
    routes_dropped: int  # routes with an airport unknown to the airport table
    routes_merged: int = 0  # repeated directed pairs merged into an earlier route
    unknown_airports: Mapping[str, int] = field(default_factory=dict)  # code -> routes dropped
    airports: int = 0  # airports with at least one kept route


class FlightNetwork:
    """Airports with at least one route, and their non-stop edges with modelled attributes.

    Nodes are indexed ``0..n-1``; per node there is a ``{neighbour: edge}`` dict for the
    outgoing and the incoming edges; per edge there are flat lists of distance, block
    minutes, fare and airlines.  Coordinates are numpy arrays for vectorised distances.
    """

    __slots__ = (
        "_airports",
        "_e_airlines",
        "_e_block",
        "_e_dist",
        "_e_fare",
        "_e_low_cost",
        "_e_operators",
        "_in",
        "_index",
        "_lat",
        "_lon",
        "_out",
        "codes",
        "report",
    )

    def __init__(
        self,
        codes: list[str],
        airports: list[Mapping[str, Any]],
        edges: list[tuple[int, int, Route]],
        report: BuildReport,
    ) -> None:
        self.codes: tuple[str, ...] = tuple(codes)
        self.report = report
        self._index = {c: i for i, c in enumerate(codes)}
        self._airports = airports
        self._lat: FloatArray = np.radians(np.array([float(a["lat"]) for a in airports]))
        self._lon: FloatArray = np.radians(np.array([float(a["lon"]) for a in airports]))
        n = len(codes)
        self._out: list[dict[int, int]] = [{} for _ in range(n)]
        self._in: list[dict[int, int]] = [{} for _ in range(n)]
        src = np.array([s for s, _, _ in edges], dtype=np.intp)
        dst = np.array([d for _, d, _ in edges], dtype=np.intp)
        p1, p2 = self._lat[src], self._lat[dst]
        h = (
            np.sin((p2 - p1) / 2) ** 2
            + np.cos(p1) * np.cos(p2) * np.sin((self._lon[dst] - self._lon[src]) / 2) ** 2
        )
        dist = np.round(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0))), 1)
        low_cost = np.array(
            [not r.operating.isdisjoint(LOW_COST_CARRIERS) for _, _, r in edges], dtype=np.bool_
        )
        n_operating = np.array([len(r.operating) for _, _, r in edges], dtype=np.int64)
        self._e_dist: list[float] = dist.tolist()
        self._e_block: list[int] = _block_minutes_array(dist).tolist()
        self._e_fare: list[int] = _fare_minor_array(dist, low_cost, n_operating).tolist()
        self._e_low_cost: list[bool] = low_cost.tolist()
        self._e_airlines: list[tuple[str, ...]] = [tuple(sorted(r.airlines)) for _, _, r in edges]
        self._e_operators: list[tuple[str, ...]] = [tuple(sorted(r.operating)) for _, _, r in edges]
        for e, (s, d, _) in enumerate(edges):
            self._out[s][d] = e
            self._in[d][s] = e

    # -- construction ------------------------------------------------------

    @classmethod
    def build(
        cls,
        routes: Iterable[Route],
        airports: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> FlightNetwork:
        """Compile routes whose two airports are in ``airports`` (default: airportsdata IATA).

        Routes with an unknown airport are dropped and counted per unknown code in
        ``network.report.unknown_airports``.  Routes for the same directed pair are merged.
        """
        if airports is None:
            import airportsdata

            airports = airportsdata.load("IATA")
        unknown: dict[str, int] = {}
        merged: dict[tuple[str, str], Route] = {}
        n_in = dropped = 0
        for r in routes:
            n_in += 1
            missing = [c for c in (r.source, r.dest) if c not in airports]
            if missing:
                dropped += 1
                for c in missing:
                    unknown[c] = unknown.get(c, 0) + 1
                continue
            prev = merged.get((r.source, r.dest))
            if prev is not None:
                r = Route(
                    r.source,
                    r.dest,
                    prev.airlines | r.airlines,
                    prev.operating | r.operating,
                    prev.equipment | r.equipment,
                )
            merged[(r.source, r.dest)] = r
        codes = sorted({c for pair in merged for c in pair})
        index = {c: i for i, c in enumerate(codes)}
        edges = [(index[s], index[d], r) for (s, d), r in merged.items()]
        report = BuildReport(
            routes_in=n_in,
            routes_kept=len(edges),
            routes_dropped=dropped,
            routes_merged=n_in - dropped - len(edges),
            unknown_airports=dict(sorted(unknown.items())),
            airports=len(codes),
        )
        return cls(codes, [airports[c] for c in codes], edges, report)

    @classmethod
    def from_routes_file(
        cls,
        path: str | os.PathLike[str],
        airports: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> FlightNetwork:
        routes, _ = parse_routes(path)
        return cls.build(routes, airports)

    # -- lookups -------------------------------------------------------------

    @property
    def n_airports(self) -> int:
        return len(self.codes)

    @property
    def n_edges(self) -> int:
        return len(self._e_dist)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().upper() in self._index

    def _node(self, code: str) -> int:
        if not isinstance(code, str):
            raise UnknownAirport(repr(code), "is not an airport code")
        norm = code.strip().upper()
        i = self._index.get(norm)
        if i is None:
            if not _IATA_AIRPORT.fullmatch(norm):
                raise UnknownAirport(code, "is not a three-letter IATA airport code")
            raise UnknownAirport(norm, "is not a known airport with routes in the flight network")
        return i

    def airport(self, code: str) -> Mapping[str, Any]:
        """The airportsdata record of an airport in the network."""
        return self._airports[self._node(code)]

    def destinations(self, code: str) -> list[str]:
        """Airports served non-stop from ``code``, sorted."""
        return sorted(self.codes[j] for j in self._out[self._node(code)])

    def _leg(self, e: int, s: int, d: int) -> Leg:
        return Leg(
            self.codes[s],
            self.codes[d],
            self._e_airlines[e],
            self._e_operators[e],
            self._e_dist[e],
            self._e_block[e],
            self._e_fare[e],
            self._e_low_cost[e],
        )

    def direct(self, origin: str, dest: str) -> Leg | None:
        """The non-stop edge ``origin -> dest``, or ``None``."""
        s, d = self._node(origin), self._node(dest)
        e = self._out[s].get(d)
        return None if e is None else self._leg(e, s, d)

    # -- search --------------------------------------------------------------

    def itineraries(
        self,
        origin: str,
        dest: str,
        *,
        max_connections: int = 1,
        min_connection_minutes: int = MIN_CONNECTION_MINUTES,
        limit: int = 10,
    ) -> list[Itinerary]:
        """Pareto-optimal options over (total minutes, total fare, connections).

        Sorted by total minutes, then fare, then connections; at most ``limit``.
        An empty list means no itinerary with at most ``max_connections`` connections.
        """
        o, d = self._node(origin), self._node(dest)
        if o == d:
            raise SameAirport(self.codes[o])
        if max_connections not in (0, 1, 2):
            raise FlightQueryError(f"max_connections must be 0, 1 or 2, got {max_connections!r}")
        if min_connection_minutes < 0:
            raise FlightQueryError("min_connection_minutes must be >= 0")
        if limit < 1:
            raise FlightQueryError("limit must be >= 1")

        out, inc = self._out, self._in
        block, fare = self._e_block, self._e_fare
        conn = int(min_connection_minutes)
        # (minutes, fare, connections, edge ids, node ids)
        cands: list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]] = []

        e = out[o].get(d)
        if e is not None:
            cands.append((block[e], fare[e], 0, (e,), (o, d)))
        if max_connections >= 1:
            in_d = inc[d]
            out_o = out[o]
            for m in out_o.keys() & in_d.keys():
                e1, e2 = out_o[m], in_d[m]
                cands.append(
                    (block[e1] + block[e2] + conn, fare[e1] + fare[e2], 1, (e1, e2), (o, m, d))
                )
        if max_connections >= 2:
            two = self._two_connections(o, d, conn, bounded=True)
            if not two and not cands:
                two = self._two_connections(o, d, conn, bounded=False)
            cands.extend(two)

        return [
            Itinerary(
                legs=tuple(
                    self._leg(e, s, t) for e, s, t in zip(edges, nodes, nodes[1:], strict=False)
                ),
                total_minutes=minutes,
                fare_minor=cents,
                connections=k,
            )
            for minutes, cents, k, edges, nodes in _pareto(cands)[:limit]
        ]

    def _two_connections(
        self, o: int, d: int, conn: int, *, bounded: bool
    ) -> list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]]:
        out, in_d = self._out, self._in[d]
        block, fare, dist = self._e_block, self._e_fare, self._e_dist
        lat_d, lon_d = math.degrees(self._lat[d]), math.degrees(self._lon[d])
        to_d = _haversine_many(self._lat, self._lon, lat_d, lon_d).tolist()
        gc = to_d[o]
        bound = max(MAX_DETOUR_RATIO * gc, gc + MIN_DETOUR_KM) if bounded else math.inf
        in_keys = in_d.keys()
        found: list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]] = []
        for a, e1 in out[o].items():
            if a == d:
                continue
            d1 = dist[e1]
            if d1 + to_d[a] > bound:
                continue
            out_a = out[a]
            b1, f1 = block[e1] + 2 * conn, fare[e1]
            for b in out_a.keys() & in_keys:
                if b == o:
                    continue
                e2, e3 = out_a[b], in_d[b]
                if d1 + dist[e2] + dist[e3] > bound:
                    continue
                found.append(
                    (
                        b1 + block[e2] + block[e3],
                        f1 + fare[e2] + fare[e3],
                        2,
                        (e1, e2, e3),
                        (o, a, b, d),
                    )
                )
        return found

    def airports_near(
        self, lat: float, lon: float, radius_km: float = 100.0, limit: int = 10
    ) -> list[NearbyAirport]:
        """Airports with at least one route within ``radius_km`` of a point, nearest first."""
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise FlightQueryError(f"invalid coordinates ({lat!r}, {lon!r})")
        if not radius_km >= 0:
            raise FlightQueryError("radius_km must be >= 0")
        if limit < 1:
            raise FlightQueryError("limit must be >= 1")
        dist = _haversine_many(self._lat, self._lon, lat, lon)
        hits = np.flatnonzero(dist <= radius_km)
        hits = hits[np.argsort(dist[hits], kind="stable")][:limit]
        result = []
        for i in hits.tolist():
            a = self._airports[i]
            result.append(
                NearbyAirport(
                    code=self.codes[i],
                    name=str(a.get("name", "")),
                    city=str(a.get("city", "")),
                    country=str(a.get("country", "")),
                    distance_km=round(float(dist[i]), 2),
                    destinations=len(self._out[i]),
                )
            )
        return result


def _pareto(
    cands: list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]],
) -> list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]]:
    """Non-dominated candidates over (minutes, fare, connections), sorted by them.

    After a lexicographic sort no later candidate can dominate an earlier one, so each
    candidate needs checking only against those already kept.
    """
    cands.sort(key=lambda c: (c[0], c[1], c[2], c[4]))
    kept: list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]] = []
    for c in cands:
        m, f, k = c[0], c[1], c[2]
        if any(
            km <= m and kf <= f and kk <= k and (km, kf, kk) != (m, f, k)
            for km, kf, kk, _, _ in kept
        ):
            continue
        kept.append(c)
    return kept
