"""Notifications through HTTP on SQLite and PostgreSQL, e-mail through a real SMTP server
(aiosmtpd on a local port): reset and verification links that work, security notices, trip
invitations, temporary and permanent refusals, the operators' delivery log, and the inbox."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.api.bookings.test_bookings import _book, _fund, _offer
from tests.api.tracking.test_tracking import party, route, send, start
from tests.conftest import asgi_client, make_settings, running_app
from tests.factories.iam import admin, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.mail import Mailbox, smtp_server
from tests.factories.trips import add_collaborator, create_trip, trip_url

API = "/api/v1"
SITE = "https://navio.example"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
async def mail_app(database_url: str, mailbox: Mailbox) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url,
        notifications={
            "smtp_url": mailbox.url,
            "public_url": SITE,
            "max_attempts": 3,
        },
    )
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def mail_client(mail_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(mail_app) as c:
        yield c


async def deliver(app: FastAPI, at: datetime | None = None) -> datetime:
    """What the relay does on its own: events to handlers, then the e-mail sender's turn (at
    `at`, or now); returns the time the sender ran for."""
    await app.state.relay.drain()
    at = at or datetime.now(UTC)
    await app.state.relay.run_periodic(now=at, force=True)
    return at


def link_in(message: EmailMessage, path: str) -> str:
    body = message.get_content()
    found = re.search(rf"{re.escape(SITE)}{re.escape(path)}\?token=\S+", body)
    assert found, body
    return found.group(0)


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def test_a_reset_link_by_email_resets_the_password(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    box = mailbox
    client = mail_client
    who = await make_user(client)
    asked = await client.post(f"{API}/auth/password/reset/request", json={"email": who.email})
    assert asked.status_code == 202
    await deliver(mail_app)
    # signing up asked for a verification e-mail; the reset came after it
    assert [m["Subject"] for m in box.to(who.email)] == [
        "Confirm your e-mail address for Navio",
        "Reset your Navio password",
    ]
    message = box.to(who.email)[1]
    assert message["Message-ID"] and message["Date"] and message["From"]
    token = token_of(link_in(message, "/reset-password"))

    new_password = "a brand new passphrase 42"
    done = await client.post(
        f"{API}/auth/password/reset/confirm", json={"token": token, "new_password": new_password}
    )
    assert done.status_code == 204, done.text
    login = await client.post(
        f"{API}/auth/login", json={"email": who.email, "password": new_password}
    )
    assert login.status_code == 200
    # the link works once
    again = await client.post(
        f"{API}/auth/password/reset/confirm", json={"token": token, "new_password": "x" * 20}
    )
    assert again.status_code in (400, 401, 422), again.text

    # and the owner of the address hears that the password changed
    await deliver(mail_app)
    [changed] = box.to(who.email, "Your Navio password was changed")
    assert "with a reset link" in changed.get_content()

    # an unknown address gets no e-mail (and the answer does not tell)
    unknown = await client.post(
        f"{API}/auth/password/reset/request", json={"email": "nobody-here@example.org"}
    )
    assert unknown.status_code == 202
    await deliver(mail_app)
    assert box.to("nobody-here@example.org") == []


async def test_a_verification_link_by_email_verifies_the_address(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    box = mailbox
    who = await make_user(mail_client)
    asked = await mail_client.post(f"{API}/auth/email/verify/request", headers=who.headers)
    assert asked.status_code == 202, asked.text
    await deliver(mail_app)
    # one at sign-up, one asked for now: the newer link is the one that counts
    message = box.to(who.email, "Confirm your e-mail address for Navio")[-1]
    token = token_of(link_in(message, "/verify-email"))
    confirmed = await mail_client.post(f"{API}/auth/email/verify", json={"token": token})
    assert confirmed.status_code == 204, confirmed.text
    me = await mail_client.get(f"{API}/auth/me", headers=who.headers)
    assert me.json()["email_verified"] is True


async def test_a_trip_invitation_is_mailed_to_the_invitee(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    box = mailbox
    owner = await make_user(mail_client)
    trip = await create_trip(mail_client, owner, title="Lapland in March")
    invited = await mail_client.post(
        trip_url(trip["id"], "collaborators"),
        json={"email": "friend.to.be@example.org", "role": "editor"},
        headers=owner.headers,
    )
    assert invited.status_code == 201, invited.text
    await deliver(mail_app)
    [message] = box.to("friend.to.be@example.org")
    assert message["Subject"] == "Test Traveller invited you to “Lapland in March” on Navio"
    assert invited.json()["invite_token"] in message.get_content()


async def test_refusals_are_retried_with_backoff_and_logged(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    box = mailbox
    client = mail_client
    operator = await admin(client, mail_app.state)
    who, other = await make_user(client), await make_user(client)

    async def log_of(address: str) -> dict[str, Any]:
        page = await client.get(f"{API}/admin/notifications/emails", headers=operator.headers)
        assert page.status_code == 200, page.text
        [row] = [
            r
            for r in page.json()["items"]
            if r["recipient"] == address and r["kind"] == "password_reset"
        ]
        assert "body" not in row
        return dict(row)

    await deliver(mail_app)  # the sign-up e-mails
    # a temporary refusal: tried again after 30 s, then sent
    box.refusals = ["451 4.3.0 Mailbox busy, try later"]
    await client.post(f"{API}/auth/password/reset/request", json={"email": who.email})
    now = await deliver(mail_app)
    row = await log_of(who.email)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "451" in row["last_error"]
    retry_at = datetime.fromisoformat(row["next_attempt_at"])
    assert abs((retry_at - now) - timedelta(seconds=30)) < timedelta(seconds=1)
    reset = "Reset your Navio password"
    await deliver(mail_app, now + timedelta(seconds=10))  # not due yet
    assert box.to(who.email, reset) == []
    await deliver(mail_app, now + timedelta(seconds=31))
    assert len(box.to(who.email, reset)) == 1
    row = await log_of(who.email)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, None)

    # a permanent refusal: given up at once
    box.refusals = ["550 5.1.1 No such user here"]
    await client.post(f"{API}/auth/password/reset/request", json={"email": other.email})
    await deliver(mail_app)
    row = await log_of(other.email)
    assert (row["status"], row["attempts"]) == ("dead", 1)
    dead = await client.get(
        f"{API}/admin/notifications/emails?status=dead", headers=operator.headers
    )
    assert [(r["recipient"], r["kind"]) for r in dead.json()["items"]] == [
        (other.email, "password_reset")
    ]

    # the log is the operators'
    refused = await client.get(f"{API}/admin/notifications/emails", headers=who.headers)
    assert_problem(refused, 403, "permission_denied")


async def test_without_smtp_emails_are_kept_as_skipped(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    who = await make_user(client)
    operator = await admin(client, app.state)
    await client.post(f"{API}/auth/password/reset/request", json={"email": who.email})
    await deliver(app)
    page = await client.get(
        f"{API}/admin/notifications/emails?status=skipped", headers=operator.headers
    )
    rows = {r["kind"]: r for r in page.json()["items"] if r["recipient"] == who.email}
    assert set(rows) == {"verify_email", "password_reset"}
    assert "SMTP" in rows["password_reset"]["last_error"]


async def test_the_inbox_is_each_users_own(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, friend, stranger, trip_id = await party(client)  # friend added as viewer
    late = await make_user(client)
    await add_collaborator(client, owner, trip_id, late, "editor")
    # the friend shares a walk and arrives: everyone else on the trip hears of it
    journey = await start(client, friend, trip_id)
    fixes = [
        {**f, "recorded_at": (datetime.now(UTC) + timedelta(seconds=i)).isoformat()}
        for i, f in enumerate(route(steps=3))
    ]
    arrived = await send(client, friend, journey["id"], fixes)
    assert arrived.json()["journey"]["status"] == "arrived"
    await app.state.relay.drain()

    async def inbox(who: Any, query: str = "") -> list[dict[str, Any]]:
        page = await client.get(f"{API}/notifications{query}", headers=who.headers)
        assert page.status_code == 200, page.text
        return list(page.json()["items"])

    mine = await inbox(late)
    assert [n["kind"] for n in mine] == ["journey_arrived", "trip_added"]
    assert mine[1]["body"] == "Test Traveller added you to “Helsinki in June” as editor."
    assert mine[0]["data"] == {"trip_id": trip_id, "journey_id": journey["id"]}
    assert [n["kind"] for n in await inbox(owner)] == ["journey_arrived"]
    assert [n["kind"] for n in await inbox(friend)] == ["trip_added"]  # not their own arrival
    assert await inbox(stranger) == []

    count = await client.get(f"{API}/notifications/unread-count", headers=late.headers)
    assert count.json() == {"unread": 2}
    # nobody marks another's notice: to them it does not exist
    other = await client.post(f"{API}/notifications/{mine[0]['id']}/read", headers=owner.headers)
    assert_problem(other, 404, "notification_not_found")
    read = await client.post(f"{API}/notifications/{mine[0]['id']}/read", headers=late.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert [n["kind"] for n in await inbox(late, "?unread=true")] == ["trip_added"]
    marked = await client.post(f"{API}/notifications/read-all", headers=late.headers)
    assert marked.json() == {"marked": 1}
    assert await inbox(late, "?unread=true") == []
    # paging, and a cursor we did not issue
    first = await client.get(f"{API}/notifications?limit=1", headers=late.headers)
    assert len(first.json()["items"]) == 1 and first.json()["next_cursor"]
    rest = await client.get(
        f"{API}/notifications?limit=1&cursor={first.json()['next_cursor']}", headers=late.headers
    )
    assert [n["id"] for n in rest.json()["items"]] == [mine[1]["id"]]
    bad = await client.get(f"{API}/notifications?cursor=nonsense", headers=late.headers)
    assert_problem(bad, 422, "invalid_cursor")
    assert (await client.get(f"{API}/notifications")).status_code == 401


async def test_bookings_reach_the_inbox(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    await _fund(client, owner, 10_000)
    booked = await _book(client, owner, offer=_offer(4_550))
    assert booked.status_code == 201, booked.text
    cancelled = await client.put(
        f"{API}/bookings/{booked.json()['id']}/cancel", headers=owner.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    await app.state.relay.drain()
    page = await client.get(f"{API}/notifications", headers=owner.headers)
    assert [(n["kind"], n["body"]) for n in page.json()["items"]] == [
        ("booking_cancelled", "Your booking of 45.50 EUR was cancelled."),
        ("booking_confirmed", "Your booking is confirmed and paid: 45.50 EUR."),
    ]
    assert page.json()["items"][0]["data"] == {"booking_id": booked.json()["id"]}
