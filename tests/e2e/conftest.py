"""The pages in a real browser: Debian's chromium driven by Playwright, against a real
`navio serve` process over a copy of the test catalogue (Helsinki's OpenStreetMap points of
interest and the GeoNames cities)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright, expect

from tests.conftest import REQUIRE_SERVICES
from tests.factories.mail import Mailbox, smtp_server
from tests.integration.processes import free_port, navio_env, processes, serve, wait_ready

CHROMIUM = Path(os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium"))
# what a page shows after an answer of the served API: on a machine busy with the rest of the
# suite, a geolocated search took longer than the 5 s default (test_stations, 2026-12-07)
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server the served Navio sends its e-mails to."""
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def site_database(places_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The served Navio's database: a copy of the catalogue (the session's catalogue file stays
    as the other tests expect it)."""
    source = places_sqlite_url.removeprefix("sqlite+aiosqlite:///")
    copy = tmp_path_factory.mktemp("e2e") / "site.db"
    with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return f"sqlite+aiosqlite:///{copy}"


TELEGRAM_BOT = "NavioE2EBot"
TELEGRAM_SECRET = "e2e-telegram-secret-0123456789"


@pytest.fixture(scope="module")
def site(site_database: str, mailbox: Mailbox) -> Iterator[str]:
    """The base URL of a served Navio on `site_database`; its e-mails go to `mailbox`, their
    links to itself."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = navio_env(
        NAVIO_DATABASE_URL=site_database,
        NAVIO_NOTIFICATIONS__SMTP_URL=mailbox.url,
        NAVIO_NOTIFICATIONS__PUBLIC_URL=base,
        NAVIO_NOTIFICATIONS__SEND_INTERVAL_SECONDS="0.2",
        # webhooks to a receiver on this machine, as in development
        NAVIO_NOTIFICATIONS__WEBHOOK_ALLOW_LOCAL="true",
        NAVIO_ASSISTANT__TELEGRAM_BOT_USERNAME=TELEGRAM_BOT,
        NAVIO_ASSISTANT__TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
    )
    with processes((serve(port), env)) as procs:
        wait_ready(base, procs, timeout=60)
        yield base


@pytest.fixture
async def api(site: str) -> AsyncIterator[httpx.AsyncClient]:
    """The served API, for what a test checks or prepares beside the browser."""
    async with httpx.AsyncClient(base_url=f"{site}/api/v1") as client:
        yield client


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"no chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (NAVIO_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            await launched.close()


@contextlib.asynccontextmanager
async def checked_context(browser: Browser, **options: Any) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (its own session storage) whose page errors fail the test."""
    made = await browser.new_context(locale="en-GB", timezone_id="Europe/Helsinki", **options)
    errors: list[str] = []
    made.on("weberror", lambda error: errors.append(str(error.error)))
    made.set_default_timeout(15_000)
    try:
        yield made
    finally:
        await made.close()
    assert not errors, errors


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    async with checked_context(browser) as made:
        yield made
