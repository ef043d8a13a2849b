"""A rider finds the swap station near them (the browser's position, emulated), queues there,
shows the code the staff scan, sees their turn come, and leaves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from navio.payments.providers.sandbox import CARD_SUCCESS
from tests.e2e.conftest import checked_context
from tests.e2e.test_pages import _api_user, _sign_in
from tests.factories.iam import PASSWORD
from tests.factories.stations import KAMPPI, station_body
from tests.integration.processes import grant_roles

HERE = {"latitude": KAMPPI[0] - 0.002, "longitude": KAMPPI[1], "accuracy": 20}


@pytest.fixture
async def located(browser: Browser) -> AsyncIterator[BrowserContext]:
    async with checked_context(browser, geolocation=HERE, permissions=["geolocation"]) as made:
        yield made


async def test_a_rider_queues_shows_the_code_and_is_called(
    located: BrowserContext, site: str, site_database: str, api: httpx.AsyncClient
) -> None:
    owner = await _api_user(api, "Station Owner")
    await grant_roles(site_database, owner["id"], ["operator", "traveler"])
    tokens = await api.post("/auth/login", json={"email": owner["email"], "password": PASSWORD})
    crew = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    made = await api.post("/stations", json=station_body(name="Kamppi swap point"), headers=crew)
    assert made.status_code == 201, made.text
    station_id = made.json()["id"]
    for serial, soc in (("E2E-1", 95), ("E2E-2", 30)):
        packed = await api.post(
            f"/stations/{station_id}/batteries", json={"serial": serial, "soc": soc}, headers=crew
        )
        assert packed.status_code == 201, packed.text
    rider = await _api_user(api, "Rider")

    page = await located.new_page()
    asked: list[str] = []  # the page's own reads of a ticket (its fallback when no socket)
    page.on(
        "request",
        lambda r: asked.append(r.url) if r.method == "GET" and "/api/v1/queue/" in r.url else None,
    )
    await _sign_in(page, site, rider, "/stations")
    await page.get_by_role("button", name="Find stations near me").click()
    card = page.locator("#station-list li", has_text="Kamppi swap point")
    await expect(card).to_contain_text("0.2 km")
    await expect(card).to_contain_text("1 charged, 0 queued · wait on arrival: no wait · €3.50")
    # the coming hours, in the station's time: nobody expected yet (no history), no wait
    await card.get_by_role("button", name="Coming hours").click()
    hours = card.locator("ol.hours li")
    await expect(hours).to_have_count(12)
    await expect(hours.first).to_contain_text("0.0 riders expected · no wait · the best time")
    # someone else queues first: the rider is second, waiting for the other pack to charge
    ahead = await _api_user(api, "Rider ahead")
    ahead_auth = {"Authorization": ahead["Authorization"]}
    first = await api.post(f"/stations/{station_id}/queue", headers=ahead_auth)
    assert first.status_code == 201, first.text
    await card.get_by_role("button", name="Queue here").click()
    await expect(page.locator("#ticket-status")).to_contain_text("Number 2 in the queue · about")
    # they leave: the rider's page moves up at once, pushed over the ticket's live socket
    left = await api.post(f"/queue/{first.json()['id']}/leave", headers=ahead_auth)
    assert left.status_code == 200, left.text
    await expect(page.locator("#ticket-status")).to_have_text("Number 1 in the queue · no wait")
    code = await page.locator("#ticket-code").text_content()
    assert code

    # the staff scan the code shown: the rider's page says it is their turn (no reload)
    called = await api.post(f"/stations/{station_id}/check-in", json={"qr": code}, headers=crew)
    assert called.status_code == 200, called.text
    await expect(page.locator("#ticket-status")).to_have_text("Your turn: a bay is yours.")
    assert asked == []  # all of it came over the socket
    # after a reload the page finds the place it keeps, and follows it again
    await page.reload()
    await expect(page.locator("#ticket-status")).to_have_text("Your turn: a bay is yours.")
    # queueing again elsewhere shows the place they have
    await page.get_by_role("button", name="Find stations near me").click()
    await card.get_by_role("button", name="Queue here").click()
    await expect(page.locator("#alert")).to_contain_text("leave that queue first")
    await page.get_by_role("button", name="Leave the queue").click()
    await expect(page.locator("#my-ticket")).to_be_hidden()
    ticket = await api.get(
        f"/queue/{called.json()['id']}", headers={"Authorization": rider["Authorization"]}
    )
    assert ticket.json()["status"] == "left"


async def test_a_rider_buys_a_swap_plan(
    located: BrowserContext, site: str, site_database: str, api: httpx.AsyncClient
) -> None:
    owner = await _api_user(api, "Plan Seller")
    await grant_roles(site_database, owner["id"], ["operator", "traveler"])
    tokens = await api.post("/auth/login", json={"email": owner["email"], "password": PASSWORD})
    crew = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    made = await api.post("/stations", json=station_body(name="Plan swap point"), headers=crew)
    assert made.status_code == 201, made.text
    plan = await api.post(
        "/stations/plans",
        json={
            "name": "Five swaps",
            "swaps": 5,
            "price_minor": 1500,
            "currency": "EUR",
            "valid_days": 30,
        },
        headers=crew,
    )
    assert plan.status_code == 201, plan.text
    rider = await _api_user(api, "Plan Rider")
    auth = {"Authorization": rider["Authorization"]}
    funded = await api.post(
        "/wallet/top-up",
        json={"amount_minor": 2000, "currency": "EUR", "payment_method": CARD_SUCCESS},
        headers=auth,
    )
    assert funded.status_code == 201, funded.text

    page = await located.new_page()
    await _sign_in(page, site, rider, "/stations")
    await expect(page.locator("#credits")).to_be_hidden()
    await page.get_by_role("button", name="Find stations near me").click()
    card = page.locator("#station-list li.card", has_text="Plan swap point")
    await card.get_by_role("button", name="Swap plans").click()
    offer = card.locator("ul.plans li", has_text="Five swaps")
    await expect(offer).to_contain_text("Five swaps: 5 swaps for €15.00, 30 days")
    await offer.get_by_role("button", name="Buy").click()
    await expect(page.locator("#alert")).to_contain_text("Bought: 5 swaps until")
    await expect(page.locator("#credit-list li")).to_contain_text("5 of 5 swaps left")
    balance = (await api.get("/wallet/balance", headers=auth)).json()["balances"]
    assert [b["available_minor"] for b in balance if b["currency"] == "EUR"] == [500]
