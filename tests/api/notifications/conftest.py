"""What the notifications tests share: an app that may send to this machine (webhooks and push
endpoints on http://127.0.0.1, as in development), with three attempts per delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import asgi_client, make_settings, running_app


@pytest.fixture
async def local_app(database_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url, notifications={"webhook_allow_local": True, "max_attempts": 3}
    )
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def local(local_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(local_app) as c:
        yield c
