"""The dashboard in a real browser: a station operator sees the fault a rider reported at their
station in their 30-day figures (and no experiments); an admin creates an A/B experiment,
starts it, watches the units an app's installs bring and their conversions, and stops it
shipping the winner; a traveler has no dashboard link."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
from playwright.async_api import BrowserContext, expect
from standardwebhooks.webhooks import Webhook

from tests.e2e.test_pages import _api_user, _sign_in
from tests.factories.iam import PASSWORD
from tests.factories.stations import station_body
from tests.factories.webhooks import receiver
from tests.integration.processes import grant_roles


async def _promoted(
    api: httpx.AsyncClient, database: str, name: str, roles: list[str]
) -> dict[str, str]:
    user = await _api_user(api, name)
    await grant_roles(database, user["id"], roles)
    tokens = await api.post("/auth/login", json={"email": user["email"], "password": PASSWORD})
    return user | {"Authorization": f"Bearer {tokens.json()['access_token']}"}


async def _counted(api: httpx.AsyncClient, owner: dict[str, str], metric: str) -> None:
    """Wait for the outbox relay to count the event into the owner's figures."""
    for _ in range(100):
        report = await api.get("/analytics/me", headers={"Authorization": owner["Authorization"]})
        if metric in [line["metric"] for line in report.json()["series"]]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{metric} never counted")


async def test_an_operator_sees_their_figures(
    context: BrowserContext, site: str, site_database: str, api: httpx.AsyncClient
) -> None:
    owner = await _promoted(api, site_database, "Station Owner", ["operator", "traveler"])
    made = await api.post(
        "/stations", json=station_body(), headers={"Authorization": owner["Authorization"]}
    )
    assert made.status_code == 201, made.text
    rider = await _api_user(api, "Rider")
    fault = {"category": "bay", "description": "The door of bay 2 sticks"}
    reported = await api.post(
        f"/stations/{made.json()['id']}/faults",
        json=fault,
        headers={"Authorization": rider["Authorization"]},
    )
    assert reported.status_code == 201, reported.text
    await _counted(api, owner, "faults")

    page = await context.new_page()
    await _sign_in(page, site, owner, "/dashboard")
    await expect(page.get_by_role("link", name="Dashboard")).to_be_visible()
    row = page.locator("#figures-table tbody tr", has_text="Faults reported")
    await expect(row.locator("td").nth(1)).to_have_text("1")
    await expect(page.locator("#experiments")).to_be_hidden()


async def test_an_admin_runs_an_experiment(
    context: BrowserContext, site: str, site_database: str, api: httpx.AsyncClient
) -> None:
    boss = await _promoted(api, site_database, "Admin", ["admin", "traveler"])
    key = f"green-{uuid.uuid4().hex[:6]}"
    page = await context.new_page()
    await _sign_in(page, site, boss, "/dashboard")
    await expect(page.locator("#figures-empty")).to_be_visible()
    form = page.locator("#new-experiment")
    await form.get_by_label("Key").fill(key)
    await form.get_by_label("Name").fill("Green checkout")
    await form.get_by_label("Goal").fill("checkout_clicked")
    await form.get_by_label("Variants").fill("control, green")
    await form.get_by_role("button", name="Create").click()
    card = page.locator(f'#experiment-list li[data-experiment="{key}"]')
    await expect(card.locator(".tag")).to_have_text("draft")
    await card.get_by_role("button", name="Start").click()
    await expect(card.locator(".tag")).to_have_text("running")

    # an app's installs ask for their variant; those on green convert
    split = {"control": 0, "green": 0}
    for _ in range(12):
        install = str(uuid.uuid4())
        asked = await api.post("/analytics/assignments", json={"anonymous_id": install})
        variant = next(a for a in asked.json()["assignments"] if a["experiment"] == key)["variant"]
        split[variant] += 1
        if variant == "green":
            event = {
                "id": str(uuid.uuid4()),
                "name": "checkout_clicked",
                "occurred_at": datetime.now(UTC).isoformat(),
            }
            sent = await api.post(
                "/analytics/events", json={"anonymous_id": install, "events": [event]}
            )
            assert sent.status_code == 202, sent.text
    await page.reload()
    for variant, units in split.items():
        row = card.locator("tbody tr", has=page.locator("th", has_text=variant))
        await expect(row.locator("td").nth(0)).to_have_text(str(units))
        converted = units if variant == "green" else 0
        await expect(row.locator("td").nth(1)).to_have_text(str(converted))
    control = card.locator("tbody tr", has=page.locator("th", has_text="control"))
    await expect(control.locator("td.verdict")).to_have_text("control")

    await card.get_by_label("Winner of Green checkout").select_option("green")
    await card.get_by_role("button", name="Stop and ship").click()
    await expect(card.locator(".tag")).to_have_text("stopped")
    await expect(card).to_contain_text("Stopped; everyone gets green.")
    shipped = await api.post(
        "/analytics/assignments", json={"anonymous_id": str(uuid.uuid4()), "experiments": [key]}
    )
    assert shipped.json()["assignments"] == [
        {"experiment": key, "variant": "green", "in_experiment": False}
    ]


async def test_a_traveler_has_no_dashboard_link(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    traveler = await _api_user(api, "Traveler")
    page = await context.new_page()
    await _sign_in(page, site, traveler, "/trips")
    await expect(page.get_by_role("link", name="My trips")).to_be_visible()
    await expect(page.get_by_role("link", name="Dashboard")).to_be_hidden()


async def test_an_operator_connects_a_webhook(
    context: BrowserContext, site: str, site_database: str, api: httpx.AsyncClient
) -> None:
    owner = await _promoted(api, site_database, "Hook Owner", ["operator", "traveler"])
    page = await context.new_page()
    with receiver() as inbox:
        await _sign_in(page, site, owner, "/dashboard")
        form = page.locator("#new-webhook")
        await form.get_by_label("URL").fill(f"{inbox.url}/navio")
        await form.get_by_label("a fault reported at your station").check()
        await form.get_by_role("button", name="Add the webhook").click()
        await expect(page.locator("#webhook-secret")).to_contain_text("whsec_")
        shown = await page.locator("#webhook-secret").text_content()
        secret = next(word for word in (shown or "").split() if word.startswith("whsec_"))
        card = page.locator("#webhook-list li", has_text=f"{inbox.url}/navio")
        await expect(card).to_contain_text("stations.fault_reported")
        await card.get_by_role("button", name="Send a test").click()
        await expect(card.locator("table.deliveries")).to_contain_text("webhook.ping")
        for _ in range(100):  # the site's sender runs every 0.2 s
            if inbox.received:
                break
            await asyncio.sleep(0.1)
        got = inbox.received[0]
        assert Webhook(secret).verify(got.body, got.headers)["type"] == "webhook.ping"
        await card.get_by_role("button", name="Deliveries").click()
        await expect(card.locator("td.status")).to_have_text("delivered")
        await card.get_by_role("button", name="Switch off").click()
        await expect(card.locator(".tag")).to_have_text("off")
        await expect(card).to_contain_text("Switched off: switched off by its owner")
