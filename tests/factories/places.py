"""A real, small catalogue for tests: GeoNames cities and airportsdata airports of a few
countries, and TravelPlanner places of a few US cities, loaded through the real importers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from navio.kernel.db import Database, create_engine
from navio.kernel.uow import UnitOfWork
from navio.places import importers
from navio.places.indexing import bulk_upsert
from navio.places.repository import PlacesRepository
from navio.places.semantic import SemanticIndex

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
COUNTRIES = frozenset({"FI", "BR", "FR", "US", "JP", "GB", "PT", "DE"})
US_CITIES = frozenset({"San Diego", "Seattle", "Chicago"})


async def load_catalogue(url: str) -> None:
    db = Database(create_engine(url))
    try:
        async with UnitOfWork(db, write=True) as uow:
            repo = PlacesRepository(uow.session_source)
            if await repo.count():
                return
            now = datetime.now(UTC)
            countries = importers.country_rows()
            await repo.upsert_countries(countries)
            names = {c["code"]: c["name"] for c in countries}
            cities = [
                r for r in importers.city_rows(names, 15_000) if r["country_code"] in COUNTRIES
            ]
            await bulk_upsert(repo, "geonames", cities, now)
            airports = [r for r in importers.airport_rows(names) if r["country_code"] in COUNTRIES]
            await bulk_upsert(repo, "airportsdata", airports, now)
            summary = importers.ImportSummary("travelplanner")
            places = [
                r
                for r in importers.travelplanner_rows(SHARED_DATA / "travelplanner", summary)
                if r.get("locality") in US_CITIES
            ]
            semantic = SemanticIndex()
            await bulk_upsert(repo, "travelplanner", places, now, semantic)
            osm = importers.ImportSummary("osm")
            pois = list(importers.osm_rows(importers.bundled_helsinki_extract(), osm))
            await bulk_upsert(repo, "osm", pois, now, semantic)
    finally:
        await db.dispose()
