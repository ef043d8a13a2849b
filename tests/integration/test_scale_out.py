"""Both deployment modes as real processes: embedded (SQLite, in-process relay) and scaled out
(two stateless API processes + a `navio worker` over PostgreSQL and Redis)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from navio.kernel.db import Database, create_engine
from navio.kernel.pubsub import create_broadcast
from navio.main import build_registry
from navio.settings import load_settings
from tests.conftest import empty_database
from tests.factories.brokers import BROKER_URLS, new_namespace, reachable, remove_namespace
from tests.factories.iam import PASSWORD, unique_email
from tests.factories.mail import Mailbox, smtp_server
from tests.factories.marketplace import listing_body, operator_body
from tests.factories.trips import trip_body
from tests.integration.processes import (
    eventually,
    free_port,
    free_ports,
    navio_env,
    processes,
    promoted_user,
    register_and_login,
    serve,
    wait_ready,
)


def trip_live_across_processes(a: str, b: str, headers: dict[str, str]) -> None:
    trip = httpx.post(f"{a}/api/v1/trips", json=trip_body(), headers=headers)
    assert trip.status_code == 201, trip.text
    trip_id = trip.json()["id"]
    token = headers["Authorization"].removeprefix("Bearer ")
    ws_url = b.replace("http://", "ws://") + f"/api/v1/trips/{trip_id}/live?access_token={token}"
    with connect(ws_url, open_timeout=10) as socket_on_b:
        assert json.loads(socket_on_b.recv(timeout=10))["type"] == "ready"
        added = httpx.post(
            f"{a}/api/v1/trips/{trip_id}/items",
            json={"kind": "note", "title": "pushed across processes", "day": "2027-06-02"},
            headers=headers,
        )
        assert added.status_code == 201, added.text
        deadline = time.monotonic() + 15
        while True:
            message = json.loads(socket_on_b.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("event") == "trips.item_added":
                break
        assert message["subject_id"] == added.json()["id"]
        assert message["data"]["title"] == "pushed across processes"
        # a journey shared on A, its fixes sent to B, pushed to the socket on B
        journey = httpx.post(
            f"{a}/api/v1/trips/{trip_id}/journeys",
            json={"destination": {"name": "Helsinki Cathedral", "lat": 60.17046, "lon": 24.95211}},
            headers=headers,
        )
        assert journey.status_code == 201, journey.text
        soon = datetime.now(UTC) + timedelta(seconds=1)
        fixes = [
            {
                "lat": 60.17103,
                "lon": 24.94142 + 0.0004 * i,
                "accuracy_m": 8.0,
                "recorded_at": (soon + timedelta(seconds=15 * i)).isoformat(),
            }
            for i in range(3)
        ]
        sent = httpx.post(
            f"{b}/api/v1/journeys/{journey.json()['id']}/positions",
            json={"positions": fixes},
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
        while True:
            message = json.loads(socket_on_b.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("event") == "tracking.position_recorded":
                break
        assert message["data"]["journey"] == sent.json()["journey"]
        polled = httpx.get(
            f"{a}/api/v1/journeys/{journey.json()['id']}",
            headers={**headers, "If-None-Match": sent.headers["ETag"]},
        )
        assert polled.status_code == 304
    # a stranger's socket is refused
    stranger = "x" * 20
    with pytest.raises(InvalidStatus):
        connect(
            b.replace("http://", "ws://") + f"/api/v1/trips/{trip_id}/live?access_token={stranger}"
        )


def money_across_processes(a: str, b: str, headers: dict[str, str]) -> None:
    """Payments and bookings on either process: an intent made on A is confirmed on B (the
    sandbox learns it from the payments table), a booking retried on B with the same
    Idempotency-Key replays A's answer, and both processes see one ledger."""
    intent = httpx.post(
        f"{a}/api/v1/payments/intent",
        json={"amount_minor": 2500, "currency": "EUR"},
        headers=headers,
    )
    assert intent.status_code == 201, intent.text
    paid = httpx.post(
        f"{b}/api/v1/payments/confirm",
        json={"payment_id": intent.json()["id"], "payment_method": "4242424242424242"},
        headers=headers,
    )
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text
    body = {
        "offer": {"kind": "activity", "title": "Sauna", "amount_minor": 1000, "currency": "EUR"},
        "starts_at": "2031-06-01T10:00:00+00:00",
    }
    keyed = {**headers, "Idempotency-Key": "sauna-1"}
    first = httpx.post(f"{a}/api/v1/bookings", json=body, headers=keyed)
    assert first.status_code == 201 and first.json()["status"] == "confirmed", first.text
    again = httpx.post(f"{b}/api/v1/bookings", json=body, headers=keyed)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    balance = httpx.get(f"{b}/api/v1/wallet/balance", headers=headers).json()["balances"]
    assert balance == [
        {"currency": "EUR", "available_minor": 1500, "held_minor": 0, "payable_minor": 0}
    ]


def seats_across_processes(a: str, b: str, database_url: str) -> None:
    """Ten travelers race through both processes for a date with four seats: exactly four get
    one, both processes then show none left, and the worker tells the seller of each sale."""
    market = "/api/v1/marketplace"
    _, seller = promoted_user(a, database_url, ["operator", "traveler"])
    _, boss = promoted_user(b, database_url, ["admin", "traveler"])
    operator = httpx.post(f"{a}{market}/operator", json=operator_body(), headers=seller)
    assert operator.status_code == 201, operator.text
    verified = httpx.post(
        f"{b}/api/v1/admin/marketplace/operators/{operator.json()['id']}/kyc",
        json={"decision": "verified"},
        headers=boss,
    )
    assert verified.status_code == 200, verified.text
    listing = httpx.post(f"{a}{market}/listings", json=listing_body(), headers=seller).json()
    day = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    dates = httpx.post(
        f"{b}{market}/listings/{listing['id']}/slots",
        json={"from_date": day, "to_date": day, "times": ["10:00"], "capacity": 4},
        headers=seller,
    )
    assert dates.status_code == 201, dates.text
    on_sale = {"status": "published"}
    httpx.post(f"{a}{market}/listings/{listing['id']}/status", json=on_sale, headers=seller)
    [slot] = httpx.get(f"{b}{market}/listings/{listing['id']}/availability").json()
    travelers = [register_and_login(a, b)[1] for _ in range(10)]
    for headers in travelers:
        funded = httpx.post(
            f"{a}/api/v1/wallet/top-up",
            json={"amount_minor": 3000, "currency": "EUR", "payment_method": "4242424242424242"},
            headers=headers,
        )
        assert funded.status_code == 201, funded.text

    def book(index: int) -> int:
        answer = httpx.post(
            f"{(a, b)[index % 2]}/api/v1/bookings",
            json={"listing": {"slot_id": slot["id"], "seats": 1}},
            headers=travelers[index],
            timeout=30,
        )
        assert answer.status_code in (201, 409), answer.text
        return answer.status_code

    with ThreadPoolExecutor(len(travelers)) as pool:
        codes = sorted(pool.map(book, range(len(travelers))))
    assert codes == [201] * 4 + [409] * 6
    for base in (a, b):
        [after] = httpx.get(f"{base}{market}/listings/{listing['id']}/availability").json()
        assert (after["reserved"], after["seats_left"]) == (4, 0)

    def sold() -> int:
        inbox = httpx.get(f"{b}/api/v1/notifications", headers=seller).json()["items"]
        return sum(1 for notice in inbox if notice["kind"] == "booking_sold")

    eventually(lambda: sold() == 4)


def profile_change_across_processes(a: str, b: str, headers: dict[str, str]) -> None:
    """`/auth/me` is cached (in Redis): A has it cached when two-factor is turned on through B,
    and A's next answer shows it."""
    assert httpx.get(f"{a}/api/v1/auth/me", headers=headers).json()["mfa_enabled"] is False
    setup = httpx.post(f"{b}/api/v1/auth/2fa/enable", headers=headers)
    assert setup.status_code == 200, setup.text
    code = pyotp.TOTP(setup.json()["secret"]).at(time.time() - 30)
    verified = httpx.post(f"{b}/api/v1/auth/2fa/verify", json={"code": code}, headers=headers)
    assert verified.status_code == 200, verified.text
    assert httpx.get(f"{a}/api/v1/auth/me", headers=headers).json()["mfa_enabled"] is True


def scaled_out_scenario(postgres_url: str, redis_url: str, broker: dict[str, str]) -> None:
    with smtp_server() as mailbox:
        scaled_out_with_mail(postgres_url, redis_url, mailbox, broker)


def scaled_out_with_mail(
    postgres_url: str, redis_url: str, mailbox: Mailbox, broker: dict[str, str]
) -> None:
    """Two API processes and two workers; with a broker the workers compete for its queues
    (every event handled once shows below: one profile, one e-mail, one notice per sale)."""
    ports = free_ports(2)
    common = {
        "NAVIO_DATABASE_URL": postgres_url,
        "NAVIO_REDIS_URL": redis_url,
        "NAVIO_OUTBOX__RUN_IN_API": "false",
        "NAVIO_NOTIFICATIONS__SMTP_URL": mailbox.url,
        "NAVIO_NOTIFICATIONS__SEND_INTERVAL_SECONDS": "0.2",
        **broker,
    }
    a, b = (f"http://127.0.0.1:{p}" for p in ports)
    worker = [sys.executable, "-m", "navio", "worker"]
    with processes(
        (serve(ports[0]), navio_env(**common)),
        (serve(ports[1]), navio_env(**common)),
        (worker, navio_env(**common)),
        (worker, navio_env(**common)),
    ) as procs:
        wait_ready(a, procs)
        wait_ready(b, procs)
        if broker:
            assert httpx.get(f"{a}/health/ready").json()["checks"]["broker"] == "ok"
        user_id, headers = register_and_login(a, b)
        # stateless: a token from B works on A
        assert httpx.get(f"{a}/api/v1/auth/me", headers=headers).json()["id"] == user_id
        # the worker, not the API, delivers UserRegistered and the profile gets seeded
        eventually(
            lambda: (
                httpx.get(f"{b}/api/v1/users/{user_id}/profile", headers=headers).json()[
                    "display_name"
                ]
                == "Scaled Traveller"
            )
        )
        # the worker sends the sign-up's verification e-mail over SMTP
        address = httpx.get(f"{a}/api/v1/auth/me", headers=headers).json()["email"]
        eventually(lambda: len(mailbox.to(address, "Confirm your e-mail address for Navio")) == 1)
        # live trip changes: made through A, delivered by the worker, pushed through Redis to
        # a WebSocket connected to B
        trip_live_across_processes(a, b, headers)
        money_across_processes(a, b, headers)
        seats_across_processes(a, b, postgres_url)
        profile_change_across_processes(a, b, headers)
        # revocation through Redis: logout on B is refused on A at once
        assert httpx.post(f"{b}/api/v1/auth/logout", headers=headers).status_code == 204
        revoked = httpx.get(f"{a}/api/v1/auth/me", headers=headers)
        assert revoked.status_code == 401 and revoked.json()["code"] == "invalid_token"
        # rate limits are shared: failures spread over both processes add up
        email = unique_email("brute")
        httpx.post(
            f"{a}/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "B"},
        )
        for i in range(5):
            r = httpx.post(
                f"{(a, b)[i % 2]}/api/v1/auth/login",
                json={"email": email, "password": "wrong-" * 3},
            )
            assert r.status_code == 401
        blocked = httpx.post(f"{a}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


@pytest.mark.parametrize("broker", ["none", "rabbitmq", "nats"])
async def test_scaled_out_api_processes_and_workers(
    postgres_url: str, redis_url: str, broker: str
) -> None:
    """Events through the database (workers relay the outbox to their own handlers) or
    through a broker (workers publish it and consume their queues)."""
    env: dict[str, str] = {}
    if broker != "none":
        await reachable(BROKER_URLS[broker])
        env = {"NAVIO_BROKER_URL": BROKER_URLS[broker], "NAVIO_BROKER_NAMESPACE": new_namespace()}
    try:
        # the servers are other processes: drive them from a thread, keep this loop free
        await asyncio.to_thread(scaled_out_scenario, postgres_url, redis_url, env)
    finally:
        db = Database(create_engine(postgres_url))
        await empty_database(db)
        await db.dispose()
        if env:
            registry = build_registry(create_broadcast(None), load_settings({}))
            await remove_namespace(env["NAVIO_BROKER_URL"], env["NAVIO_BROKER_NAMESPACE"], registry)


def test_embedded_single_process_on_sqlite(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = navio_env(NAVIO_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/navio.db")
    with processes((serve(port), env)) as procs:
        wait_ready(base, procs)  # `navio serve` migrated the fresh SQLite file itself
        user_id, headers = register_and_login(base, base)
        eventually(
            lambda: (
                httpx.get(f"{base}/api/v1/users/{user_id}/profile", headers=headers).json()[
                    "display_name"
                ]
                == "Scaled Traveller"
            )
        )
        docs = httpx.get(f"{base}/openapi.json").json()
        assert "/api/v1/auth/login" in docs["paths"]
