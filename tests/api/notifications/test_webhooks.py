"""Operators' webhooks through HTTP on SQLite and PostgreSQL, delivered to a real HTTP server on
a local port: their events arrive signed (verified with the Standard Webhooks reference library
and by the spec's HMAC by hand), nobody else's do; failures are retried with backoff, a 410
switches the endpoint off, a rotated secret signs beside the old one; only the owner sees or
changes an endpoint; URLs into private networks are refused where they are not allowed."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook

from navio.notifications.delivery import WebhookSender
from tests.factories.iam import AuthedUser, assert_problem, operator
from tests.factories.iam import user as make_user
from tests.factories.stations import API, station
from tests.factories.webhooks import Receiver, receiver

HOOKS = f"{API}/notifications/webhooks"


@pytest.fixture
def inbox() -> Iterator[Receiver]:
    with receiver() as made:
        yield made


async def deliver(app: FastAPI, at: datetime | None = None) -> datetime:
    """What the relay does on its own: events to handlers, then the senders' turn."""
    await app.state.relay.drain()
    at = at or datetime.now(UTC)
    await app.state.relay.run_periodic(now=at, force=True)
    return at


async def hook(
    client: httpx.AsyncClient, owner: AuthedUser, url: str, events: list[str]
) -> dict[str, Any]:
    made = await client.post(HOOKS, json={"url": url, "events": events}, headers=owner.headers)
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


async def deliveries(
    client: httpx.AsyncClient, owner: AuthedUser, webhook_id: str
) -> list[dict[str, Any]]:
    found = await client.get(f"{HOOKS}/{webhook_id}/deliveries", headers=owner.headers)
    assert found.status_code == 200, found.text
    items: list[dict[str, Any]] = found.json()["items"]
    return items


async def fault(client: httpx.AsyncClient, station_id: str) -> None:
    rider = await make_user(client)
    reported = await client.post(
        f"{API}/stations/{station_id}/faults",
        json={"category": "bay", "description": "The door sticks"},
        headers=rider.headers,
    )
    assert reported.status_code == 201, reported.text


def by_hand(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The spec's signature, computed here: base64 HMAC-SHA256 of "id.timestamp.body" keyed with
    the secret's base64-decoded bytes."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return expected in headers["webhook-signature"].split(" ")


async def test_an_operators_events_arrive_signed(
    local_app: FastAPI, local: httpx.AsyncClient, inbox: Receiver
) -> None:
    owner = await operator(local, local_app.state)
    offered = await local.get(f"{HOOKS}/events", headers=owner.headers)
    assert "stations.fault_reported" in [event["name"] for event in offered.json()]
    made = await hook(
        local,
        owner,
        f"{inbox.url}/navio?from=test",
        ["stations.fault_reported", "bookings.booking_confirmed"],
    )
    secret = made["secret"]
    assert secret.startswith("whsec_") and made["enabled"] is True
    shown = await local.get(f"{HOOKS}/{made['id']}", headers=owner.headers)
    assert "secret" not in shown.json()

    mine = await station(local, owner)
    someone_else = await operator(local, local_app.state)
    theirs = await station(local, someone_else, name="Another station")
    await fault(local, mine["id"])
    await fault(local, theirs["id"])
    await local_app.state.relay.drain()
    await local_app.state.relay.drain()  # nothing queued twice
    queued = await deliveries(local, owner, made["id"])
    assert [(d["event_name"], d["status"]) for d in queued] == [
        ("stations.fault_reported", "pending")
    ]

    await deliver(local_app)
    assert len(inbox.received) == 1
    got = inbox.received[0]
    assert got.path == "/navio?from=test"
    payload = Webhook(secret).verify(got.body, got.headers)
    assert by_hand(secret, got.headers, got.body)
    assert payload["type"] == "stations.fault_reported"
    assert payload["data"]["station_id"] == mine["id"]
    assert payload["data"]["owner_id"] == str(owner.id)
    assert got.headers["webhook-id"] == queued[0]["id"]
    assert abs(int(got.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60
    tampered = got.body.replace(b'"bay"', b'"bat"')
    assert tampered != got.body
    assert not by_hand(secret, got.headers, tampered)
    sent = (await deliveries(local, owner, made["id"]))[0]
    assert (sent["status"], sent["attempts"], sent["response_status"]) == ("sent", 1, 200)
    assert sent["next_attempt_at"] is None

    # sent again on request: the same id, counted afresh
    again = await local.post(
        f"{HOOKS}/{made['id']}/deliveries/{sent['id']}/retry", headers=owner.headers
    )
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert_problem(
        await local.post(
            f"{HOOKS}/{made['id']}/deliveries/{sent['id']}/retry", headers=owner.headers
        ),
        409,
        "webhook_delivery_pending",
    )
    await deliver(local_app)
    assert inbox.received[1].headers["webhook-id"] == sent["id"]
    assert inbox.received[1].body == got.body


async def test_retries_rotation_and_switching_off(
    local_app: FastAPI, local: httpx.AsyncClient, inbox: Receiver
) -> None:
    owner = await operator(local, local_app.state)
    made = await hook(local, owner, f"{inbox.url}/hook", ["stations.fault_reported"])
    ping = f"{HOOKS}/{made['id']}/ping"

    inbox.answers = [500]
    assert (await local.post(ping, headers=owner.headers)).status_code == 202
    first = await deliver(local_app)
    failed = (await deliveries(local, owner, made["id"]))[0]
    assert (failed["status"], failed["attempts"], failed["response_status"]) == ("failed", 1, 500)
    retry_at = datetime.fromisoformat(failed["next_attempt_at"])
    assert retry_at - first == timedelta(seconds=30)
    await deliver(local_app, first + timedelta(seconds=10))  # not due yet
    assert len(inbox.received) == 1
    await deliver(local_app, first + timedelta(seconds=31))
    assert len(inbox.received) == 2
    assert inbox.received[0].headers["webhook-id"] == inbox.received[1].headers["webhook-id"]
    done = (await deliveries(local, owner, made["id"]))[0]
    assert (done["status"], done["attempts"]) == ("sent", 2)

    # a rotation: for a day both secrets sign, so the receiver can switch over
    old = made["secret"]
    rotated = await local.post(f"{HOOKS}/{made['id']}/secret", headers=owner.headers)
    new = rotated.json()["secret"]
    assert new != old
    await local.post(ping, headers=owner.headers)
    await deliver(local_app)
    got = inbox.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(got.body, got.headers)["type"] == "webhook.ping"
    assert Webhook(old).verify(got.body, got.headers)["type"] == "webhook.ping"
    assert (await local.get(f"{HOOKS}/{made['id']}", headers=owner.headers)).json()[
        "previous_until"
    ]
    await local.post(ping, headers=owner.headers)
    await deliver(local_app, datetime.now(UTC) + timedelta(hours=25))
    assert len(inbox.received[-1].headers["webhook-signature"].split(" ")) == 1

    # 410 Gone: switched off, saying why; events no longer queued; back on by its owner
    inbox.answers = [410]
    await local.post(ping, headers=owner.headers)
    await deliver(local_app)
    off = (await local.get(f"{HOOKS}/{made['id']}", headers=owner.headers)).json()
    assert off["enabled"] is False and "410" in off["disabled_reason"]
    mine = await station(local, owner)
    await fault(local, mine["id"])
    await local_app.state.relay.drain()
    names = [d["event_name"] for d in await deliveries(local, owner, made["id"])]
    assert "stations.fault_reported" not in names
    back = await local.patch(f"{HOOKS}/{made['id']}", json={"enabled": True}, headers=owner.headers)
    assert back.json()["enabled"] is True and back.json()["disabled_reason"] is None

    # given up after max_attempts (3 here)
    inbox.answers = [503, 503, 503]
    await local.post(ping, headers=owner.headers)
    at = await deliver(local_app)
    for wait in (31, 95):
        await deliver(local_app, at + timedelta(seconds=wait))
    dead = (await deliveries(local, owner, made["id"]))[0]
    assert (dead["status"], dead["attempts"], dead["next_attempt_at"]) == ("dead", 3, None)
    assert dead["last_error"] == "the receiver answered 503"


async def test_who_may_and_bad_input(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await operator(client, app.state)
    other = await operator(client, app.state)
    traveler = await make_user(client)
    body = {"url": "https://hooks.example.com/navio", "events": ["stations.fault_reported"]}
    assert_problem(await client.post(HOOKS, json=body), 401, "unauthorized")
    assert_problem(
        await client.post(HOOKS, json=body, headers=traveler.headers), 403, "permission_denied"
    )
    made = (await client.post(HOOKS, json=body, headers=owner.headers)).json()
    url = f"{HOOKS}/{made['id']}"
    for call in (
        client.get(url, headers=other.headers),
        client.patch(url, json={"description": "mine now"}, headers=other.headers),
        client.delete(url, headers=other.headers),
        client.post(f"{url}/ping", headers=other.headers),
        client.post(f"{url}/secret", headers=other.headers),
        client.get(f"{url}/deliveries", headers=other.headers),
    ):
        assert_problem(await call, 404, "webhook_not_found")
    assert (await client.get(HOOKS, headers=other.headers)).json() == []

    # outside development: https, and nothing inside a private network
    for refused in (
        "http://hooks.example.com/navio",
        "https://127.0.0.1/x",
        "https://10.0.0.5/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://[::ffff:192.168.1.1]/x",
        "https://localhost:8443/x",
        "https://printer.local/x",
        "https://user:password@hooks.example.com/x",
        "ftp://hooks.example.com/x",
    ):
        problem = assert_problem(
            await client.post(HOOKS, json=body | {"url": refused}, headers=owner.headers),
            422,
            "invalid_webhook_url",
        )
        assert problem["field"] == "url", problem
    assert_problem(
        await client.patch(url, json={"url": "https://192.168.0.1/"}, headers=owner.headers),
        422,
        "invalid_webhook_url",
    )
    assert_problem(
        await client.post(
            HOOKS, json=body | {"events": ["iam.password_changed"]}, headers=owner.headers
        ),
        422,
        "unknown_webhook_event",
    )
    assert (await client.get(url, headers=owner.headers)).json()["url"] == body["url"]
    for index in range(9):
        more = body | {"url": f"https://hooks.example.com/{index}"}
        assert (await client.post(HOOKS, json=more, headers=owner.headers)).status_code == 201
    assert_problem(
        await client.post(HOOKS, json=body, headers=owner.headers), 409, "webhook_limit_reached"
    )
    assert len((await client.get(HOOKS, headers=owner.headers)).json()) == 10
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert_problem(await client.get(url, headers=owner.headers), 404, "webhook_not_found")
    assert json.loads((await client.get(HOOKS, headers=owner.headers)).text)[0]["url"].startswith(
        "https://"
    )


async def test_a_burst_goes_out_in_one_turn(
    local_app: FastAPI, local: httpx.AsyncClient, inbox: Receiver
) -> None:
    owner = await operator(local, local_app.state)
    made = await hook(local, owner, f"{inbox.url}/burst", ["stations.fault_reported"])
    for _ in range(45):  # more than two batches of 20
        assert (
            await local.post(f"{HOOKS}/{made['id']}/ping", headers=owner.headers)
        ).status_code == 202
    await deliver(local_app)
    assert len(inbox.received) == 45
    assert len({got.headers["webhook-id"] for got in inbox.received}) == 45
    statuses = {d["status"] for d in await deliveries(local, owner, made["id"])}
    assert statuses == {"sent"}


async def test_two_senders_deliver_each_once(
    local_app: FastAPI, local: httpx.AsyncClient, inbox: Receiver
) -> None:
    """Every relay (API processes and workers) runs the sender: their claims must not
    overlap. Two senders at once over the same database, 60 deliveries due."""
    owner = await operator(local, local_app.state)
    made = await hook(local, owner, f"{inbox.url}/both", ["stations.fault_reported"])
    for _ in range(60):
        await local.post(f"{HOOKS}/{made['id']}/ping", headers=owner.headers)
    first = WebhookSender(5.0, 3, allow_local=True)
    second = WebhookSender(5.0, 3, allow_local=True)
    now = datetime.now(UTC)
    sent = await asyncio.gather(first(local_app.state.db, now), second(local_app.state.db, now))
    assert sum(sent) == 60, sent
    ids = [got.headers["webhook-id"] for got in inbox.received]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert {d["status"] for d in await deliveries(local, owner, made["id"])} == {"sent"}
