"""Transit over HTTP on SQLite and PostgreSQL with the real Porto Alegre bus feed: import,
nearby stops with next departures, walk + transit journeys by RAPTOR, the compiled timetable
cached on disk, and bad input."""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from navio.kernel.clock import Clock
from navio.kernel.uow import UnitOfWork
from navio.transit import service as transit_service
from navio.transit.gtfs import GtfsError
from navio.transit.repository import TransitRepository
from navio.transit.service import TransitService
from tests.conftest import asgi_client, make_settings, running_app
from tests.factories.iam import assert_problem
from tests.factories.trips import API

POA = Path(__file__).resolve().parents[4] / "shared" / "data" / "gtfs" / "poa_eptc.zip"
ZONE = ZoneInfo("America/Sao_Paulo")
AT = datetime(2019, 5, 15, 13, 0, tzinfo=ZONE)


@pytest.fixture
async def transit_app(database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = make_settings(database_url, transit_cache_dir=str(tmp_path / "cache"))
    transit_service._MEMORY.clear()  # a fresh process: compiled days are not yet in memory
    async with running_app(settings) as app:
        async with UnitOfWork(app.state.db, write=True) as uow:
            service = TransitService(
                TransitRepository(uow.session_source), Clock(), tmp_path / "cache"
            )
            result = await service.import_feed("poa", POA, lenient=False)
        app.state.poa_stops = result.summary.stops
        yield app


@pytest.fixture
async def transit_client(transit_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(transit_app, "http://t") as client:
        yield client


async def test_nearby_departures_journeys_and_cache(
    transit_client: httpx.AsyncClient, transit_app: FastAPI, tmp_path: Path
) -> None:
    stops = transit_app.state.poa_stops
    _, name, lat, lon = stops[len(stops) // 2]
    response = await transit_client.get(
        f"{API}/transport/local-transit",
        params={"lat": lat, "lon": lon, "radius_m": 300, "at": AT.isoformat()},
    )
    assert response.status_code == 200, response.text
    nearby = response.json()["stops"]
    assert nearby[0]["name"] == name and nearby[0]["distance_m"] < 1
    distances = [s["distance_m"] for s in nearby]
    assert distances == sorted(distances)
    served = [s for s in nearby if s["departures"]]
    assert served, "some stop near the middle of the network has buses at 13:00"
    for stop in served:
        times = [datetime.fromisoformat(d["departs_at"]) for d in stop["departures"]]
        assert times == sorted(times) and all(t >= AT for t in times)
    assert list((tmp_path / "cache").glob("*-2019-05-15-*.pickle"))

    far = max(stops, key=lambda s: (s[2] - lat) ** 2 + (s[3] - lon) ** 2)
    journey = await transit_client.get(
        f"{API}/transport/transit-journey",
        params={
            "from_lat": lat,
            "from_lon": lon,
            "to_lat": far[2],
            "to_lon": far[3],
            "depart_at": AT.isoformat(),
        },
    )
    assert journey.status_code == 200, journey.text
    body = journey.json()
    legs = body["legs"]
    assert legs[0]["mode"] == "walk" and legs[-1]["mode"] == "walk"
    assert any(leg["mode"] == "transit" for leg in legs)
    times = [datetime.fromisoformat(t) for leg in legs for t in (leg["departure"], leg["arrival"])]
    assert times == sorted(times)
    assert datetime.fromisoformat(body["departure"]) == AT
    assert body["transfers"] == sum(1 for leg in legs if leg["mode"] == "transit") - 1


async def test_transit_bad_input(transit_client: httpx.AsyncClient) -> None:
    assert_problem(
        await transit_client.get(
            f"{API}/transport/transit-journey",
            params={
                "from_lat": -30.03,
                "from_lon": -51.23,
                "to_lat": -30.1,
                "to_lon": -51.2,
                "depart_at": "2024-01-10T13:00:00-03:00",
            },
        ),
        422,
        "no_transit_service",
    )
    assert_problem(
        await transit_client.get(
            f"{API}/transport/transit-journey",
            params={
                "from_lat": 0.0,
                "from_lon": 0.0,
                "to_lat": 0.1,
                "to_lon": 0.1,
                "depart_at": AT.isoformat(),
            },
        ),
        422,
        "invalid_transit_query",
    )
    for params in (
        {"lat": 100, "lon": 0},
        {"lat": 0, "lon": 0, "radius_m": 0},
        {"lat": 0, "lon": 0, "at": "2019-05-15T13:00:00"},
    ):
        assert_problem(
            await transit_client.get(f"{API}/transport/local-transit", params=params),
            422,
            "validation_error",
        )
    empty = await transit_client.get(f"{API}/transport/local-transit", params={"lat": 0, "lon": 0})
    assert empty.json()["stops"] == []


async def test_import_refuses_broken_feeds(app: FastAPI, tmp_path: Path) -> None:
    not_zip = tmp_path / "feed.zip"
    not_zip.write_text("stop_id,stop_name\n", encoding="utf-8")
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr(
            "agency.txt",
            "agency_id,agency_name,agency_url,agency_timezone\na,A,http://a,Europe/Helsinki\n",
        )
        zf.writestr("stops.txt", "stop_id,stop_name,stop_lat,stop_lon\ns1,One,60.1,24.9\n")
        zf.writestr(
            "calendar.txt",
            "service_id,monday,tuesday,wednesday,thursday,friday,"
            "saturday,sunday,start_date,end_date\nwk,1,1,1,1,1,0,0,20260601,20260630\n",
        )
    for path in (not_zip, broken):
        async with UnitOfWork(app.state.db, write=True) as uow:
            service = TransitService(TransitRepository(uow.session_source), Clock(), tmp_path)
            with pytest.raises(GtfsError) as raised:
                await service.import_feed("bad", path, lenient=False)
        assert not raised.value.report.ok
    assert "stop_times.txt" in raised.value.report.summary()
