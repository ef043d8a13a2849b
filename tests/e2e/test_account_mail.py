"""The links Navio e-mails, followed in a real browser: a forgotten password reset from the
sign-in page, and an address confirmed, each link working once. The served Navio sends to a
real SMTP server in this process."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage

import httpx
from playwright.async_api import BrowserContext, expect

from tests.e2e.test_pages import _api_trip, _api_user, _share, _sign_in
from tests.factories.iam import PASSWORD, unique_email
from tests.factories.mail import Mailbox


async def _mail(mailbox: Mailbox, address: str, subject: str) -> EmailMessage:
    async with asyncio.timeout(15):
        while not (found := mailbox.to(address, subject)):  # noqa: ASYNC110 - another thread fills it
            await asyncio.sleep(0.1)
    return found[-1]


def _link(message: EmailMessage, site: str, path: str) -> str:
    found = re.search(rf"{re.escape(site)}{path}\?token=\S+", message.get_content())
    assert found, message.get_content()
    return found.group(0)


async def test_a_forgotten_password_is_reset_by_the_emailed_link(
    context: BrowserContext, site: str, api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user = await _api_user(api, "Forgetful")
    page = await context.new_page()
    await page.goto(f"{site}/login")
    await page.get_by_role("link", name="Forgot your password?").click()
    await expect(page).to_have_url(f"{site}/forgot-password")
    await page.get_by_label("Email").fill(user["email"])
    await page.get_by_role("button", name="Send the link").click()
    await expect(page.locator("#done")).to_contain_text("a link is on its way")

    link = _link(
        await _mail(mailbox, user["email"], "Reset your Navio password"), site, "/reset-password"
    )
    await page.goto(link)
    await expect(page).to_have_url(f"{site}/reset-password")  # the token left the address
    new_password = "a fresh passphrase for Helsinki"
    await page.get_by_label("New password").fill(new_password)
    await page.get_by_label("The same again").fill(new_password + "!")
    await page.get_by_role("button", name="Save the new password").click()
    await expect(page.locator("#alert")).to_have_text("The two passwords differ.")
    await page.get_by_label("The same again").fill(new_password)
    await page.get_by_role("button", name="Save the new password").click()
    await expect(page.locator("#done")).to_contain_text("Your password is changed.")

    await page.locator("#done").get_by_role("link", name="Sign in").click()
    await page.get_by_label("Email").fill(user["email"])
    await page.get_by_label("Password").fill(new_password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{site}/trips")
    await expect(page.locator(".who")).to_have_text("Forgetful")

    # the same link a second time changes nothing
    again = await context.new_page()
    await again.goto(link)
    await again.get_by_label("New password").fill("someone else's password")
    await again.get_by_label("The same again").fill("someone else's password")
    await again.get_by_role("button", name="Save the new password").click()
    await expect(again.locator("#alert")).not_to_be_empty()
    await expect(again.locator("#done")).to_be_hidden()
    old = await api.post("/auth/login", json={"email": user["email"], "password": new_password})
    assert old.status_code == 200
    # and the account's address heard that its password changed
    await _mail(mailbox, user["email"], "Your Navio password was changed")


async def test_an_address_is_confirmed_by_the_emailed_link(
    context: BrowserContext, site: str, api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user = await _api_user(api, "Newcomer")  # signing up sends the link
    message = await _mail(mailbox, user["email"], "Confirm your e-mail address for Navio")
    link = _link(message, site, "/verify-email")
    page = await context.new_page()
    await page.goto(link)
    await expect(page.locator("#done")).to_have_text("Thank you: your e-mail address is confirmed.")
    await expect(page).to_have_url(f"{site}/verify-email")
    me = await api.get("/auth/me", headers={"Authorization": user["Authorization"]})
    assert me.json()["email_verified"] is True
    await page.goto(link)
    await expect(page.locator("#done")).to_contain_text("does not work any more")


async def test_an_invitation_by_email_is_accepted_by_a_newcomer(
    context: BrowserContext, site: str, api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    owner = await _api_user(api, "Host")
    trip_id = await _api_trip(api, owner, "Lapland in March", "2027-03-01", "2027-03-05")
    address = unique_email("invitee")
    invited = await api.post(
        f"/trips/{trip_id}/collaborators",
        json={"email": address, "role": "editor"},
        headers={"Authorization": owner["Authorization"]},
    )
    assert invited.status_code == 201, invited.text
    message = await _mail(mailbox, address, "Host invited you to “Lapland in March” on Navio")
    link = _link(message, site, "/trips/invites/accept")

    page = await context.new_page()
    await page.goto(link)
    await expect(page.locator("#done")).to_have_text("You are invited to plan a trip on Navio.")
    await page.locator("#sign-in").get_by_role("link", name="create an account").click()
    await page.get_by_label("Your name").fill("Invitee")
    await page.get_by_label("Email").fill(address)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(f"{site}/trips/{trip_id}")
    await expect(page.get_by_role("heading", name="Lapland in March")).to_be_visible()

    trip = await api.get(f"/trips/{trip_id}", headers={"Authorization": owner["Authorization"]})
    roles = {m["display_name"]: m["role"] for m in trip.json()["collaborators"]}
    assert roles["Invitee"] == "editor"
    # the link was for one use (this tab is still signed in)
    await page.goto(link)
    await expect(page.locator("#done")).to_contain_text("does not work any more")


async def test_the_inbox_shows_and_clears_what_happened(
    context: BrowserContext, site: str, api: httpx.AsyncClient
) -> None:
    host, guest = await _api_user(api, "Host"), await _api_user(api, "Guest")
    trip_id = await _api_trip(api, host, "Porvoo weekend", "2027-05-01", "2027-05-02")
    await _share(api, host, trip_id, guest, "editor")
    guest_auth = {"Authorization": guest["Authorization"]}
    async with asyncio.timeout(15):  # the relay writes the notice
        while not (await api.get("/notifications", headers=guest_auth)).json()["items"]:  # noqa: ASYNC110
            await asyncio.sleep(0.1)

    page = await context.new_page()
    await _sign_in(page, site, guest, "/trips")
    await expect(page.locator("#unread")).to_have_text("1")
    await page.get_by_role("link", name="Inbox").click()
    notice = page.locator("#notice-list li")
    await expect(notice).to_have_count(1)
    await expect(notice).to_contain_text("Host added you to “Porvoo weekend” as editor.")
    await notice.get_by_role("button", name="Mark as read").click()
    await expect(page.locator("#unread")).to_be_hidden()
    await expect(notice.get_by_role("button", name="Mark as read")).to_have_count(0)
    count = await api.get("/notifications/unread-count", headers=guest_auth)
    assert count.json() == {"unread": 0}
    await notice.get_by_role("link", name="Open the trip").click()
    await expect(page).to_have_url(f"{site}/trips/{trip_id}")
