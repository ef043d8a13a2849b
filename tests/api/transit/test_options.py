"""Transport options over HTTP on SQLite and PostgreSQL: the real Porto Alegre bus feed and the
OpenFlights route network imported; walking, car, taxi, timetabled transit and flights compared
as one Pareto set; routes kept by id; chains of places; bad input."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from navio.kernel.clock import Clock
from navio.kernel.uow import UnitOfWork
from navio.transit import service as transit_service
from navio.transit.repository import TransitRepository
from navio.transit.service import TransitService
from tests.conftest import asgi_client, make_settings, running_app
from tests.factories.iam import assert_problem
from tests.factories.trips import API

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
POA = DATA / "gtfs" / "poa_eptc.zip"
ROUTES = DATA / "openflights" / "routes.dat"
ZONE = ZoneInfo("America/Sao_Paulo")
AT = datetime(2019, 5, 15, 13, 0, tzinfo=ZONE)  # the feed runs 11:00-17:00
# Porto Alegre: Mercado Público (centre) and the PUCRS campus, about 6 km apart
CENTRE = "-30.0277,-51.2287"
CAMPUS = "-30.0590,-51.1730"
HELSINKI = "60.1699,24.9384"
LONDON = "51.5072,-0.1276"


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = make_settings(database_url, transit_cache_dir=str(tmp_path / "cache"))
    transit_service._MEMORY.clear()
    async with running_app(settings) as running:
        async with UnitOfWork(running.state.db, write=True) as uow:
            service = TransitService(
                TransitRepository(uow.session_source), Clock(), tmp_path / "cache"
            )
            await service.import_feed("poa", POA, lenient=False)
            await service.import_flights("openflights", ROUTES)
        yield running


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, "http://t") as client:
        yield client


def _dominated(a: dict[str, Any], others: list[dict[str, Any]], criteria: list[str]) -> bool:
    def value(o: dict[str, Any], c: str) -> float | None:
        if c == "time":
            return datetime.fromisoformat(o["arrival"]).timestamp()
        if c == "cost":
            return o["cost_minor"]
        return -o["comfort"]

    for b in others:
        if b is a:
            continue
        pairs = [(value(b, c), value(a, c)) for c in criteria]
        pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
        if pairs and all(x <= y for x, y in pairs) and any(x < y for x, y in pairs):
            return True
    return False


def _check_legs(option: dict[str, Any]) -> None:
    legs = option["legs"]
    assert legs[0]["departure"] == option["departure"]
    assert legs[-1]["arrival"] == option["arrival"]
    for before, after in itertools.pairwise(legs):
        assert datetime.fromisoformat(after["departure"]) >= datetime.fromisoformat(
            before["arrival"]
        ) - timedelta(seconds=1)
    if "transit" not in option["modes"]:  # a transit fare is the journey's, not a leg's
        assert option["cost_minor"] == sum(leg["cost_minor"] or 0 for leg in legs)


async def test_city_options_are_a_pareto_set_with_timetabled_transit(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        f"{API}/transport/options",
        params={"origin": CENTRE, "dest": CAMPUS, "time": AT.isoformat()},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    options = body["options"]
    modes = {tuple(o["modes"]) for o in options}
    assert any("transit" in m for m in modes), body
    assert ("taxi",) in modes and ("drive",) not in modes  # no car unless asked for
    assert body["considered"] >= len(options) >= 2
    for option in options:
        assert not _dominated(option, options, ["time", "cost", "comfort"])
        _check_legs(option)
        assert datetime.fromisoformat(option["departure"]) >= AT - timedelta(seconds=1)
    transit = next(o for o in options if "transit" in o["modes"])
    rides = [leg for leg in transit["legs"] if leg["mode"] == "transit"]
    assert rides and all(leg["timetabled"] and leg["route"] for leg in rides)
    # the feed's flat fare (R$ 4.70 a ride, no transfers) in euros at the ECB rate
    assert transit["cost_minor"] > 0 and "BRL" in transit["cost_note"]
    arrivals = [o["arrival"] for o in options]
    assert arrivals == sorted(arrivals)

    # the option is kept by its id
    kept = await client.get(f"{API}/transport/route/{transit['id']}")
    assert kept.status_code == 200 and kept.json() == transit
    assert_problem(await client.get(f"{API}/transport/route/0123abcd"), 404, "route_not_found")

    # with a car: driving 8 km costs less than two bus rides and is faster, so it
    # dominates every transit option under this model
    with_car = (
        await client.get(
            f"{API}/transport/options",
            params={
                "origin": CENTRE,
                "dest": CAMPUS,
                "time": AT.isoformat(),
                "modes": "transit,drive",
            },
        )
    ).json()["options"]
    assert [o["modes"] for o in with_car] == [["drive"]]

    # one criterion: only the fastest remain
    fastest = (
        await client.get(
            f"{API}/transport/options",
            params={"origin": CENTRE, "dest": CAMPUS, "time": AT.isoformat(), "criteria": "time"},
        )
    ).json()["options"]
    assert len({o["arrival"] for o in fastest}) == 1
    assert fastest[0]["arrival"] == min(arrivals)


async def test_arrive_by(client: httpx.AsyncClient) -> None:
    by = AT + timedelta(hours=2)
    response = await client.get(
        f"{API}/transport/options",
        params={"origin": CENTRE, "dest": CAMPUS, "time": by.isoformat(), "arrive_by": "true"},
    )
    body = response.json()
    assert response.status_code == 200 and body["arrive_by"] is True
    assert body["options"]
    for option in body["options"]:
        assert datetime.fromisoformat(option["arrival"]) <= by + timedelta(seconds=1)
    transit = [o for o in body["options"] if "transit" in o["modes"]]
    assert transit and all(
        datetime.fromisoformat(o["arrival"]) > by - timedelta(hours=2) for o in transit
    )


async def test_flights_with_taxis_to_the_airports(client: httpx.AsyncClient) -> None:
    at = datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
    response = await client.get(
        f"{API}/transport/options",
        params={"origin": HELSINKI, "dest": LONDON, "time": at.isoformat()},
    )
    body = response.json()
    assert response.status_code == 200, body
    flying = [o for o in body["options"] if "flight" in o["modes"]]
    assert flying, body
    best = min(flying, key=lambda o: o["duration_minutes"])
    assert best["legs"][0]["mode"] in ("taxi", "drive")
    assert "HEL" in best["legs"][0]["to_name"]
    assert any(leg["mode"] == "flight" and "HEL" in leg["from_name"] for leg in best["legs"])
    assert best["legs"][-1]["mode"] in ("taxi", "drive")
    # faster than driving 1,800 km, however priced
    driving = [o for o in body["options"] if o["modes"] == ["drive"]]
    assert all(best["duration_minutes"] < d["duration_minutes"] for d in driving)
    assert not any(o["modes"] == ["walk"] for o in body["options"])
    assert any("transit" in note for note in body["notes"])
    for option in body["options"]:
        _check_legs(option)
    # airport codes work as the ends too
    by_code = await client.get(
        f"{API}/transport/options",
        params={"origin": "HEL", "dest": "LHR", "time": at.isoformat()},
    )
    assert by_code.status_code == 200
    first = by_code.json()["options"][0]
    assert by_code.json()["origin"]["name"].startswith("HEL")
    assert "flight" in first["modes"] and first["legs"][0]["mode"] == "airport"


async def test_multi_leg(client: httpx.AsyncClient) -> None:
    stops = [CENTRE, CAMPUS, "-30.0346,-51.2177"]
    response = await client.post(
        f"{API}/transport/multi-leg",
        json={"stops": stops, "depart_at": AT.isoformat(), "stay_minutes": [90]},
    )
    body = response.json()
    assert response.status_code == 200, body
    assert len(body["legs"]) == 2 and all(leg["options"] for leg in body["legs"])
    first_fastest = min(datetime.fromisoformat(o["arrival"]) for o in body["legs"][0]["options"])
    assert datetime.fromisoformat(body["legs"][1]["depart_at"]) == first_fastest + timedelta(
        minutes=90
    )
    labels = {plan["label"] for plan in body["plans"]}
    assert labels == {"fastest", "cheapest", "most_comfortable"}
    for plan in body["plans"]:
        assert len(plan["option_ids"]) == 2
        for option_id in plan["option_ids"]:
            assert (await client.get(f"{API}/transport/route/{option_id}")).status_code == 200


async def test_bad_input(client: httpx.AsyncClient) -> None:
    base = {"origin": CENTRE, "dest": CAMPUS, "time": AT.isoformat()}
    cases = [
        ({"origin": "abc,def"}, "invalid_transit_query"),
        ({"origin": "95,10"}, "invalid_transit_query"),
        ({"dest": "ZZZ"}, "invalid_transit_query"),
        ({"dest": "Porto Alegre"}, "invalid_transit_query"),
        ({"dest": CENTRE}, "invalid_transit_query"),
        ({"criteria": "speed"}, "invalid_transit_query"),
        ({"modes": "teleport"}, "invalid_transit_query"),
        ({"time": "2019-05-15T13:00:00"}, "validation_error"),
    ]
    for change, code in cases:
        response = await client.get(f"{API}/transport/options", params={**base, **change})
        assert_problem(response, 422, code)
    for body in (
        {"stops": [CENTRE], "depart_at": AT.isoformat()},
        {"stops": [CENTRE, CAMPUS, CENTRE], "depart_at": AT.isoformat(), "stay_minutes": [1, 2]},
        {"stops": [CENTRE, CAMPUS], "depart_at": AT.isoformat(), "extra": 1},
    ):
        response = await client.post(f"{API}/transport/multi-leg", json=body)
        assert response.status_code == 422, response.text


async def test_flights_with_public_transit_to_the_airport(client: httpx.AsyncClient) -> None:
    # from the centre of Porto Alegre to São Paulo: a bus to Salgado Filho airport (POA), then
    # the flight; São Paulo has no imported timetable, so the last leg is by road
    response = await client.get(
        f"{API}/transport/options",
        params={"origin": CENTRE, "dest": "-23.5505,-46.6333", "time": AT.isoformat()},
    )
    body = response.json()
    assert response.status_code == 200, body
    mixed = [o for o in body["options"] if "flight" in o["modes"] and "transit" in o["modes"]]
    assert mixed, [o["summary"] for o in body["options"]]
    option = mixed[0]
    _check_legs(option)
    first_flight = next(i for i, leg in enumerate(option["legs"]) if leg["mode"] == "flight")
    before = option["legs"][:first_flight]
    assert {leg["mode"] for leg in before} <= {"walk", "transit", "airport"}
    assert any(leg["timetabled"] for leg in before)
    assert before[-1]["mode"] == "airport" and before[-1]["to_name"].startswith("POA")
    assert option["legs"][-1]["mode"] in ("taxi", "drive")
    # the bus costs less than the taxi to the same flight
    by_taxi = [
        o
        for o in body["options"]
        if o["modes"][0] == "taxi"
        and o["legs"][2]["route"] == option["legs"][first_flight]["route"]
    ]
    assert by_taxi
    for other in by_taxi:
        assert option["cost_minor"] < other["cost_minor"]
