"""Runs the places importers for the CLI: one transaction per import, Rich progress, summary."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from navio.kernel.db import Database, create_engine
from navio.kernel.uow import UnitOfWork
from navio.places import importers
from navio.places.repository import PlacesRepository
from navio.places.semantic import SemanticIndex
from navio.settings import Settings

Job = Callable[
    [PlacesRepository, datetime, Callable[[int], None]], Awaitable[importers.ImportSummary]
]


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


async def run_import(
    settings: Settings, label: str, job: Job, console: Console, total: int | None = None
) -> importers.ImportSummary:
    db = Database(create_engine(settings.database_url, pool_size=settings.database_pool_size))
    try:
        with _progress(console) as progress:
            task = progress.add_task(label, total=total)
            async with UnitOfWork(db, write=True) as uow:
                summary = await job(
                    PlacesRepository(uow.session_source),
                    datetime.now(UTC),
                    lambda n: progress.advance(task, n),
                )
            progress.update(
                task, completed=progress.tasks[0].completed, total=progress.tasks[0].completed
            )
        return summary
    finally:
        await db.dispose()


async def import_cities(
    settings: Settings, console: Console, min_population: int
) -> importers.ImportSummary:
    return await run_import(
        settings,
        f"cities (population ≥ {min_population})",
        lambda repo, now, progress: importers.import_cities(repo, now, progress, min_population),
        console,
    )


async def import_airports(settings: Settings, console: Console) -> importers.ImportSummary:
    return await run_import(settings, "airports", importers.import_airports, console)


async def import_travelplanner(
    settings: Settings, console: Console, directory: Path
) -> importers.ImportSummary:
    return await run_import(
        settings,
        f"TravelPlanner ({directory})",
        lambda repo, now, progress: importers.import_travelplanner(
            repo, directory, now, progress, SemanticIndex()
        ),
        console,
    )


async def import_osm(settings: Settings, console: Console, path: Path) -> importers.ImportSummary:
    return await run_import(
        settings,
        f"OpenStreetMap POIs ({path.name})",
        lambda repo, now, progress: importers.import_osm(
            repo, path, now, progress, SemanticIndex()
        ),
        console,
    )


async def import_hotel_prices(settings: Settings, path: Path, country: str) -> tuple[str, int, int]:
    """Learn seasonality from a hotel bookings CSV and keep the model (budgeting)."""
    import asyncio

    from navio.budgeting.repository import BudgetingRepository
    from navio.budgeting.seasonality import learn_file
    from navio.budgeting.service import BudgetingService
    from navio.kernel.clock import Clock
    from navio.kernel.fx import EcbRates

    model = await asyncio.to_thread(learn_file, path, country=country)
    db = Database(create_engine(settings.database_url, pool_size=settings.database_pool_size))
    try:
        async with UnitOfWork(db, write=True) as uow:
            service = BudgetingService(
                BudgetingRepository(uow.session_source), uow.events, Clock(), EcbRates()
            )
            await service.store_season_model(model)
    finally:
        await db.dispose()
    return model.source, model.rows_used, model.rows_skipped


async def import_gtfs(
    settings: Settings, path: Path, name: str, lenient: bool, console: Console
) -> Any:
    """Store a GTFS feed (transit) in one transaction; GtfsError when it does not compile."""
    from navio.kernel.clock import Clock
    from navio.transit.repository import TransitRepository
    from navio.transit.service import IMPORT_STAGES, TransitService

    db = Database(create_engine(settings.database_url, pool_size=settings.database_pool_size))
    try:
        async with UnitOfWork(db, write=True) as uow:
            service = TransitService(
                TransitRepository(uow.session_source), Clock(), Path(settings.transit_cache_dir)
            )
            with _progress(console) as progress:
                task = progress.add_task(f"{name}: starting", total=IMPORT_STAGES)
                started = False

                def stage(label: str) -> None:
                    nonlocal started
                    if started:
                        progress.advance(task)
                    started = True
                    progress.update(task, description=f"{name}: {label}")

                result = await service.import_feed(name, path, lenient=lenient, progress=stage)
                progress.update(task, completed=IMPORT_STAGES, description=f"{name}: stored")
            return result
    finally:
        await db.dispose()


async def import_flights(settings: Settings, path: Path, name: str) -> Any:
    """Store an airline route network (OpenFlights routes.dat format) in one transaction."""
    from navio.kernel.clock import Clock
    from navio.transit.repository import TransitRepository
    from navio.transit.service import TransitService

    db = Database(create_engine(settings.database_url, pool_size=settings.database_pool_size))
    try:
        async with UnitOfWork(db, write=True) as uow:
            service = TransitService(
                TransitRepository(uow.session_source), Clock(), Path(settings.transit_cache_dir)
            )
            return await service.import_flights(name, path)
    finally:
        await db.dispose()
