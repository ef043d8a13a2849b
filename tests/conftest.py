"""Fixtures: every API test runs on SQLite and on PostgreSQL; Redis tests on the real server.

Each test gets a fresh app over a database migrated once per session and emptied after the
test (the unit of work commits for real, so tests see exactly what clients would)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
import redis as sync_redis
import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy import text

from navio.kernel.db import Base, Database
from navio.kernel.observability import configure_logging
from navio.main import create_app
from navio.migrate import upgrade
from navio.models import import_all_models
from navio.settings import Settings

import_all_models()

PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
REQUIRE_SERVICES = os.environ.get("NAVIO_REQUIRE_SERVICES") == "1"
TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"


# The longest tests (the API fuzzing, about 100 s on SQLite and 125 s on PostgreSQL) start first:
# xdist deals the first tests out one per worker, so each worker takes one of them while the
# other tests fill in around; collected last, they left one worker running alone at the end.
_SLOW_FIRST = ("tests/integration/test_api_fuzz.py::",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(_SLOW_FIRST))


def service_missing(what: str, exc: BaseException) -> None:
    message = f"{what} unavailable: {type(exc).__name__}: {exc}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (NAVIO_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def json_logs() -> None:
    # The same logging as production (JSON, redacted); cheap tracebacks in test output.
    configure_logging("WARNING", json=True)


@pytest.fixture(scope="session")
def worker_tag(worker_id: str) -> str:
    return "main" if worker_id == "master" else worker_id


@pytest.fixture(scope="session")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "navio.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    return url


async def _fresh_postgres(name: str) -> str:
    try:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        service_missing("PostgreSQL", exc)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    await asyncio.to_thread(upgrade, url)
    return url


async def _drop_postgres(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def postgres_url(worker_tag: str) -> AsyncIterator[str]:
    name = f"navio_test_{worker_tag}_{os.getpid()}"
    yield await _fresh_postgres(name)
    await _drop_postgres(name)


@pytest.fixture(scope="session")
def redis_url(worker_tag: str) -> str:
    # One logical database per xdist worker keeps parallel tests apart.
    index = 15 - (int(worker_tag[2:]) if worker_tag.startswith("gw") else 0) % 8
    url = f"{REDIS_URL}/{index}"
    client = sync_redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except (OSError, sync_redis.RedisError) as exc:
        service_missing("Redis", exc)
    finally:
        client.close()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": TEST_SECRET,
        "database_url": database_url,
        "database_pool_size": 5,
        "log_level": "WARNING",
        # Tests deliver events deterministically with `await app.state.relay.drain()`.
        "outbox": {"run_in_api": False},
    }
    values.update(overrides)
    return Settings(**values)


# Catalogue tables loaded once per session by the places fixtures; tests that write to them
# clean up what they wrote.
CATALOGUE = frozenset({"place_place", "place_country", "place_term", "place_index_stat"})


async def empty_database(db: Database, keep: frozenset[str] = frozenset()) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in keep]
    async with db.transaction() as session:
        if db.dialect == "postgresql":
            await session.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await session.execute(text(f"DELETE FROM {table}"))


async def flush_redis(url: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


@asynccontextmanager
async def running_app(
    settings: Settings, keep: frozenset[str] = frozenset()
) -> AsyncIterator[FastAPI]:
    """A started app over `settings`; on leaving the block it stops and the database is emptied.

    A context manager, not a bare async generator: leaving an `async for` over a generator
    early (a `break`, a `return`, an exception) left it suspended, and its clean-up (which
    empties the shared test database) ran whenever the generator was collected, on the
    session's event loop, in the middle of a later test."""
    app = create_app(settings, configure_logs=False)
    async with app.router.lifespan_context(app):
        try:
            yield app
        finally:
            await app.state.relay.stop()
            await empty_database(app.state.db, keep)


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    async with running_app(make_settings(database_url)) as instance:
        yield instance


@asynccontextmanager
async def asgi_client(
    app: FastAPI, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to `app` in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
        yield c


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as c:
        yield c


@pytest.fixture(params=["memory", "redis"])
def cache_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        return url
    return None


@pytest.fixture
async def cache_app(cache_url: str | None, database_url: str) -> AsyncIterator[FastAPI]:
    """An app whose cache (rate limits, revocations, `me`) is in-process or the real Redis, over
    SQLite or PostgreSQL: the embedded mode, the scaled-out one and the two mixed."""
    if cache_url:
        await flush_redis(cache_url)
    async with running_app(make_settings(database_url, redis_url=cache_url)) as instance:
        yield instance


@pytest.fixture
async def cache_client(cache_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(cache_app) as c:
        yield c


@pytest.fixture(scope="session")
async def places_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.factories.places import load_catalogue

    path = tmp_path_factory.mktemp("places") / "places.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    await load_catalogue(url)
    return url


@pytest.fixture(scope="session")
async def places_postgres_url(worker_tag: str) -> AsyncIterator[str]:
    from tests.factories.places import load_catalogue

    name = f"navio_places_{worker_tag}_{os.getpid()}"
    url = await _fresh_postgres(name)
    await load_catalogue(url)
    yield url
    await _drop_postgres(name)


@pytest.fixture(params=["sqlite", "postgres"])
def places_database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"places_{request.param}_url")
    return url


@pytest.fixture
async def places_app(places_database_url: str) -> AsyncIterator[FastAPI]:
    async with running_app(make_settings(places_database_url), keep=CATALOGUE) as instance:
        yield instance


@pytest.fixture
async def places_client(places_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(places_app) as c:
        yield c
