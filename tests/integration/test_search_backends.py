"""The two search implementations (SQLite FTS5 + R*Tree, PostgreSQL tsvector + pg_trgm) give
the same answers on the same catalogue."""

from __future__ import annotations

from typing import Any

import pytest

from navio.kernel.clock import Clock
from navio.kernel.db import Database, create_engine
from navio.kernel.uow import UnitOfWork
from navio.places.repository import PlacesRepository
from navio.places.schemas import SearchParams
from navio.places.service import PlacesService

QUERIES: list[dict[str, Any]] = [
    {"q": "helsinki"},
    {"q": "helsnki"},
    {"q": "sao paulo"},
    {"q": "airport", "lat": 60.17, "lon": 24.94, "radius_m": 30_000},
    {"q": "museum", "lat": 60.17, "lon": 24.94, "radius_m": 2_000},
    {"q": "cafe near Senate Square"},
    {"q": "seafood", "category": ["restaurant"], "min_rating": 4},
    {"lat": 60.17, "lon": 24.94, "radius_m": 500, "category": ["restaurant"]},
]


async def _answers(url: str) -> list[list[tuple[str, str]]]:
    db = Database(create_engine(url))
    answers = []
    try:
        for query in QUERIES:
            async with UnitOfWork(db, write=False) as uow:
                service = PlacesService(PlacesRepository(uow.session_source), uow.events, Clock())
                result = await service.search(SearchParams(**query, limit=5))
                answers.append([(h.name, h.category) for h in result.items])
    finally:
        await db.dispose()
    return answers


@pytest.mark.usefixtures("places_sqlite_url", "places_postgres_url")
async def test_same_results_on_both_backends(
    places_sqlite_url: str, places_postgres_url: str
) -> None:
    sqlite = await _answers(places_sqlite_url)
    postgres = await _answers(places_postgres_url)
    for query, a, b in zip(QUERIES, sqlite, postgres, strict=True):
        assert a, query
        assert a == b, (query, a, b)
