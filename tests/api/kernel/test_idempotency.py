"""Idempotency-Key on unsafe requests, over HTTP on SQLite and PostgreSQL: replay of the first
answer (errors included), a different request under the same key, a request still running, a
dead first attempt taken over, keys private to their owner, expiry after 24 hours."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from navio.kernel import idempotency
from navio.kernel.clock import FrozenClock
from tests.factories.expenses import expense_body
from tests.factories.iam import assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API


async def _count(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return len((await client.get(f"{API}/expenses", headers=headers)).json()["items"])


async def test_replay_mismatch_and_errors(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    headers = {**me.headers, "Idempotency-Key": "order-1"}
    body = expense_body(None, amount_minor=1234, currency="EUR")
    first = await client.post(f"{API}/expenses", json=body, headers=headers)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = await client.post(f"{API}/expenses", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert await _count(client, me.headers) == 1

    other = await client.post(
        f"{API}/expenses", json={**body, "amount_minor": 999}, headers=headers
    )
    assert_problem(other, 422, "idempotency_key_reused")
    elsewhere = await client.post(f"{API}/trips", json={"title": "x"}, headers=headers)
    assert_problem(elsewhere, 422, "idempotency_key_reused")

    bad = {**me.headers, "Idempotency-Key": "order-2"}
    refused = await client.post(f"{API}/expenses", json={**body, "amount_minor": -5}, headers=bad)
    assert_problem(refused, 422, "invalid_expense")
    replayed = await client.post(f"{API}/expenses", json={**body, "amount_minor": -5}, headers=bad)
    assert replayed.status_code == 422 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["code"] == "invalid_expense"
    invalid = await client.post(
        f"{API}/expenses",
        json={**body, "amount_minor": "lots"},
        headers={**me.headers, "Idempotency-Key": "order-3"},
    )
    assert_problem(invalid, 422, "validation_error")

    # keys are per caller: the same key is a different request for someone else
    you = await make_user(client)
    yours = await client.post(
        f"{API}/expenses", json=body, headers={**you.headers, "Idempotency-Key": "order-1"}
    )
    assert yours.status_code == 201 and yours.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in yours.headers
    too_long = await client.post(
        f"{API}/expenses", json=body, headers={**me.headers, "Idempotency-Key": "k" * 300}
    )
    assert_problem(too_long, 422, "invalid_idempotency_key")
    assert await _count(client, me.headers) == 1


async def test_in_progress_takeover_and_expiry(client: httpx.AsyncClient, app: FastAPI) -> None:
    me = await make_user(client)
    clock = FrozenClock(app.state.clock.now())
    app.state.clock = clock
    body = expense_body(None, amount_minor=500, currency="EUR")
    raw = httpx.Request("POST", "http://t/api/v1/expenses", json=body).content
    digest = idempotency.request_digest("POST", f"{API}/expenses", "", raw)
    scope = f"user:{me.id}"
    # a first attempt is running (claimed, not finished)
    assert (
        await idempotency.claim(
            app.state.db, scope, "pay-1", digest, "POST", f"{API}/expenses", clock.now()
        )
        is None
    )
    headers = {**me.headers, "Idempotency-Key": "pay-1"}
    busy = await client.post(f"{API}/expenses", json=body, headers=headers)
    assert_problem(busy, 409, "idempotency_request_in_progress")
    assert busy.headers["retry-after"] == "1"
    assert await _count(client, me.headers) == 0
    # it died: after the lease the retry runs, once
    clock.advance(idempotency.LEASE + timedelta(seconds=1))
    taken = await client.post(f"{API}/expenses", json=body, headers=headers)
    assert taken.status_code == 201, taken.text
    replay = await client.post(f"{API}/expenses", json=body, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"
    assert await _count(client, me.headers) == 1
    # a day later the key is forgotten: the same request runs again
    clock.advance(idempotency.TTL)
    fresh = await client.post(f"{API}/expenses", json=body, headers=headers)
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    assert await _count(client, me.headers) == 2
    assert await idempotency.purge_expired(app.state.db, clock.now() + idempotency.TTL) >= 1


async def test_the_relay_forgets_expired_keys(app: FastAPI) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from navio.kernel.idempotency import IdempotencyKey

    long_ago = datetime.now(UTC) - idempotency.TTL - timedelta(hours=1)
    for key, at in (("old", long_ago), ("fresh", datetime.now(UTC))):
        assert await idempotency.claim(app.state.db, "user:x", key, "d", "POST", "/p", at) is None
    await app.state.relay.run_periodic(force=True)
    async with app.state.db.transaction() as session:
        keys = set(await session.scalars(select(IdempotencyKey.key)))
    assert keys == {"fresh"}
