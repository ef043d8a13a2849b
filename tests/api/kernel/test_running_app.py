"""The test harness's `running_app` cleans up when its block is left, however it is left.

It used to be an async generator driven by `async for`: a `break` or an exception left the
generator suspended, and its clean-up (stopping the relay, emptying the shared test database)
ran whenever the generator was collected, on the session's event loop, in the middle of a later
test; one such test then lost the user it had just registered (401 on its login).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

import httpx
import pytest
from fastapi import FastAPI

from navio.iam.models import User
from tests.conftest import make_settings, running_app
from tests.factories.iam import register


def _users(sqlite_url: str) -> int:
    """Counted without awaiting: a clean-up still pending on the event loop cannot run first."""
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {User.__tablename__}").fetchone()[0])


async def _register_in(app: FastAPI) -> str:
    """The id of a user registered through the app's API."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return str((await register(c))["id"])


async def test_leaving_by_an_exception_empties_the_database_at_once(sqlite_url: str) -> None:
    async def register_then_fail() -> None:
        async with running_app(make_settings(sqlite_url)) as app:
            await _register_in(app)
            raise RuntimeError("leave early")

    with pytest.raises(RuntimeError, match="leave early"):
        await register_then_fail()
    assert _users(sqlite_url) == 0


async def test_returning_from_the_block_empties_the_database_at_once(sqlite_url: str) -> None:
    async def register_and_return() -> str:
        async with running_app(make_settings(sqlite_url)) as app:
            return await _register_in(app)

    assert await register_and_return()
    assert _users(sqlite_url) == 0
