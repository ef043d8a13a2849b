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


async def _api_user(api: httpx.AsyncClient, name: str = "Owner") -> dict[str, str]:
    email = unique_email("web-api")
    made = await api.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert made.status_code == 201, made.text
    tokens = await api.post("/auth/login", json={"email": email, "password": PASSWORD})
    return {
        "id": made.json()["id"],
        "email": email,
        "Authorization": f"Bearer {tokens.json()['access_token']}",
    }


async def _api_trip(
    api: httpx.AsyncClient, user: dict[str, str], title: str, start: str, end: str
) -> str:
    made = await api.post(
        "/trips",
        json=trip_body(title=title, start_date=start, end_date=end),
        headers={"Authorization": user["Authorization"]},
    )
    assert made.status_code == 201, made.text
    trip_id: str = made.json()["id"]
    return trip_id


async def _share(
    api: httpx.AsyncClient, owner: dict[str, str], trip_id: str, who: dict[str, str], role: str
) -> None:
    shared = await api.post(
        f"/trips/{trip_id}/collaborators",
        json={"user_id": who["id"], "role": role},
        headers={"Authorization": owner["Authorization"]},
    )
    assert shared.status_code == 201, shared.text


async def _sign_in(page: Page, site: str, user: dict[str, str], next_path: str) -> None:
    await page.goto(f"{site}/login?next={next_path}")
    await page.get_by_label("Email").fill(user["email"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{site}{next_path}")


async def _shows(page: Page, plan: dict[str, Any]) -> None:
    """The page shows this version of the plan, stop for stop, day by day."""
    await expect(page.locator("#plan-status")).to_contain_text(f"Plan version {plan['version']}")
    days = page.locator("section.day")
    await expect(days).to_have_count(len(plan["days"]))
    for index, day in enumerate(plan["days"]):
        names = days.nth(index).locator("li.stop strong")
        await expect(names).to_have_text([s["name"] for s in day["stops"]])


def _visit_ids(plan: dict[str, Any], day: int) -> list[str]:
    return [s["id"] for s in plan["days"][day - 1]["stops"] if s["kind"] == "visit"]


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
    await page.locator(f'[data-action="remove"][data-stop="{gone["id"]}"]').click()
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

    # without the authenticator: a recovery code signs in once, and only once
    recovery = verified.json()["recovery_codes"][0]
    for attempt in range(2):
        await page.get_by_role("button", name="Sign out").click()
        await expect(page).to_have_url(f"{site}/")
        await page.goto(f"{site}/login")
        await page.get_by_label("Email").fill(user["email"])
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_label("Code").fill(recovery)
        await page.get_by_role("button", name="Verify").click()
        if attempt == 0:
            await expect(page).to_have_url(f"{site}/trips")
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page).to_have_url(f"{site}/login")


async def test_a_stranger_sees_no_trip_but_their_own(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    owner = await _api_user(api)
    trip_id = await _api_trip(api, owner, "Private plans", "2027-06-01", "2027-06-05")

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


async def test_reorder_lock_add_and_a_stale_edit(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    owner = await _api_user(api)
    auth = {"Authorization": owner["Authorization"]}
    trip_id = await _api_trip(api, owner, "Edited plans", "2027-06-01", "2027-06-03")
    request = {"interests": ["museums", "art", "history"], "day_end": "21:30:00", "seed": 7}
    generated = await api.post(f"/planner/{trip_id}/generate", json=request, headers=auth)
    assert generated.status_code == 200, generated.text
    plan = generated.json()

    page = await context.new_page()
    await _sign_in(page, site, owner, f"/trips/{trip_id}")
    await _shows(page, plan)

    async def latest() -> dict[str, Any]:
        answer: dict[str, Any] = (
            await api.get(f"/planner/{trip_id}/itinerary", headers=auth)
        ).json()
        return answer

    # move the first visit of day 1 one place later: the day starts in the traveler's order
    first, second = _visit_ids(plan, 1)[:2]
    await page.locator(f'[data-action="down"][data-stop="{first}"]').click()
    await expect(page.locator("#plan-status")).to_contain_text("Plan version 2")
    plan = await latest()
    assert _visit_ids(plan, 1)[:2] == [second, first]
    await _shows(page, plan)

    ordered = page.locator(f'li[data-stop="{first}"]')
    await expect(ordered.locator(".pinned")).to_have_text("in your order")

    # lock a visit the order left free: it stays on the day, no longer removable; then unlock it
    third = _visit_ids(plan, 1)[2]
    await page.locator(f'[data-action="lock"][data-stop="{third}"]').click()
    await expect(page.locator("#plan-status")).to_contain_text("Plan version 3")
    plan = await latest()
    locked = {s["id"]: s["ordered"] for s in plan["days"][0]["stops"] if s["locked"]}
    assert locked == {second: True, first: True, third: False}
    await _shows(page, plan)
    stop = page.locator(f'li[data-stop="{third}"]')
    await expect(stop.locator(".pinned")).to_have_text("locked")
    await expect(stop.locator('[data-action="remove"]')).to_have_count(0)
    await expect(stop.locator('[data-action="lock"]')).to_have_attribute("aria-pressed", "true")
    await stop.locator('[data-action="lock"]').click()
    await expect(page.locator("#plan-status")).to_contain_text("Plan version 4")
    plan = await latest()
    assert {s["id"] for s in plan["days"][0]["stops"] if s["locked"]} == {first, second}
    await _shows(page, plan)

    # add a museum that is not planned yet, pinned to day 2, found through the autocomplete
    planned = {s["place_id"] for d in plan["days"] for s in d["stops"]}
    museums = await api.get(
        "/search", params={"q": "museum", "lat": 60.17, "lon": 24.94, "radius_m": 3000}
    )
    extra = None
    for hit in museums.json()["items"]:
        if hit["id"] in planned:
            continue
        labels = (
            await api.get("/search/suggest", params={"q": hit["name"], "kind": "poi"})
        ).json()["items"]
        mine = [s for s in labels if s["id"] == hit["id"]]
        if mine and sum(s["label"] == mine[0]["label"] for s in labels) == 1:
            extra = mine[0]
            break
    assert extra is not None, "a museum to add"
    await page.get_by_label("Add a place to the plan").fill(extra["label"])
    await expect(page.locator(f'#place-options option[value="{extra["label"]}"]')).to_have_count(1)
    await page.locator("#add-day").select_option("2")
    await page.get_by_role("button", name="Add to plan").click()
    await expect(page.locator("#plan-status")).to_contain_text("Plan version 5")
    plan = await latest()
    assert extra["id"] in {s["place_id"] for s in plan["days"][1]["stops"]}
    await _shows(page, plan)

    # someone else changes the plan behind the page's back: the page's next edit is refused,
    # and it shows the latest version instead of overwriting it
    behind = await api.put(
        f"/planner/{trip_id}/day/3",
        json={"order": _visit_ids(plan, 3)[::-1]},
        headers={**auth, "If-Match": f'"{plan["version"]}"'},
    )
    assert behind.status_code == 200, behind.text
    victim = _visit_ids(plan, 3)[0]
    await page.locator(f'[data-action="remove"][data-stop="{victim}"]').click()
    await expect(page.get_by_role("alert")).to_contain_text("Someone else changed this plan")
    await _shows(page, behind.json())
    assert (await latest())["version"] == behind.json()["version"]

    # a viewer of the trip sees the plan and no way to change it
    viewer = await _api_user(api, "Viewer")
    await _share(api, owner, trip_id, viewer, "viewer")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(f"{site}/")
    await _sign_in(page, site, viewer, f"/trips/{trip_id}")
    await _shows(page, behind.json())
    await expect(page.locator("#planner")).to_be_hidden()
    await expect(page.locator("#add-place-form")).to_be_hidden()
    await expect(page.locator("[data-action]")).to_have_count(0)


async def test_preferences_are_kept_and_plan_the_days(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    page = await context.new_page()
    await _register(page, site, "Picky Planner")
    await page.get_by_role("link", name="Preferences").click()
    await expect(page).to_have_url(f"{site}/preferences")
    await expect(page.get_by_label("Moderate", exact=True)).to_be_checked()
    await page.get_by_label("Relaxed", exact=True).check()
    for choice in ("Museums", "Art", "Vegetarian", "Step free"):
        await page.get_by_label(choice, exact=True).check()
    await page.get_by_label("Travel style").select_option("slow")
    # a well-formed code that is no currency: the API's reason is shown, nothing is saved
    await page.get_by_label("Home currency").fill("ZZZ")
    await page.get_by_role("button", name="Save preferences").click()
    await expect(page.get_by_role("alert")).to_contain_text("ISO 4217")
    headers = {"Authorization": f"Bearer {await _token(page)}"}
    user_id = await page.evaluate("sessionStorage.getItem('navio.user')")
    url = f"/users/{user_id}/preferences"
    assert (await api.get(url, headers=headers)).json()["pace"] == "moderate"

    await page.get_by_label("Home currency").fill("CHF")
    await page.get_by_role("button", name="Save preferences").click()
    await expect(page.locator("#saved")).to_contain_text("Saved")
    saved = (await api.get(url, headers=headers)).json()
    assert saved["pace"] == "relaxed" and saved["home_currency"] == "CHF"
    assert saved["interests"] == ["museums", "art"] and saved["dietary"] == ["vegetarian"]
    assert saved["mobility"] == ["step_free"] and saved["travel_style"] == "slow"
    await page.reload()
    await expect(page.get_by_label("Relaxed", exact=True)).to_be_checked()
    await expect(page.get_by_label("Art", exact=True)).to_be_checked()
    await expect(page.get_by_label("History", exact=True)).not_to_be_checked()
    await expect(page.get_by_label("Home currency")).to_have_value("CHF")

    # a plan made without interests uses these: museums and art score, at a relaxed pace
    trip_id = await _api_trip(api, headers, "My way", "2027-06-01", "2027-06-02")
    await page.goto(f"{site}/trips/{trip_id}")
    await page.get_by_role("button", name="Plan my days").click()
    await expect(page.locator("section.day")).to_have_count(2)
    plan = (await api.get(f"/planner/{trip_id}/itinerary", headers=headers)).json()
    visits = [s for d in plan["days"] for s in d["stops"] if s["kind"] == "visit"]
    assert visits and any(s["why"].get("interest", 0) > 0 for s in visits)
    assert all(sum(s["kind"] == "visit" for s in d["stops"]) <= 4 for d in plan["days"])


async def test_an_expired_token_is_renewed_once_then_sign_in_again(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    page = await context.new_page()
    await _register(page, site, "Long Session")
    refresh = await page.evaluate("sessionStorage.getItem('navio.refresh')")
    # the access token is refused (as an expired one is): the page renews it with the
    # refresh token, once for the requests that found it refused, and carries on
    await page.evaluate("sessionStorage.setItem('navio.access', 'expired.token.value')")
    await page.goto(f"{site}/trips")
    await expect(page.locator("#no-trips")).to_be_visible()
    await expect(page).to_have_url(f"{site}/trips")
    renewed = await _token(page)
    assert renewed != "expired.token.value"
    assert (await api.get("/trips", headers={"Authorization": f"Bearer {renewed}"})).is_success
    # refresh tokens rotate: the old one was spent
    reused = await api.post("/auth/refresh", json={"refresh_token": refresh})
    assert reused.status_code == 401
    # with nothing left to renew with, the page asks to sign in again and comes back after
    await page.evaluate(
        "sessionStorage.setItem('navio.access', 'x'); sessionStorage.setItem('navio.refresh', 'y')"
    )
    await page.goto(f"{site}/trips")
    await expect(page).to_have_url(f"{site}/login?next=%2Ftrips")
    await expect(page.get_by_role("link", name="Sign in")).to_be_visible()


async def test_expenses_split_balance_and_settle(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    owner = await _api_user(api, "Olli Owner")
    friend = await _api_user(api, "Frida Friend")
    auth = {"Authorization": owner["Authorization"]}
    # a trip already made: ECB rates are known for its days
    trip_id = await _api_trip(api, owner, "Shared costs", "2026-06-01", "2026-06-05")
    await _share(api, owner, trip_id, friend, "editor")

    page = await context.new_page()
    await _sign_in(page, site, owner, f"/trips/{trip_id}")
    await expect(page.locator("#money-summary")).to_contain_text("0 expenses")
    await expect(page.locator("#settle-up")).to_contain_text("All settled.")

    # amounts the currency cannot hold are refused before anything is sent; the API's own
    # refusals are shown as it gives them
    await page.get_by_label("Amount").fill("12.345")
    await page.get_by_role("button", name="Add expense").click()
    await expect(page.get_by_role("alert")).to_have_text("EUR amounts have at most 2 decimals")
    await page.get_by_label("Amount").fill("0")
    await page.get_by_role("button", name="Add expense").click()
    await expect(page.get_by_role("alert")).to_contain_text("amount")
    assert (await api.get("/expenses", params={"trip_id": trip_id}, headers=auth)).json()[
        "items"
    ] == []

    await page.get_by_label("Amount").fill("90.00")
    await page.get_by_label("What").fill("Dinner at Savotta")
    await page.get_by_label("Category").select_option("food")
    await page.get_by_role("button", name="Add expense").click()
    await expect(page.locator("#expense-list li")).to_have_count(1)
    await expect(page.locator("#expense-list li strong")).to_have_text("Dinner at Savotta")

    # a friend's expense in yen, through the API: converted at the frozen ECB rate
    yen = await api.post(
        "/expenses",
        json={
            "trip_id": trip_id,
            "amount_minor": 3000,
            "currency": "JPY",
            "spent_on": "2026-06-02",
            "category": "local_transport",
            "merchant": "Ferry",
        },
        headers={"Authorization": friend["Authorization"]},
    )
    assert yen.status_code == 201, yen.text
    await page.reload()
    await expect(page.locator("#expense-list li")).to_have_count(2)
    balances = (await api.get(f"/trips/{trip_id}/balances", headers=auth)).json()
    owed = next(m for m in balances["members"] if m["user_id"] == owner["id"])
    assert owed["net_minor"] > 0
    row = page.locator(f'#balances tr[data-member="{owner["id"]}"] td')
    euros = f"€{owed['net_minor'] // 100}.{owed['net_minor'] % 100:02d}"
    await expect(row.nth(4)).to_have_text(euros)
    await expect(page.locator("#settle-up")).to_contain_text(
        f"Frida Friend pays Olli Owner {euros}"
    )
    # the yen expense shows its amount and what it came to in the trip's currency
    await expect(page.locator("#expense-list")).to_contain_text("¥3,000")

    await page.get_by_role("button", name="Record payment").click()
    await expect(page.locator("#settle-up")).to_contain_text("All settled.")
    balances = (await api.get(f"/trips/{trip_id}/balances", headers=auth)).json()
    assert all(m["net_minor"] == 0 for m in balances["members"])
