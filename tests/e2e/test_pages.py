"""A traveler's way through the pages in chromium: search, sign up, create a trip, plan it,
edit the plan, sign out; sign in with 2FA; and what a stranger sees of someone's trip."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pyotp
from playwright.async_api import BrowserContext, Page, expect

from tests.factories.iam import PASSWORD, unique_email
from tests.factories.trips import trip_body


async def _register(page: Page, site: str, name: str) -> str:
    email = unique_email("web")
    await page.goto(f"{site}/register")
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(f"{site}/trips")
    await expect(page.locator(".who")).to_have_text(name)
    return email


async def _token(page: Page) -> str:
    token: str = await page.evaluate("sessionStorage.getItem('navio.access')")
    return token


async def _api_user(api: httpx.AsyncClient) -> dict[str, str]:
    email = unique_email("web-api")
    made = await api.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Owner"}
    )
    assert made.status_code == 201, made.text
    tokens = await api.post("/auth/login", json={"email": email, "password": PASSWORD})
    return {"email": email, "Authorization": f"Bearer {tokens.json()['access_token']}"}


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


async def test_search_shows_what_the_api_finds(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    page = await context.new_page()
    await page.goto(site)
    await expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    await page.get_by_label(re.compile("City, place")).fill("museum")
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(f"{site}/?q=museum")
    found = (await api.get("/search", params={"q": "museum", "limit": 20})).json()
    assert found["items"], "the catalogue has museums"
    names = page.locator("#results li strong")
    await expect(names).to_have_text([hit["name"] for hit in found["items"]])
    await expect(page.locator("#search-summary")).to_contain_text(f"{found['total']} places")
    # the query is in the address: a reload (or a shared link) shows the same results
    await page.reload()
    await expect(names).to_have_text([hit["name"] for hit in found["items"]])


async def test_sign_up_create_plan_edit_and_sign_out(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    page = await context.new_page()
    await page.goto(f"{site}/trips")
    await expect(page).to_have_url(f"{site}/login?next=%2Ftrips")
    await page.get_by_role("link", name="Create an account").first.click()
    await _register(page, site, "Aino Traveler")
    await expect(page.locator("#no-trips")).to_be_visible()

    await page.get_by_label("Title").fill("Helsinki in June")
    await page.get_by_label("Destination city").fill("Helsinki")
    await page.get_by_label("From").fill("2027-06-01")
    await page.get_by_label("To").fill("2027-06-03")
    await page.get_by_label("Travelers").fill("2")
    await page.get_by_label("Destination time zone").fill("Europe/Helsinki")
    await page.get_by_role("button", name="Create trip").click()
    await expect(page).to_have_url(re.compile(rf"{site}/trips/[0-9a-f-]{{36}}$"))
    trip_id = page.url.rsplit("/", 1)[1]
    await expect(page.locator("#trip-title")).to_have_text("Helsinki in June")
    await expect(page.locator("#trip-meta")).to_contain_text("Helsinki")
    await expect(page.locator("#plan-status")).to_contain_text("No plan yet")

    await page.get_by_label(re.compile("Interests")).fill("museums, art, history")
    await page.get_by_label("Day ends").fill("21:30")
    await page.get_by_role("button", name="Plan my days").click()
    days = page.locator("section.day")
    await expect(days).to_have_count(3)
    await expect(page.locator("#plan-status")).to_contain_text("Plan version 1")
    await expect(page.locator("#plan-status")).to_contain_text("checked")

    # the page shows the plan the API holds, stop for stop, in order
    headers = {"Authorization": f"Bearer {await _token(page)}"}
    plan: dict[str, Any] = (await api.get(f"/planner/{trip_id}/itinerary", headers=headers)).json()
    for index, day in enumerate(plan["days"]):
        shown = days.nth(index).locator("li.stop")
        await expect(shown.locator("strong")).to_have_text([s["name"] for s in day["stops"]])
        times = await shown.locator(".time").all_inner_texts()
        spans = [tuple(_minutes(c) for c in t.split("\u2013")) for t in times]
        assert all(a < b for a, b in spans), spans
        assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1)), spans
        assert all(_minutes("09:00") <= a and b <= _minutes("21:30") for a, b in spans), spans
    visits = [s for d in plan["days"] for s in d["stops"] if s["kind"] == "visit"]
    assert len(visits) >= 6

    # remove the first visit: the planner re-optimises and the page shows version 2 without it
    gone = visits[0]
    await page.locator(f'[data-remove="{gone["id"]}"]').click()
    await expect(page.locator("#plan-status")).to_contain_text("Plan version 2")
    await expect(page.locator(f'li[data-stop="{gone["id"]}"]')).to_have_count(0)
    await page.reload()
    await expect(page.locator("#plan-status")).to_contain_text("Plan version 2")
    await expect(page.locator(f'li[data-stop="{gone["id"]}"]')).to_have_count(0)

    await page.goto(f"{site}/trips")
    await expect(page.locator("#trip-list a")).to_have_text(["Helsinki in June"])

    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(f"{site}/")
    await expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    await page.goto(f"{site}/trips/{trip_id}")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    # the signed-out tokens are refused by the API as well
    assert (await api.get("/trips", headers=headers)).status_code == 401


async def test_sign_in_with_two_factors(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    user = await _api_user(api)
    auth = {"Authorization": user["Authorization"]}
    secret = (await api.post("/auth/2fa/enable", headers=auth)).json()["secret"]
    verified = await api.post(
        "/auth/2fa/verify", json={"code": pyotp.TOTP(secret).now()}, headers=auth
    )
    assert verified.status_code == 200, verified.text

    page = await context.new_page()
    await page.goto(f"{site}/login?next=%2F%2Fevil.example%2F")
    await page.get_by_label("Email").fill(user["email"])
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page.locator("#mfa-form")).to_be_hidden()

    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#mfa-form")).to_be_visible()
    totp = pyotp.TOTP(secret)
    # the code of this step was spent on turning 2FA on (codes are single use): the next
    # step's is accepted (clock drift), a code of no nearby step is not
    valid = {totp.at(time.time() + 30 * k) for k in range(-2, 3)}
    await page.get_by_label("Code").fill(
        next(c for c in ("000000", "111111", "222222") if c not in valid)
    )
    await page.get_by_role("button", name="Verify").click()
    await expect(page.get_by_role("alert")).to_have_text("Invalid two-factor code")
    await page.get_by_label("Code").fill(totp.at(time.time() + 30))
    await page.get_by_role("button", name="Verify").click()
    # signed in, and sent to its own trips, never to another site named in `next`
    await expect(page).to_have_url(f"{site}/trips")
    await expect(page.locator(".who")).to_have_text("Owner")


async def test_a_stranger_sees_no_trip_but_their_own(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    owner = await _api_user(api)
    auth = {"Authorization": owner["Authorization"]}
    made = await api.post("/trips", json=trip_body(title="Private plans"), headers=auth)
    assert made.status_code == 201, made.text
    trip_id = made.json()["id"]

    page = await context.new_page()
    await _register(page, site, "Curious Stranger")
    await page.goto(f"{site}/trips/{trip_id}")
    await expect(page.locator("#trip-title")).to_have_text("Trip not found")
    await expect(page.locator("#planner")).to_be_hidden()
    await expect(page.get_by_text("Private plans")).to_have_count(0)
    await page.goto(f"{site}/trips")
    await expect(page.locator("#no-trips")).to_be_visible()
    await page.goto(f"{site}/trips/not-a-trip")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
