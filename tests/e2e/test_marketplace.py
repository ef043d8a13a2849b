"""A traveler finds a verified operator's tour on the tours page, books seats on a date from
their wallet and sees the seats left go down; a review before the tour is refused with the
reason; reviews others wrote are shown with the operator's answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import BrowserContext, expect

from navio.payments.providers.sandbox import CARD_SUCCESS
from tests.e2e.test_pages import _api_user, _sign_in
from tests.factories.iam import PASSWORD
from tests.factories.marketplace import listing_body, operator_body
from tests.integration.processes import grant_roles

Headers = dict[str, str]


async def _verified_seller(api: httpx.AsyncClient, database: str) -> Headers:
    seller, boss = await _api_user(api, "Seller"), await _api_user(api, "Admin")
    await grant_roles(database, seller["id"], ["operator", "traveler"])
    await grant_roles(database, boss["id"], ["admin", "traveler"])

    async def signed_in(user: dict[str, str]) -> Headers:
        tokens = await api.post("/auth/login", json={"email": user["email"], "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        return {"Authorization": f"Bearer {tokens.json()['access_token']}"}

    seller_headers, boss_headers = await signed_in(seller), await signed_in(boss)
    made = await api.post("/marketplace/operator", json=operator_body(), headers=seller_headers)
    assert made.status_code == 201, made.text
    decided = await api.post(
        f"/admin/marketplace/operators/{made.json()['id']}/kyc",
        json={"decision": "verified"},
        headers=boss_headers,
    )
    assert decided.status_code == 200, decided.text
    return seller_headers


async def _tour(api: httpx.AsyncClient, seller: Headers, **listing: Any) -> str:
    made = await api.post("/marketplace/listings", json=listing_body(**listing), headers=seller)
    assert made.status_code == 201, made.text
    listing_id: str = made.json()["id"]
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    slots = await api.post(
        f"/marketplace/listings/{listing_id}/slots",
        json={"from_date": day, "to_date": day, "times": ["10:00"], "capacity": 5},
        headers=seller,
    )
    assert slots.status_code == 201, slots.text
    published = await api.post(
        f"/marketplace/listings/{listing_id}/status", json={"status": "published"}, headers=seller
    )
    assert published.status_code == 200, published.text
    return listing_id


async def _went_and_reviewed(api: httpx.AsyncClient, seller: Headers, listing_id: str) -> None:
    """Another traveler went on a date that began a moment after they booked it, reviewed the
    tour, and the seller answered."""
    other = await _api_user(api, "Early Bird")
    headers = {"Authorization": other["Authorization"]}
    funded = await api.post(
        "/wallet/top-up",
        json={"amount_minor": 5_000, "currency": "EUR", "payment_method": CARD_SUCCESS},
        headers=headers,
    )
    assert funded.status_code == 201, funded.text
    soon = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    local = soon.astimezone(ZoneInfo("Europe/Helsinki"))
    made = await api.post(
        f"/marketplace/listings/{listing_id}/slots",
        json={
            "from_date": local.date().isoformat(),
            "to_date": local.date().isoformat(),
            "times": [local.time().isoformat()],
            "capacity": 2,
        },
        headers=seller,
    )
    assert made.json()["created"] == 1, made.text
    [slot] = (
        await api.get(
            f"/marketplace/listings/{listing_id}/availability",
            params={"to": (soon + timedelta(seconds=1)).isoformat()},
        )
    ).json()
    booked = await api.post(
        "/bookings", json={"listing": {"slot_id": slot["id"], "seats": 1}}, headers=headers
    )
    assert booked.status_code == 201, booked.text
    await asyncio.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
    review = await api.post(
        f"/marketplace/listings/{listing_id}/reviews",
        json={"rating": 4, "body": "The guide knew every wall."},
        headers=headers,
    )
    assert review.status_code == 201, review.text
    replied = await api.post(
        f"/marketplace/reviews/{review.json()['id']}/reply",
        json={"reply": "Thank you!"},
        headers=seller,
    )
    assert replied.status_code == 200, replied.text


async def test_a_traveler_finds_books_and_is_told_when_to_review(
    context: BrowserContext, site: str, site_database: str, api: httpx.AsyncClient
) -> None:
    seller = await _verified_seller(api, site_database)
    title = f"Fortress walk {datetime.now(UTC).timestamp():.0f}"
    listing_id = await _tour(api, seller, title=title)
    traveler = await _api_user(api, "Traveler")
    funded = await api.post(
        "/wallet/top-up",
        json={"amount_minor": 10_000, "currency": "EUR", "payment_method": CARD_SUCCESS},
        headers={"Authorization": traveler["Authorization"]},
    )
    assert funded.status_code == 201, funded.text

    await _went_and_reviewed(api, seller, listing_id)

    page = await context.new_page()
    await _sign_in(page, site, traveler, "/experiences")
    await page.get_by_label("Looking for").fill(title)
    await page.get_by_role("button", name="Search").click()
    card = page.locator("#listing-list li")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("Saaristo Tours · from €25.00 · 4.0 of 5 (1 review)")
    await card.get_by_role("link", name=title).click()
    await expect(page).to_have_url(f"{site}/experiences/{listing_id}")
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await expect(page.locator("#listing-terms")).to_contain_text(
        "Free cancellation until 24 hours before the start, then 50 % back."
    )
    date = page.get_by_label("Date")
    await expect(date.locator("option")).to_have_count(1)
    await expect(date.locator("option")).to_contain_text("5 seats left")

    await page.get_by_label("Seats").fill("2")
    await page.get_by_role("button", name="Book and pay from my wallet").click()
    await expect(page.locator("#booked")).to_contain_text(f"Booked: {title} (2 seats)")
    await expect(page.locator("#booked")).to_contain_text("€50.00 (confirmed)")
    await expect(date.locator("option")).to_contain_text("3 seats left")
    balance = await api.get("/wallet/balance", headers={"Authorization": traveler["Authorization"]})
    assert balance.json()["balances"][0]["available_minor"] == 5_000

    # more seats than are left: the API's reason, and nothing booked
    await page.get_by_label("Seats").fill("4")
    await page.get_by_role("button", name="Book and pay from my wallet").click()
    await expect(page.locator("#alert")).to_contain_text("3 seats left")

    # the tour has not begun: a review is refused with the reason
    await page.get_by_label("Your review").fill("Can't wait!")
    await page.get_by_role("button", name="Post review").click()
    await expect(page.locator("#alert")).to_contain_text(
        "Only travelers booked on the listing review it, once it has begun"
    )
    await expect(page.locator("#review-summary")).to_have_text("4.0 of 5 (1 review)")
    review = page.locator("#review-list li")
    await expect(review).to_have_count(1)
    await expect(review).to_contain_text("★★★★☆")
    await expect(review).to_contain_text("The guide knew every wall.")
    await expect(review).to_contain_text("The operator answered: Thank you!")
