"""The two search implementations (SQLite FTS5 + R*Tree, PostgreSQL tsvector + pg_trgm) give
the same answers on the same catalogue."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from navio.kernel.clock import Clock
from navio.kernel.db import Database, create_engine
from navio.kernel.uow import UnitOfWork
from navio.places import repository
from navio.places.repository import PlacesRepository
from navio.places.schemas import SearchParams
from navio.places.service import PlacesService

QUERIES: list[dict[str, Any]] = [
    {"q": "helsinki"},
    {"q": "helsnki"},
    {"q": "sao paulo"},
    {"q": "airport", "lat": 60.17, "lon": 24.94, "radius_m": 30_000},
    {"q": "museum", "lat": 60.17, "lon": 24.94, "radius_m": 2_000},
    {"q": "kahvi", "lat": 60.17, "lon": 24.94, "radius_m": 3_000},  # a prefix in an area
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


@pytest.mark.usefixtures("places_sqlite_url")
async def test_sqlite_area_plans_agree(
    places_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Words matched in Python for a small area, or by FTS5 inside the R*Tree: one answer."""
    chosen = await _answers(places_sqlite_url)
    monkeypatch.setattr(repository, "PYTHON_MATCH_COST", 0)  # Python whenever the words exist
    in_python = await _answers(places_sqlite_url)
    monkeypatch.setattr(repository, "SMALL_AREA_PLACES", 0)  # never Python
    by_index = await _answers(places_sqlite_url)
    assert in_python == by_index == chosen


@pytest.mark.usefixtures("places_sqlite_url")
async def test_sqlite_place_rank_follows_place_rows(places_sqlite_url: str) -> None:
    """The narrow place_rank copy (candidate order and filters) matches place_place after
    the import, and follows updates and deletes (checked inside a transaction rolled back)."""
    same = (
        "SELECT count(*) FROM place_place p JOIN place_rank r ON r.id = p.id "
        "WHERE r.popularity = p.popularity AND r.kind = p.kind AND r.category = p.category "
        "AND r.rating IS p.rating AND r.price_level IS p.price_level"
    )
    db = Database(create_engine(places_sqlite_url))
    try:
        async with db.session(write=True) as session:
            total = await session.scalar(text("SELECT count(*) FROM place_place"))
            assert total and await session.scalar(text(same)) == total
            assert await session.scalar(text("SELECT count(*) FROM place_rank")) == total
            some = await session.scalar(text("SELECT min(id) FROM place_place"))
            await session.execute(
                text("UPDATE place_place SET popularity = 0.123, rating = 4.5 WHERE id = :id"),
                {"id": some},
            )
            assert await session.scalar(
                text("SELECT popularity FROM place_rank WHERE id = :id"), {"id": some}
            ) == pytest.approx(0.123)
            await session.execute(text("DELETE FROM place_place WHERE id = :id"), {"id": some})
            assert await session.scalar(text("SELECT count(*) FROM place_rank")) == total - 1
            await session.rollback()
    finally:
        await db.dispose()
