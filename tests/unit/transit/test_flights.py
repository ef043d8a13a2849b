"""Flight network on the real OpenFlights snapshot: parsing, models, itinerary search.

The data (``routes.dat``, 2014 snapshot, ODbL) is read from the shared data folder,
``$NAVIO_SHARED_DATA/openflights`` or ``<repo>/../shared/data/openflights``; it is never
copied into the repository.  The network is built once per module.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import airportsdata
import pytest
from hypothesis import given
from hypothesis import strategies as st

from navio.transit.flights import (
    LOW_COST_CARRIERS,
    FlightNetwork,
    FlightQueryError,
    Itinerary,
    ParseReport,
    Route,
    SameAirport,
    UnknownAirport,
    block_minutes,
    fare_minor,
    haversine_km,
    parse_routes,
)


def _shared_data() -> Path:
    env = os.environ.get("NAVIO_SHARED_DATA")
    if env:
        return Path(env)
    return (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()


OPENFLIGHTS = _shared_data() / "openflights"
ROUTES = OPENFLIGHTS / "routes.dat"

pytestmark = pytest.mark.skipif(not ROUTES.exists(), reason=f"{ROUTES} not available")


@pytest.fixture(scope="module")
def airports() -> Mapping[str, Mapping[str, Any]]:
    data: Mapping[str, Mapping[str, Any]] = airportsdata.load("IATA")
    return data


@pytest.fixture(scope="module")
def parsed() -> tuple[list[Route], ParseReport]:
    return parse_routes(ROUTES)


@pytest.fixture(scope="module")
def net(
    parsed: tuple[list[Route], ParseReport], airports: Mapping[str, Mapping[str, Any]]
) -> FlightNetwork:
    return FlightNetwork.build(parsed[0], airports)


@pytest.fixture(scope="module")
def raw_rows() -> list[list[str]]:
    with ROUTES.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.reader(fh) if row]


# ---------------------------------------------------------------------------
# Parsing and building


def test_parse_report_matches_an_independent_count_of_the_file(
    parsed: tuple[list[Route], ParseReport], raw_rows: list[list[str]]
) -> None:
    routes, report = parsed
    nonstop = [r for r in raw_rows if r[7] == "0"]
    pairs = {(r[2], r[4]) for r in nonstop if r[2] != r[4]}

    assert report.rows_read == len(raw_rows)
    assert report.rows_kept + sum(report.skipped.values()) == report.rows_read
    assert report.skipped["stops"] == sum(1 for r in raw_rows if r[7] != "0")
    assert report.skipped["self_loop"] == sum(1 for r in nonstop if r[2] == r[4])
    assert report.routes == len(routes) == len(pairs)
    # sanity bounds on the 2014 snapshot (67,663 rows)
    assert report.rows_kept > 60_000
    assert 30_000 < report.routes < report.rows_kept
    assert all(r.source != r.dest and r.airlines for r in routes)
    assert all(r.operating <= r.airlines for r in routes)


def test_parse_lines_skips_and_counts_by_reason() -> None:
    lines = [
        "BA,1355,AMS,580,LHR,507,,0,319 320\r\n",
        "KL,3090,AMS,580,LHR,507,,0,73H\n",
        "MU,1758,AMS,580,LHR,507,Y,0,\\N\n",
        "XX,1,AMS,580,LHR,507,,1,320\n",  # one stop
        "XX,1,\\N,580,LHR,507,,0,320\n",  # missing airport
        "XX,1,AM1,580,LHR,507,,0,320\n",  # not an IATA airport code
        "XX,1,LHR,507,LHR,507,,0,320\n",  # self-loop
        "XX,1,AMS,580,LHR\n",  # short row
        "XX,1,AMS,580,LHR,507,,x,320\n",  # bad stops
        "\\N,1,AMS,580,CDG,1382,,0,320\n",  # missing airline
        "\n",
        '"FR",4296,"STN",548,"DUB",599,,0,737\n',  # quoted
    ]
    routes, report = parse_routes(lines)

    assert report.rows_read == 11
    assert report.rows_kept == 4
    assert dict(report.skipped) == {
        "malformed": 2,
        "stops": 1,
        "bad_airport": 2,
        "bad_airline": 1,
        "self_loop": 1,
    }
    by_pair = {(r.source, r.dest): r for r in routes}
    assert set(by_pair) == {("AMS", "LHR"), ("STN", "DUB")}
    ams_lhr = by_pair[("AMS", "LHR")]
    assert ams_lhr.airlines == {"BA", "KL", "MU"}
    assert ams_lhr.operating == {"BA", "KL"}
    assert ams_lhr.equipment == {"319", "320", "73H"}
    assert not ams_lhr.codeshare


def test_build_keeps_only_routes_between_known_airports(
    parsed: tuple[list[Route], ParseReport],
    net: FlightNetwork,
    airports: Mapping[str, Mapping[str, Any]],
) -> None:
    routes, _ = parsed
    report = net.report
    expected_unknown = {c for r in routes for c in (r.source, r.dest) if c not in airports}
    expected_kept = sum(1 for r in routes if r.source in airports and r.dest in airports)

    assert report.routes_in == len(routes)
    assert report.routes_kept == net.n_edges == expected_kept
    assert report.routes_merged == 0  # parse_routes already merged the pairs
    assert report.routes_kept + report.routes_dropped == report.routes_in
    assert set(report.unknown_airports) == expected_unknown
    assert all(n > 0 for n in report.unknown_airports.values())
    assert report.routes_kept > 35_000
    assert 3_000 < net.n_airports == report.airports
    assert all(code in airports for code in net.codes)
    assert not any(code in net for code in expected_unknown)


@pytest.mark.parametrize(("a", "b"), [("AMS", "LHR"), ("JFK", "LHR"), ("SIN", "SYD")])
def test_known_direct_routes_exist_both_ways(net: FlightNetwork, a: str, b: str) -> None:
    for o, d in ((a, b), (b, a)):
        leg = net.direct(o, d)
        assert leg is not None
        assert (leg.origin, leg.dest) == (o, d)
        assert leg.airlines
        assert d in net.destinations(o)
        options = net.itineraries(o, d)
        assert options[0].connections == 0  # the direct flight is the fastest option
        assert options[0].legs == (leg,)


def test_edge_attributes_follow_the_models(
    net: FlightNetwork, airports: Mapping[str, Mapping[str, Any]]
) -> None:
    for o, d in [("AMS", "LHR"), ("JFK", "LHR"), ("HEL", "LHR"), ("STN", "DUB")]:
        leg = net.direct(o, d)
        assert leg is not None
        a, b = airports[o], airports[d]
        assert leg.distance_km == pytest.approx(
            haversine_km(a["lat"], a["lon"], b["lat"], b["lon"]), abs=0.06
        )
        assert leg.block_minutes == block_minutes(leg.distance_km)
        low_cost = not LOW_COST_CARRIERS.isdisjoint(leg.operators)
        assert leg.low_cost is low_cost
        assert leg.fare_minor == fare_minor(
            leg.distance_km, low_cost=low_cost, airlines=len(leg.operators)
        )
    ams_lhr = net.direct("AMS", "LHR")
    assert ams_lhr is not None
    assert ams_lhr.distance_km == pytest.approx(370, abs=3)


# ---------------------------------------------------------------------------
# Block time references

# Typical published schedule (gate-to-gate) durations, approximate and rounded to 5 minutes;
# they vary by carrier and season (winds, especially over the North Atlantic, make eastbound
# flights shorter than westbound ones, which a windless model cannot reproduce).  The model
# must be within 15 % of each direction.
REFERENCE_BLOCK_MINUTES = [
    ("AMS", "LHR", 75),
    ("LHR", "AMS", 75),
    ("HEL", "LHR", 185),
    ("LHR", "HEL", 175),
    ("FRA", "MAD", 155),
    ("MAD", "FRA", 150),
    ("SYD", "MEL", 90),
    ("MEL", "SYD", 90),
    ("LAX", "JFK", 325),
    ("JFK", "LAX", 380),
    ("JFK", "LHR", 415),
    ("LHR", "JFK", 480),
    ("DXB", "LHR", 460),
    ("LHR", "DXB", 415),
    ("SIN", "SYD", 460),
    ("SYD", "SIN", 490),
]


@pytest.mark.parametrize(("o", "d", "scheduled"), REFERENCE_BLOCK_MINUTES)
def test_block_time_is_within_15_percent_of_typical_schedules(
    net: FlightNetwork, o: str, d: str, scheduled: int
) -> None:
    leg = net.direct(o, d)
    assert leg is not None
    assert abs(leg.block_minutes - scheduled) <= 0.15 * scheduled, (leg.block_minutes, scheduled)


def test_headline_block_times(net: FlightNetwork) -> None:
    ams_lhr, jfk_lhr = net.direct("AMS", "LHR"), net.direct("JFK", "LHR")
    assert ams_lhr is not None
    assert jfk_lhr is not None
    assert 65 <= ams_lhr.block_minutes <= 85  # ~1 h 15
    assert 400 <= jfk_lhr.block_minutes <= 460  # ~7 h


# ---------------------------------------------------------------------------
# Fare model


def test_fare_is_monotonic_in_distance_for_the_same_carrier_type(net: FlightNetwork) -> None:
    legs = [
        leg
        for o in ("AMS", "FRA", "JFK", "SIN", "STN", "BCN")
        for d in net.destinations(o)
        if (leg := net.direct(o, d)) is not None
    ]
    groups: dict[tuple[bool, int], list[tuple[float, int]]] = {}
    for leg in legs:
        key = (leg.low_cost, min(len(leg.operators), 4))  # 4+ operators share a factor
        groups.setdefault(key, []).append((leg.distance_km, leg.fare_minor))
    assert {lc for lc, _ in groups} == {True, False}
    for values in groups.values():
        values.sort()
        fares = [f for _, f in values]
        assert fares == sorted(fares)


def test_low_cost_discount_applies(net: FlightNetwork) -> None:
    leg = net.direct("STN", "DUB")  # Ryanair only
    assert leg is not None
    assert leg.operators == ("FR",)
    assert leg.low_cost
    full = fare_minor(leg.distance_km, low_cost=False, airlines=1)
    assert leg.fare_minor == fare_minor(leg.distance_km, low_cost=True, airlines=1) < full

    full_service = net.direct("AMS", "LHR")
    assert full_service is not None
    assert not full_service.low_cost


def test_more_competition_never_raises_the_fare() -> None:
    fares = [fare_minor(1200, airlines=n) for n in range(1, 8)]
    assert fares == sorted(fares, reverse=True)
    assert fares[0] > fares[-1]
    assert fare_minor(1200, airlines=0) == fares[0]


DISTANCES = st.floats(min_value=0, max_value=20_000, allow_nan=False, allow_infinity=False)


@given(d1=DISTANCES, d2=DISTANCES, low_cost=st.booleans(), n=st.integers(1, 12))
def test_block_and_fare_models_are_positive_monotonic_integers(
    d1: float, d2: float, low_cost: bool, n: int
) -> None:
    lo, hi = sorted((d1, d2))
    b_lo, b_hi = block_minutes(lo), block_minutes(hi)
    f_lo = fare_minor(lo, low_cost=low_cost, airlines=n)
    f_hi = fare_minor(hi, low_cost=low_cost, airlines=n)
    for value in (b_lo, b_hi, f_lo, f_hi):
        assert isinstance(value, int)
        assert value > 0
    assert b_lo <= b_hi
    assert f_lo <= f_hi
    assert fare_minor(hi, low_cost=True, airlines=n) <= fare_minor(hi, low_cost=False, airlines=n)
    assert fare_minor(hi, low_cost=low_cost, airlines=n + 1) <= f_hi


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_models_reject_invalid_distances(bad: float) -> None:
    with pytest.raises(ValueError, match="distance"):
        block_minutes(bad)
    with pytest.raises(ValueError, match="distance"):
        fare_minor(bad)


# ---------------------------------------------------------------------------
# Itinerary search


def _dominates(a: Itinerary, b: Itinerary) -> bool:
    va = (a.total_minutes, a.fare_minor, a.connections)
    vb = (b.total_minutes, b.fare_minor, b.connections)
    return all(x <= y for x, y in zip(va, vb, strict=True)) and va != vb


def _check_options(options: list[Itinerary], o: str, d: str, conn_minutes: int) -> None:
    assert options
    for it in options:
        assert it.airports[0] == o
        assert it.airports[-1] == d
        assert len(set(it.airports)) == len(it.airports)  # no airport visited twice
        assert it.connections == len(it.legs) - 1
        for first, second in zip(it.legs, it.legs[1:], strict=False):
            assert first.dest == second.origin
        assert it.total_minutes == (
            sum(leg.block_minutes for leg in it.legs) + conn_minutes * it.connections
        )
        assert it.fare_minor == sum(leg.fare_minor for leg in it.legs)
        assert it.currency == "EUR"
    minutes = [it.total_minutes for it in options]
    assert minutes == sorted(minutes)
    for a in options:
        for b in options:
            assert not _dominates(a, b), (a.airports, b.airports)


def test_pair_without_direct_route_gets_one_connection_options(net: FlightNetwork) -> None:
    assert net.direct("HEL", "SYD") is None
    assert net.itineraries("HEL", "SYD", max_connections=0) == []
    options = net.itineraries("HEL", "SYD")
    _check_options(options, "HEL", "SYD", 60)
    assert all(it.connections == 1 for it in options)
    hubs = {it.airports[1] for it in options}
    assert hubs <= set(net.destinations("HEL"))
    assert all("SYD" in net.destinations(h) for h in hubs)


@pytest.mark.parametrize(
    ("o", "d", "k", "conn"),
    [
        ("HEL", "SYD", 1, 60),
        ("HEL", "SYD", 2, 60),
        ("AMS", "LHR", 2, 60),
        ("JFK", "BCN", 1, 45),
        ("STN", "ATH", 2, 90),
        ("LAX", "NBO", 2, 60),
    ],
)
def test_options_are_pareto_optimal_and_consistent(
    net: FlightNetwork, o: str, d: str, k: int, conn: int
) -> None:
    options = net.itineraries(o, d, max_connections=k, min_connection_minutes=conn, limit=1000)
    _check_options(options, o, d, conn)
    assert all(it.connections <= k for it in options)


def test_one_connection_search_is_complete(net: FlightNetwork) -> None:
    """Every direct or one-stop path is matched or beaten by a returned option."""
    o, d = "JFK", "BCN"
    options = net.itineraries(o, d, limit=1000)
    brute: list[tuple[int, int, int]] = []
    if (leg := net.direct(o, d)) is not None:
        brute.append((leg.block_minutes, leg.fare_minor, 0))
    for m in net.destinations(o):
        first, second = net.direct(o, m), net.direct(m, d) if m != d else None
        if first is not None and second is not None:
            brute.append(
                (
                    first.block_minutes + second.block_minutes + 60,
                    first.fare_minor + second.fare_minor,
                    1,
                )
            )
    assert len(brute) > len(options) > 0
    for v in brute:
        assert any(
            it.total_minutes <= v[0] and it.fare_minor <= v[1] and it.connections <= v[2]
            for it in options
        )


def test_two_connections_are_found_when_nothing_shorter_exists(net: FlightNetwork) -> None:
    # a destination three legs from HEL, chosen deterministically
    origin = "HEL"
    one_hop = set(net.destinations(origin))
    two_hop = {c for h in one_hop for c in net.destinations(h)} - one_hop - {origin}
    three_hop = {c for h in two_hop for c in net.destinations(h)} - two_hop - one_hop - {origin}
    assert three_hop
    d = sorted(three_hop)[0]
    assert net.itineraries(origin, d, max_connections=1) == []
    options = net.itineraries(origin, d, max_connections=2)
    _check_options(options, origin, d, 60)
    assert all(it.connections == 2 for it in options)


def _synthetic(pairs: list[tuple[str, str]]) -> FlightNetwork:
    coords = {"OOO": (0, 0), "DDD": (0, 10), "PPP": (1, 3), "QQQ": (1, 7), "XXX": (40, 0)}
    coords["YYY"] = (40, 10)
    airports = {c: {"lat": lat, "lon": lon, "name": c} for c, (lat, lon) in coords.items()}
    routes = [Route(a, b, frozenset({"ZZ"}), frozenset({"ZZ"})) for a, b in pairs]
    return FlightNetwork.build(routes, airports)


def test_two_connection_search_prunes_long_detours_unless_nothing_else_exists() -> None:
    detour = [("OOO", "XXX"), ("XXX", "YYY"), ("YYY", "DDD")]
    straight = [("OOO", "PPP"), ("PPP", "QQQ"), ("QQQ", "DDD")]

    only_detour = _synthetic(detour)
    (option,) = only_detour.itineraries("OOO", "DDD", max_connections=2)
    assert option.airports == ("OOO", "XXX", "YYY", "DDD")

    both = _synthetic(detour + straight)
    (option,) = both.itineraries("OOO", "DDD", max_connections=2)
    assert option.airports == ("OOO", "PPP", "QQQ", "DDD")

    with_direct = _synthetic([*detour, ("OOO", "DDD")])
    (option,) = with_direct.itineraries("OOO", "DDD", max_connections=2)
    assert option.connections == 0


def test_build_merges_duplicate_pairs_and_reports_unknown_airports() -> None:
    airports = {"OOO": {"lat": 0, "lon": 0}, "DDD": {"lat": 0, "lon": 10}}
    routes = [
        Route("OOO", "DDD", frozenset({"AA"}), frozenset({"AA"})),
        Route("OOO", "DDD", frozenset({"FR"}), frozenset({"FR"})),
        Route("OOO", "UUU", frozenset({"AA"}), frozenset({"AA"})),
        Route("UUU", "VVV", frozenset({"AA"}), frozenset({"AA"})),
    ]
    net = FlightNetwork.build(routes, airports)
    assert net.report.unknown_airports == {"UUU": 2, "VVV": 1}
    report = net.report
    assert (report.routes_in, report.routes_kept, report.routes_dropped) == (4, 1, 2)
    assert report.routes_merged == 1
    leg = net.direct("OOO", "DDD")
    assert leg is not None
    assert leg.airlines == ("AA", "FR")
    assert leg.low_cost
    assert leg.fare_minor == fare_minor(leg.distance_km, low_cost=True, airlines=2)
    assert net.direct("DDD", "OOO") is None


def test_limit_caps_the_options(net: FlightNetwork) -> None:
    full = net.itineraries("HEL", "SYD", max_connections=2, limit=1000)
    assert len(full) > 1
    assert net.itineraries("HEL", "SYD", max_connections=2, limit=1) == full[:1]


def test_codes_are_normalised(net: FlightNetwork) -> None:
    assert net.itineraries(" ams", "lhr ") == net.itineraries("AMS", "LHR")
    assert "hel" in net


@pytest.mark.parametrize(
    ("code", "shown"),
    [("QQQ", "QQQ"), ("zzz", "ZZZ"), ("OCA", "OCA"), ("12", "12"), ("", "")],
)
def test_unknown_airport_errors_name_the_code(net: FlightNetwork, code: str, shown: str) -> None:
    for o, d in ((code, "LHR"), ("LHR", code)):
        with pytest.raises(UnknownAirport, match=repr(shown)) as info:
            net.itineraries(o, d)
        assert isinstance(info.value, ValueError)
        assert info.value.airport == shown
    with pytest.raises(UnknownAirport):
        net.direct(code, "LHR")


def test_origin_equal_to_destination_is_an_error(net: FlightNetwork) -> None:
    with pytest.raises(SameAirport, match="HEL") as info:
        net.itineraries("HEL", "hel")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_connections": 3}, {"max_connections": -1}, {"min_connection_minutes": -5}, {"limit": 0}],
)
def test_invalid_search_parameters(net: FlightNetwork, kwargs: dict[str, int]) -> None:
    with pytest.raises(FlightQueryError):
        net.itineraries("HEL", "SYD", **kwargs)


# ---------------------------------------------------------------------------
# Nearby airports


def test_airports_near_helsinki_returns_hel_first(net: FlightNetwork) -> None:
    near = net.airports_near(60.17, 24.94, radius_km=30)
    assert near
    assert near[0].code == "HEL"
    assert near[0].distance_km <= 30
    assert near[0].destinations > 0


def test_airports_near_is_sorted_bounded_and_only_served_airports(
    net: FlightNetwork, airports: Mapping[str, Mapping[str, Any]]
) -> None:
    lat, lon = 51.51, -0.13  # central London
    near = net.airports_near(lat, lon, radius_km=80, limit=20)
    codes = [a.code for a in near]
    assert {"LHR", "LGW", "LCY", "STN", "LTN"} <= set(codes)
    distances = [a.distance_km for a in near]
    assert distances == sorted(distances)
    for a in near:
        assert a.distance_km <= 80
        assert a.destinations > 0
        rec = airports[a.code]
        assert a.distance_km == pytest.approx(
            haversine_km(lat, lon, rec["lat"], rec["lon"]), abs=0.01
        )
    assert len(net.airports_near(lat, lon, radius_km=80, limit=2)) == 2
    assert net.airports_near(0.0, -140.0, radius_km=50) == []  # mid-Pacific


def test_airports_near_rejects_bad_input(net: FlightNetwork) -> None:
    with pytest.raises(FlightQueryError):
        net.airports_near(91.0, 0.0, 10)
    with pytest.raises(FlightQueryError):
        net.airports_near(0.0, 0.0, -1)


def test_haversine() -> None:
    assert haversine_km(60.17, 24.94, 60.17, 24.94) == 0
    d = haversine_km(52.31, 4.76, 51.47, -0.45)
    assert d == pytest.approx(haversine_km(51.47, -0.45, 52.31, 4.76))
    assert 360 < d < 380
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0088)
