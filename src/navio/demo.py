"""`navio demo`: loads the demo data set. Each context adds its loader here as it lands."""

from __future__ import annotations

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
        console.print(f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD} (development only)")
    return summary
