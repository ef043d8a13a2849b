"""A traveler plans a journey by talking to the assistant in the browser: it asks for what is
missing, plans from the catalogue (TravelPlanner's San Diego places, the car from Los Angeles),
re-plans when the party grows, and keeps the conversation for later."""

from __future__ import annotations

import httpx
from playwright.async_api import BrowserContext, expect

from tests.e2e.conftest import TELEGRAM_BOT, TELEGRAM_SECRET
from tests.e2e.test_pages import _api_user, _sign_in

# an answer may compose a journey over the catalogue (its transport questions included): on a
# loaded 2-core machine that can take longer than the assertions' 5 s default
ANSWER = 30_000


async def test_a_traveler_talks_a_journey_into_shape(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    traveler = await _api_user(api, "Planner")
    page = await context.new_page()
    await _sign_in(page, site, traveler, "/assistant")

    async def say(text: str) -> None:
        await page.get_by_label("Your message").fill(text)
        await page.get_by_role("button", name="Send").click()

    await say("A trip from Los Angeles to San Diego for two, please.")
    answers = page.locator("#chat li.assistant")
    await expect(answers.last).to_contain_text("When do you leave", timeout=ANSWER)
    await expect(page.locator("#journey")).to_be_hidden()

    await say("From March 16th to March 18th, 2027, budget $3,000, and we love Mexican food.")
    await expect(answers.last).to_contain_text("Planned: San Diego", timeout=ANSWER)
    await expect(page.locator("#journey-title")).to_have_text("San Diego, 3 days")
    days = page.locator("#journey-days section.day")
    await expect(days).to_have_count(3)
    await expect(days.first).to_contain_text("self-driving from Los Angeles to San Diego")
    await expect(days.nth(1).locator("li.stop")).to_contain_text(["breakfast", "lunch", "dinner"])
    await expect(page.locator("#journey-days")).to_contain_text("Mexican")
    await expect(page.locator("#journey-cost")).to_contain_text("of US$3,000.00")

    await page.get_by_role("button", name="Save as a trip").click()
    opened = page.locator("#saved-trip")
    await expect(opened).to_contain_text("Open “Los Angeles → San Diego”", timeout=ANSWER)
    await opened.click()
    await expect(page.locator("h1")).to_contain_text("Los Angeles → San Diego")
    await page.go_back()

    await say("Actually we are 6 people.")
    await expect(page.locator("#chat li.traveler")).to_have_count(3, timeout=ANSWER)
    await expect(page.locator("#saved-trip")).to_be_hidden()
    await expect(answers.last).to_contain_text("A trip for 6 people", timeout=ANSWER)
    await expect(answers.last).to_contain_text("Planned: San Diego")

    # the conversation is kept: listed, and shown again after a reload
    await page.reload()
    await expect(page.locator("#chat li")).to_have_count(7)
    await expect(page.locator("#conversations li")).to_have_count(1)
    await expect(page.locator("#conversations li")).to_contain_text("Los Angeles to San Diego")
    await page.get_by_role("button", name="Start over").click()
    await expect(page.locator("#chat li")).to_have_count(0)
    await say("Plan a trip from Los Angeles to Atlantis next week for $500")
    await expect(answers.last).to_contain_text("Where would you like to go", timeout=ANSWER)
    await expect(page.locator("#conversations li")).to_have_count(2)


async def test_a_traveler_links_telegram(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    traveler = await _api_user(api, "On the go")
    page = await context.new_page()
    await _sign_in(page, site, traveler, "/assistant")
    await page.get_by_role("button", name="Talk to the assistant in Telegram").click()
    shown = page.locator("#telegram-code")
    await expect(shown).to_contain_text(f"https://t.me/{TELEGRAM_BOT}?start=")
    link = await shown.get_by_role("link").get_attribute("href")
    assert link is not None
    code = link.rsplit("=", 1)[1]
    # Telegram delivers the traveler's /start to the webhook
    update = {
        "update_id": 90_001,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": 31337, "type": "private"},
            "text": f"/start {code}",
        },
    }
    answered = await api.post(
        "/assistant/channels/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert "Linked" in answered.json()["text"], answered.text
    await page.reload()
    chats = page.locator("#telegram-chats li")
    await expect(chats).to_have_count(1)
    await expect(chats).to_contain_text("A telegram chat, linked on")
    await chats.get_by_role("button", name="Unlink").click()
    await expect(chats).to_have_count(0)


async def test_a_reply_shows_on_every_device(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    traveler = await _api_user(api, "Two screens")
    phone, laptop = await context.new_page(), await context.new_page()
    for page in (phone, laptop):
        await _sign_in(page, site, traveler, "/assistant")
    await phone.get_by_label("Your message").fill("A trip from Los Angeles to San Diego for two.")
    await phone.get_by_role("button", name="Send").click()
    await expect(phone.locator("#chat li.assistant").last).to_contain_text(
        "When do you leave", timeout=ANSWER
    )
    # the laptop opens the same conversation; the phone goes on talking
    await laptop.reload()
    await laptop.locator("#conversations").get_by_role("button").first.click()
    await expect(laptop.locator("#chat li")).to_have_count(2)
    await phone.get_by_label("Your message").fill(
        "From March 16th to March 18th, 2027, budget $3,000."
    )
    await phone.get_by_role("button", name="Send").click()
    for page in (phone, laptop):
        await expect(page.locator("#chat li.assistant").last).to_contain_text(
            "Planned: San Diego", timeout=ANSWER
        )
        await expect(page.locator("#chat li")).to_have_count(4)
        await expect(page.locator("#journey-title")).to_have_text("San Diego, 3 days")
