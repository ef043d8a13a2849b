"""A journey from the catalogue that needs a flight, on SQLite and PostgreSQL: GeoNames' US
cities, TravelPlanner's San Diego places and the OpenFlights route network imported (joined to
airportsdata's airports by the network itself); Seattle to
San Diego is flown both ways (2,200 km by road is more than a day's drive), and without flights
there is no journey, for that reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI

from navio.kernel.clock import Clock
from navio.kernel.uow import UnitOfWork
from navio.places import importers
from navio.places.indexing import bulk_upsert
from navio.places.repository import PlacesRepository
from navio.transit import service as transit_service
from navio.transit.repository import TransitRepository
from navio.transit.service import TransitService
from tests.conftest import asgi_client, make_settings, running_app
from tests.factories.iam import assert_problem, user
from tests.factories.places import SHARED_DATA
from tests.factories.trips import API

ROUTES = SHARED_DATA / "openflights" / "routes.dat"


@pytest.fixture
async def flying(database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = make_settings(database_url, transit_cache_dir=str(tmp_path / "cache"))
    transit_service._MEMORY.clear()
    async with running_app(settings) as app:
        async with UnitOfWork(app.state.db, write=True) as uow:
            repo = PlacesRepository(uow.session_source)
            now = datetime.now(UTC)
            countries = importers.country_rows()
            await repo.upsert_countries(countries)
            names = {c["code"]: c["name"] for c in countries}
            cities = [r for r in importers.city_rows(names, 15_000) if r["country_code"] == "US"]
            await bulk_upsert(repo, "geonames", cities, now)
            summary = importers.ImportSummary("travelplanner")
            places = [
                r
                for r in importers.travelplanner_rows(SHARED_DATA / "travelplanner", summary)
                if r.get("locality") == "San Diego"
            ]
            await bulk_upsert(repo, "travelplanner", places, now)
            transit = TransitService(
                TransitRepository(uow.session_source), Clock(), tmp_path / "cache"
            )
            await transit.import_flights("openflights", ROUTES)
        yield app


async def test_seattle_to_san_diego_is_flown(flying: FastAPI) -> None:
    async with asgi_client(flying) as client:
        traveler = await user(client)
        body = {
            "origin": "Seattle",
            "destinations": ["San Diego"],
            "start": "2027-03-16",
            "days": 4,
            "people": 2,
            "budget": {"amount_minor": 400_000, "currency": "USD"},
        }
        response = await client.post(f"{API}/journeys/compose", json=body, headers=traveler.headers)
        assert response.status_code == 200, response.text
        journey = response.json()
        assert journey["violations"] == [] and journey["cities"] == ["San Diego"]
        rides = [d["ride"] for d in journey["days"] if d["ride"]]
        assert [r["mode"] for r in rides] == ["flight", "flight"]
        # door to door: the taxi to the airport, 90 minutes there, the flight, 30 after
        assert all(r["minutes"] > 150 + 120 for r in rides)
        assert journey["cost"]["transport_minor"] == sum(r["cost_minor"] for r in rides)

        grounded = body | {"excluded_modes": ["flight"]}
        response = await client.post(
            f"{API}/journeys/compose", json=grounded, headers=traveler.headers
        )
        problem = assert_problem(response, 422, "journey_infeasible")
        assert "no self-driving from Seattle to San Diego" in str(problem["reasons"])
        # a day's drive more is allowed when asked for: then the car goes
        long_day = grounded | {"max_road_minutes": 36 * 60}
        response = await client.post(
            f"{API}/journeys/compose", json=long_day, headers=traveler.headers
        )
        assert response.status_code == 200, response.text
        modes = {d["ride"]["mode"] for d in response.json()["days"] if d["ride"]}
        assert modes == {"self-driving"}
