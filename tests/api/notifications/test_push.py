"""Web Push through HTTP on SQLite and PostgreSQL, to a real HTTP server standing for the push
service, with the test holding a browser's keys: a notice arrives sealed for that browser
alone (opened with its private key and auth secret by the RFC 8291 reference library) and
signed with VAPID for the push service (the JWT verified with the published key); a 500 is
tried again, a 410 forgets the subscription; bad subscriptions, other people's and private
endpoints are refused."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import http_ece
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI

from navio.notifications.push import b64url, unb64url
from tests.factories.iam import AuthedUser, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API, add_collaborator, create_trip
from tests.factories.webhooks import Receiver, receiver

SUBS = f"{API}/notifications/push/subscriptions"


class Browser:
    """What a browser keeps of a push subscription: its key pair and auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict[str, Any]:
        point = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }

    def open(self, sealed: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            sealed, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        message: dict[str, Any] = json.loads(plain)
        return message


@pytest.fixture
def service() -> Iterator[Receiver]:
    with receiver() as made:
        yield made


async def deliver(app: FastAPI, at: datetime | None = None) -> None:
    await app.state.relay.drain()
    await app.state.relay.run_periodic(now=at or datetime.now(UTC), force=True)


async def _added(client: httpx.AsyncClient, owner: AuthedUser, who: AuthedUser) -> None:
    trip = await create_trip(client, owner, title="Lapland in March")
    await add_collaborator(client, owner, trip["id"], who, "editor")


async def test_a_notice_is_pushed_sealed_and_signed(
    local_app: FastAPI, local: httpx.AsyncClient, service: Receiver
) -> None:
    owner, friend = await make_user(local), await make_user(local)
    key = (await local.get(f"{API}/notifications/push/key")).json()["application_server_key"]
    published = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    browser = Browser(f"{service.url}/push/v2/abc123")

    made = await local.post(SUBS, json=browser.subscription(), headers=friend.headers)
    assert made.status_code == 201, made.text
    again = await local.post(SUBS, json=browser.subscription(), headers=friend.headers)
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    assert [s["endpoint"] for s in (await local.get(SUBS, headers=friend.headers)).json()] == [
        browser.endpoint
    ]

    await _added(local, owner, friend)
    await deliver(local_app)
    (got,) = service.received
    assert got.path == "/push/v2/abc123"
    assert got.headers["content-encoding"] == "aes128gcm"
    assert int(got.headers["ttl"]) > 0
    scheme, _, rest = got.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert fields["k"] == key
    claims = jwt.decode(fields["t"], published, algorithms=["ES256"], audience=service.url)
    assert claims["sub"] == "mailto:no-reply@navio.localhost"
    assert claims["exp"] <= (datetime.now(UTC) + timedelta(hours=24)).timestamp()
    message = browser.open(got.body)
    inbox = (await local.get(f"{API}/notifications", headers=friend.headers)).json()["items"]
    assert message["id"] == inbox[0]["id"] and message["kind"] == "trip_added"
    assert (message["title"], message["body"]) == (inbox[0]["title"], inbox[0]["body"])
    # sealed for that browser: another key pair cannot open it
    with pytest.raises(Exception):  # noqa: B017, PT011 - the library's own failure
        Browser(browser.endpoint).open(got.body)
    assert (await local.get(SUBS, headers=friend.headers)).json()[0]["last_sent_at"] is not None

    # a push service that fails is tried again; one that says the subscription is gone, not
    service.answers = [500]
    await _added(local, owner, friend)
    await local_app.state.relay.drain()  # the notice, and its push queued
    now = datetime.now(UTC)
    await deliver(local_app, now)
    assert len(service.received) == 2
    await deliver(local_app, now + timedelta(seconds=1))
    assert len(service.received) == 2  # not before its backoff
    await deliver(local_app, now + timedelta(minutes=5))
    assert len(service.received) == 3
    assert browser.open(service.received[2].body) == browser.open(service.received[1].body)
    service.answers = [410]
    await _added(local, owner, friend)
    await deliver(local_app)
    assert len(service.received) == 4
    assert (await local.get(SUBS, headers=friend.headers)).json() == []
    await _added(local, owner, friend)
    await deliver(local_app)
    assert len(service.received) == 4  # nothing more to a subscription that is gone


async def test_push_subscriptions_bad_input_and_other_peoples(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, stranger = await make_user(client), await make_user(client)
    good = Browser("https://push.example.net/send/abc").subscription()
    for change, code in (
        ({"endpoint": "http://127.0.0.1:9/push"}, "invalid_push_subscription"),
        ({"endpoint": "https://10.0.0.7/push"}, "invalid_push_subscription"),
        ({"keys": {**good["keys"], "auth": b64url(b"short")}}, "validation_error"),
        ({"keys": {**good["keys"], "auth": b64url(os.urandom(12))}}, "invalid_push_subscription"),
        ({"keys": {**good["keys"], "p256dh": b64url(os.urandom(65))}}, "invalid_push_subscription"),
        ({"keys": {"p256dh": good["keys"]["p256dh"]}}, "validation_error"),
    ):
        refused = await client.post(SUBS, json={**good, **change}, headers=owner.headers)
        assert_problem(refused, 422, code)
    assert_problem(await client.post(SUBS, json=good), 401, "unauthorized")
    assert (await client.get(SUBS, headers=owner.headers)).json() == []  # nothing kept

    made = (await client.post(SUBS, json=good, headers=owner.headers)).json()
    assert_problem(
        await client.delete(f"{SUBS}/{made['id']}", headers=stranger.headers),
        404,
        "push_subscription_not_found",
    )
    assert (await client.get(SUBS, headers=stranger.headers)).json() == []
    # the same browser, now signed in as someone else: theirs from now on
    taken = await client.post(SUBS, json=good, headers=stranger.headers)
    assert taken.status_code == 201
    assert (await client.get(SUBS, headers=owner.headers)).json() == []
    for n in range(9):
        more = Browser(f"https://push.example.net/send/{n}").subscription()
        assert (await client.post(SUBS, json=more, headers=stranger.headers)).status_code == 201
    full = Browser("https://push.example.net/send/eleventh").subscription()
    assert_problem(
        await client.post(SUBS, json=full, headers=stranger.headers),
        409,
        "push_subscription_limit_reached",
    )
    gone = await client.delete(f"{SUBS}/{taken.json()['id']}", headers=stranger.headers)
    assert gone.status_code == 204
    assert len((await client.get(SUBS, headers=stranger.headers)).json()) == 9
