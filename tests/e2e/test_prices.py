"""A traveler near Kamppi asks whether a cappuccino's price is fair (the browser's position,
emulated), sees what others paid there, and reports what they paid; signed out, they can ask but
are not offered the report form."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.e2e.conftest import checked_context
from tests.e2e.test_pages import _api_user, _sign_in
from tests.factories.stations import KAMPPI

HERE = {"latitude": KAMPPI[0], "longitude": KAMPPI[1], "accuracy": 20}
# what five people paid for a cappuccino around Kamppi, in cents
PAID = (420, 450, 460, 480, 520)


@pytest.fixture
async def located(browser: Browser) -> AsyncIterator[BrowserContext]:
    async with checked_context(browser, geolocation=HERE, permissions=["geolocation"]) as made:
        yield made


async def test_a_traveler_checks_a_price_and_reports_theirs(
    located: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    for index, cents in enumerate(PAID):
        someone = await _api_user(api, f"Coffee drinker {index}")
        sent = await api.post(
            "/pricing/reports",
            json={
                "item": "coffee",
                "amount_minor": cents,
                "currency": "EUR",
                "lat": KAMPPI[0] + 0.001 * index,
                "lon": KAMPPI[1],
            },
            headers={"Authorization": someone["Authorization"]},
        )
        assert sent.status_code == 201, sent.text

    page = await located.new_page()
    await page.goto(f"{site}/prices")
    await expect(page.locator("#tell")).to_be_hidden()  # signed out: ask only
    await page.get_by_label("What").select_option("coffee")
    await page.get_by_label("Price asked (optional)").fill("9.50")
    await page.get_by_role("button", name="Is it fair here?").click()
    await expect(page.locator("#verdict")).to_contain_text("Overpriced")
    await expect(page.locator("#estimate")).to_contain_text("median €4.60 · 5 travelers")

    traveler = await _api_user(api, "Traveler")
    await _sign_in(page, site, traveler, "/prices")
    await page.get_by_label("What").select_option("coffee")
    await page.get_by_label("You paid").fill("4.70")
    await page.get_by_role("button", name="Report the price").click()
    await expect(page.locator("#reported")).to_have_text("Thank you: €4.70 reported.")
    await expect(page.locator("#estimate")).to_contain_text("6 travelers")
    mine = await api.get(
        "/pricing/reports/mine", headers={"Authorization": traveler["Authorization"]}
    )
    assert [(r["item"], r["amount_minor"]) for r in mine.json()["items"]] == [("coffee", 470)]
    # the same spot, the same day: refused, and said so
    await page.get_by_label("You paid").fill("4.80")
    await page.get_by_role("button", name="Report the price").click()
    await expect(page.locator("#alert")).to_contain_text("one report per item, spot and day")

    # the traveler watches the price here: listed, and gone when they stop
    await page.get_by_label("Tell me when prices go").select_option("down")
    await page.get_by_role("button", name="Watch").click()
    watched = page.locator("#watch-list li")
    await expect(watched).to_have_count(1)
    await expect(watched.first).to_contain_text("Cappuccino in a cafe within 2 km, down")
    kept = await api.get("/pricing/watches", headers={"Authorization": traveler["Authorization"]})
    assert [(w["item"]["code"], w["direction"]) for w in kept.json()] == [("coffee", "down")]
    await watched.first.get_by_role("button", name="Stop watching").click()
    await expect(watched).to_have_count(0)
    await expect(page.locator("#no-watches")).to_be_visible()
