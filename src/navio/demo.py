"""`navio demo`: loads the demo data set. Each context adds its loader here as it lands."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from rich.console import Console

from navio import data_import
from navio.admin_setup import create_user
from navio.iam.domain import Role
from navio.places import importers
from navio.settings import Environment, Settings

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "helsinki-tram-line-7"


async def load_demo(settings: Settings, console: Console) -> dict[str, int]:
    summary: dict[str, int] = {}
    cities = await data_import.import_cities(settings, console, 500)
    summary["cities"] = cities.inserted + cities.updated
    airports = await data_import.import_airports(settings, console)
    summary["airports"] = airports.inserted + airports.updated
    helsinki = await data_import.import_osm(settings, console, importers.bundled_helsinki_extract())
    summary["Helsinki points of interest"] = helsinki.inserted + helsinki.updated
    if settings.env is Environment.DEVELOPMENT:
        # A local account so a newcomer can log in at once; never created outside development.
        created = await create_user(
            settings, DEMO_EMAIL, DEMO_PASSWORD, "Demo Traveller", [Role.TRAVELER]
        )
        summary["demo accounts created"] = int(created is not None)
        summary["demo trips planned"] = await _plan_demo_trip(settings)
        console.print(f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD} (development only)")
    return summary


async def _plan_demo_trip(settings: Settings) -> int:
    from navio.main import create_app  # the composition root, only for this

    app = create_app(settings, configure_logs=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            made = await plan_demo_trip(client, DEMO_EMAIL, DEMO_PASSWORD, date.today())
    return int(made is not None)


async def plan_demo_trip(
    client: httpx.AsyncClient, email: str, password: str, today: date
) -> str | None:
    """Three days in Helsinki a month from today, planned from the catalogue by the planner,
    made through the API as the traveler would; None when the account has a trip already (or
    the catalogue does not know Helsinki)."""
    api = "/api/v1"
    login = await client.post(f"{api}/auth/login", json={"email": email, "password": password})
    login.raise_for_status()
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    mine = await client.get(f"{api}/trips", headers=auth)
    mine.raise_for_status()
    if mine.json()["items"]:
        return None
    found = await client.get(
        f"{api}/search/suggest", params={"q": "Helsinki", "kind": "city", "limit": 1}
    )
    found.raise_for_status()
    cities = [c for c in found.json()["items"] if c["country_code"] == "FI"]
    if not cities:
        return None
    city = cities[0]
    start = today + timedelta(days=30)
    trip: dict[str, Any] = {
        "title": "Three days in Helsinki",
        "destinations": [
            {"name": city["name"], "country_code": "FI", "lat": city["lat"], "lon": city["lon"]}
        ],
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=2)).isoformat(),
        "timezone": "Europe/Helsinki",
        "travelers": 2,
        "currency": "EUR",
    }
    made = await client.post(f"{api}/trips", json=trip, headers=auth)
    made.raise_for_status()
    trip_id: str = made.json()["id"]
    plan = {"interests": ["museums", "architecture", "parks"], "day_end": "21:00:00"}
    planned = await client.post(f"{api}/planner/{trip_id}/generate", json=plan, headers=auth)
    planned.raise_for_status()
    return trip_id
