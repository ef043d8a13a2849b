"""Registration, login, tokens, logout, password flows, through HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from navio.kernel.events import Envelope
from tests.factories.iam import PASSWORD, assert_problem, login, register, unique_email, user


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def capture(app: FastAPI, event_name: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    async def handler(_session: Any, envelope: Envelope) -> None:
        seen.append(envelope.payload)

    app.state.registry.subscribe(event_name, f"test.capture.{event_name}", handler)
    return seen


async def test_register_login_me(client: httpx.AsyncClient) -> None:
    email = unique_email()
    created = await register(client, email.upper(), display_name="Ada")
    assert created["email"] == email
    assert created["roles"] == ["traveler"]
    assert created["email_verified"] is False
    assert "password" not in created and "password_hash" not in created
    tokens = await login(client, email)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    response = await me(client, tokens["access_token"])
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]
    assert response.json()["display_name"] == "Ada"
    # clients poll /me: the ETag lets them skip unchanged bodies
    again = await client.get(
        "/api/v1/auth/me",
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "If-None-Match": response.headers["etag"],
        },
    )
    assert again.status_code == 304 and again.content == b""


async def test_parallel_requests_on_a_cold_me_read_the_user_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A client opening many requests at once (or its cache entry expiring under load) costs one
    database read, not one per request."""
    account = await user(client)
    await app.state.cache.delete(f"iam:me:{account.id}")
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM iam_user " in statement:
            reads.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        responses = await asyncio.gather(*(me(client, account.access_token) for _ in range(16)))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [r.status_code for r in responses] == [200] * 16
    assert len({r.content for r in responses}) == 1
    assert responses[0].json()["id"] == str(account.id)
    assert len(reads) == 1


async def test_login_with_oauth2_form(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    response = await client.post(
        "/api/v1/auth/login",
        data={"username": email, "password": PASSWORD, "grant_type": "password"},
    )
    assert response.status_code == 200, response.text
    assert (await me(client, response.json()["access_token"])).status_code == 200


async def test_duplicate_email_conflicts(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email.title(), "password": PASSWORD, "display_name": "Again"},
    )
    body = assert_problem(response, 409, "email_taken")
    assert body["field"] == "email"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "display_name": "X"}, "email"),
        ({"email": "a@example.org", "password": PASSWORD, "display_name": ""}, "display_name"),
        ({"email": "a@example.org", "display_name": "X"}, "password"),
        ({"email": "a@example.org", "password": "x" * 500, "display_name": "X"}, "password"),
        (
            {"email": "a@example.org", "password": PASSWORD, "display_name": "X", "admin": True},
            "admin",
        ),
    ],
)
async def test_register_rejects_bad_input(
    client: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    body = assert_problem(
        await client.post("/api/v1/auth/register", json=payload), 422, "validation_error"
    )
    assert field in {e["field"] for e in body["errors"]}  # type: ignore[union-attr]


async def test_weak_password_is_refused_and_nothing_is_written(client: httpx.AsyncClient) -> None:
    email = unique_email("weakling")
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": "short", "display_name": "W"}
    )
    body = assert_problem(response, 422, "weak_password")
    assert body["field"] == "password"
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": email.split("@")[0] + "-pass", "display_name": "W"},
    )
    assert_problem(response, 422, "weak_password")  # contains the email name
    # nothing half-written: the address is still free
    await register(client, email)


async def test_malformed_json_is_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "validation_error")


async def test_wrong_password_and_unknown_account_look_the_same(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": "nope-nope-nope"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": unique_email(), "password": "nope-nope-nope"}
    )
    a = assert_problem(wrong, 401, "invalid_credentials")
    b = assert_problem(unknown, 401, "invalid_credentials")
    assert a["detail"] == b["detail"]


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    account = await user(client)
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != account.refresh_token
    assert (await me(client, rotated["access_token"])).status_code == 200

    # the old refresh token comes back: theft. The whole family dies, including the new tokens.
    reuse = await client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert_problem(reuse, 401, "refresh_token_reused")
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert_problem(again, 401, "invalid_token")
    assert_problem(await me(client, rotated["access_token"]), 401, "invalid_token")
    assert_problem(await me(client, account.access_token), 401, "invalid_token")
    # another login of the same user is unaffected
    other = await login(client, account.email)
    assert (await me(client, other["access_token"])).status_code == 200


@pytest.mark.parametrize(
    "token",
    ["garbage", "0" * 40, "00000000-0000-0000-0000-000000000000.abcdefabcdefabcdef"],
)
async def test_refresh_rejects_unknown_tokens(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    if len(token) < 16:
        assert_problem(response, 422, "validation_error")
    else:
        assert_problem(response, 401, "invalid_token")


async def test_logout_revokes_access_and_refresh(client: httpx.AsyncClient) -> None:
    account = await user(client)
    response = await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": account.refresh_token},
        headers=account.headers,
    )
    assert response.status_code == 204
    assert_problem(await me(client, account.access_token), 401, "invalid_token")
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": account.refresh_token}
    )
    assert_problem(refreshed, 401, "invalid_token")


async def test_permissions_lists_roles_and_orgs(client: httpx.AsyncClient) -> None:
    account = await user(client)
    org = await client.post(
        "/api/v1/orgs", json={"name": "Helsinki Rides"}, headers=account.headers
    )
    assert org.status_code == 201
    response = await client.get("/api/v1/auth/permissions", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["traveler"]
    assert "trip:create" in body["permissions"] and "user:manage" not in body["permissions"]
    assert body["organizations"] == [
        {
            "organization_id": org.json()["id"],
            "role": "owner",
            "permissions": ["org:manage", "org:manage_members", "org:read", "org:transfer"],
        }
    ]


async def test_password_change_ends_other_sessions(client: httpx.AsyncClient) -> None:
    account = await user(client)
    other_device = await login(client, account.email)
    new_password = "a much better passphrase 42"
    wrong = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": "not my password", "new_password": new_password},
        headers=account.headers,
    )
    assert_problem(wrong, 401, "invalid_credentials")
    weak = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": "aaaa"},
        headers=account.headers,
    )
    assert_problem(weak, 422, "weak_password")
    response = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    fresh = response.json()
    assert (await me(client, fresh["access_token"])).status_code == 200
    assert_problem(await me(client, account.access_token), 401, "invalid_token")
    assert_problem(await me(client, other_device["access_token"]), 401, "invalid_token")
    stale = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": other_device["refresh_token"]}
    )
    assert_problem(stale, 401, "invalid_token")
    old = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert_problem(old, 401, "invalid_credentials")
    await login(client, account.email, new_password)


async def test_password_reset_through_outbox_event(app: FastAPI, client: httpx.AsyncClient) -> None:
    sent = capture(app, "iam.password_reset_requested")
    account = await user(client)
    unknown = await client.post(
        "/api/v1/auth/password/reset/request", json={"email": unique_email()}
    )
    assert unknown.status_code == 202
    response = await client.post(
        "/api/v1/auth/password/reset/request", json={"email": account.email}
    )
    assert response.status_code == 202
    assert response.json() == unknown.json()  # no account enumeration
    await app.state.relay.drain()
    assert [m["email"] for m in sent] == [account.email]
    token = sent[0]["token"]

    bad = await client.post(
        "/api/v1/auth/password/reset/confirm",
        json={"token": "x" * 43, "new_password": "brand new secret 9"},
    )
    assert_problem(bad, 401, "invalid_token")
    weak = await client.post(
        "/api/v1/auth/password/reset/confirm", json={"token": token, "new_password": "aaaa"}
    )
    assert_problem(weak, 422, "weak_password")
    # the failed attempt did not burn the token (nothing half-written)
    ok = await client.post(
        "/api/v1/auth/password/reset/confirm",
        json={"token": token, "new_password": "brand new secret 9"},
    )
    assert ok.status_code == 204, ok.text
    assert_problem(await me(client, account.access_token), 401, "invalid_token")
    await login(client, account.email, "brand new secret 9")
    reused = await client.post(
        "/api/v1/auth/password/reset/confirm",
        json={"token": token, "new_password": "another secret 77"},
    )
    assert_problem(reused, 401, "invalid_token")


async def test_email_verification(app: FastAPI, client: httpx.AsyncClient) -> None:
    sent = capture(app, "iam.email_verification_requested")
    account = await user(client)
    await app.state.relay.drain()
    mine = [m for m in sent if m["email"] == account.email]
    assert len(mine) == 1
    response = await client.post("/api/v1/auth/email/verify", json={"token": mine[0]["token"]})
    assert response.status_code == 204
    assert (await me(client, account.access_token)).json()["email_verified"] is True
    again = await client.post("/api/v1/auth/email/verify/request", headers=account.headers)
    assert_problem(again, 409, "email_already_verified")


async def test_email_verification_resend_replaces_old_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    sent = capture(app, "iam.email_verification_requested")
    account = await user(client)
    response = await client.post("/api/v1/auth/email/verify/request", headers=account.headers)
    assert response.status_code == 202
    await app.state.relay.drain()
    first, second = (m["token"] for m in sent if m["email"] == account.email)
    assert_problem(
        await client.post("/api/v1/auth/email/verify", json={"token": first}), 401, "invalid_token"
    )
    assert (
        await client.post("/api/v1/auth/email/verify", json={"token": second})
    ).status_code == 204


async def test_problem_json_for_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nope"), 404, "not_found")
    assert_problem(await client.delete("/api/v1/auth/me"), 405, "method_not_allowed")


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        content=b'{"email": "' + b"a" * 2_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 413, "payload_too_large")
