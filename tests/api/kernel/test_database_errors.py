"""PostgreSQL faults as a client sees them: a connection killed under the pool answers 503
`database_reconnect` once (retry), and the next request works on a fresh connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import PG_ADMIN_DSN, make_settings, running_app
from tests.factories.iam import user as make_user
from tests.factories.trips import API


@pytest.fixture
async def pg_client(postgres_url: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_app(make_settings(postgres_url, database_pool_size=1)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield app, client


async def test_a_killed_connection_is_a_retryable_503(
    pg_client: tuple[FastAPI, httpx.AsyncClient], postgres_url: str
) -> None:
    _, client = pg_client
    me = await make_user(client)
    assert (await client.get(f"{API}/wallet/balance", headers=me.headers)).status_code == 200
    database = postgres_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    assert killed >= 1
    outcomes = []
    for _ in range(4):
        response = await client.get(f"{API}/wallet/balance", headers=me.headers)
        outcomes.append(response.status_code)
        if response.status_code == 503:
            assert response.json()["code"] == "database_reconnect"
            assert response.headers["retry-after"] == "1"
    assert 503 in outcomes and 500 not in outcomes and outcomes[-1] == 200, outcomes
