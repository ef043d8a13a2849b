"""Importers on real files: idempotent re-runs keep the index statistics exact; bad files are
refused with a clear error and nothing written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from navio.kernel.uow import UnitOfWork
from navio.places import domain, importers
from navio.places.models import Place, Term
from navio.places.osm import OsmFileError
from navio.places.repository import PlacesRepository
from tests.factories.places import SHARED_DATA

POA = SHARED_DATA / "osm" / "poa_osm.pbf"


async def _state(app: FastAPI) -> tuple[int, dict[str, int], tuple[int, float]]:
    async with UnitOfWork(app.state.db, write=False) as uow:
        repo = PlacesRepository(uow.session_source)
        count = await repo.count()
        rows = await uow.session.execute(select(Term.term, Term.doc_count))
        terms = {str(t): int(c) for t, c in rows.all()}
        return count, terms, await repo.document_stats()


async def _expected_terms(app: FastAPI) -> dict[str, int]:
    async with UnitOfWork(app.state.db, write=False) as uow:
        texts = (await uow.session.execute(select(Place.search_text))).scalars().all()
    counts: dict[str, int] = {}
    for text in texts:
        for token in set(text.split()):
            counts[token] = counts.get(token, 0) + 1
    return counts


async def test_osm_import_is_idempotent_and_statistics_stay_exact(app: FastAPI) -> None:
    async with UnitOfWork(app.state.db, write=True) as uow:
        first = await importers.import_osm(
            PlacesRepository(uow.session_source), POA, datetime.now(UTC)
        )
    assert first.inserted == 71 and first.updated == 0
    count, terms, stats = await _state(app)
    assert count == 71
    assert terms == await _expected_terms(app)  # document frequencies match the rows
    async with UnitOfWork(app.state.db, write=False) as uow:
        total_tokens = sum(
            len(t.split()) for t in (await uow.session.execute(select(Place.search_text))).scalars()
        )
    assert stats == (71, pytest.approx(total_tokens / 71))

    async with UnitOfWork(app.state.db, write=True) as uow:
        second = await importers.import_osm(
            PlacesRepository(uow.session_source), POA, datetime.now(UTC)
        )
    assert (second.inserted, second.updated) == (0, 71)
    assert await _state(app) == (count, terms, stats)

    async with UnitOfWork(app.state.db, write=False) as uow:
        airport = await uow.session.scalar(
            select(Place).where(Place.source == "osm", Place.category == "airport")
        )
        hours = await uow.session.scalar(
            select(func.count()).select_from(Place).where(Place.opening_hours_valid.is_(True))
        )
    assert airport is not None and airport.timezone == "America/Sao_Paulo"
    assert airport.name_folded == domain.fold(airport.name)
    assert hours == 8


async def test_not_a_pbf_is_refused_and_nothing_written(app: FastAPI, tmp_path: Path) -> None:
    bogus = tmp_path / "map.pbf"
    bogus.write_text("this is not OpenStreetMap data")
    with pytest.raises(OsmFileError):
        async with UnitOfWork(app.state.db, write=True) as uow:
            await importers.import_osm(
                PlacesRepository(uow.session_source), bogus, datetime.now(UTC)
            )
    assert (await _state(app))[0] == 0


async def test_travelplanner_folder_must_have_its_files(app: FastAPI, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"attractions\.csv"):
        async with UnitOfWork(app.state.db, write=True) as uow:
            await importers.import_travelplanner(
                PlacesRepository(uow.session_source), tmp_path, datetime.now(UTC)
            )
    assert (await _state(app))[0] == 0
