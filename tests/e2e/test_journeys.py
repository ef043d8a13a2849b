"""A traveler shares their way from the trip page with the browser's position (emulated by
Playwright); another member of the trip sees it move and arrive, live."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.e2e.conftest import checked_context
from tests.e2e.test_pages import _api_trip, _api_user, _share, _sign_in

STATION = {"latitude": 60.17103, "longitude": 24.94142, "accuracy": 10}


@pytest.fixture
async def located(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A browser profile that lets the page read an emulated position."""
    async with checked_context(browser, geolocation=STATION, permissions=["geolocation"]) as made:
        yield made


async def test_a_shared_way_is_followed_live_until_arrival(
    located: BrowserContext, context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    host, walker = await _api_user(api, "Host"), await _api_user(api, "Walker")
    trip_id = await _api_trip(api, host, "Helsinki walk", "2027-06-01", "2027-06-02")
    await _share(api, host, trip_id, walker, "viewer")
    found = await api.get("/search/suggest", params={"q": "Helsinki Cathedral", "kind": "poi"})
    target = found.json()["items"][0]

    watcher = await context.new_page()
    await _sign_in(watcher, site, host, f"/trips/{trip_id}")
    page = await located.new_page()
    await _sign_in(page, site, walker, f"/trips/{trip_id}")
    await page.get_by_label("Share my way to").fill(target["label"])
    await page.get_by_role("button", name="Share my way").click()
    await expect(page.get_by_role("button", name="Stop sharing")).to_be_visible()
    mine = page.locator("#journey-list li")
    await expect(mine).to_contain_text(f"Walker → {target['name']}: ")
    await expect(mine).to_contain_text("km to go")  # the first position arrived
    theirs = watcher.locator("#journey-list li")
    await expect(theirs).to_contain_text(f"Walker → {target['name']}: ")
    await expect(theirs).to_contain_text("km to go")

    # the walker reaches the place: both pages say so, and the sharing stops
    await located.set_geolocation(
        {"latitude": target["lat"], "longitude": target["lon"], "accuracy": 10}
    )
    await expect(theirs).to_contain_text("arrived at")
    await expect(mine).to_contain_text("arrived at")
    await expect(page.get_by_role("button", name="Share my way")).to_be_visible()
    journeys = await api.get(
        f"/trips/{trip_id}/journeys", headers={"Authorization": host["Authorization"]}
    )
    [journey] = journeys.json()["items"]
    assert journey["status"] == "arrived" and journey["positions"] >= 2
