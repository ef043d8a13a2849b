"""Token forgery, expiry, revocation across processes, rate limits, secrets kept out of logs."""

from __future__ import annotations

import base64
import io
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from fastapi import FastAPI

from navio.kernel.observability import configure_logging
from navio.kernel.security import JwtCodec
from navio.main import create_app
from tests.conftest import TEST_SECRET, make_settings, running_app
from tests.factories.iam import PASSWORD, assert_problem, login, register, unique_email, user


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims_for(user_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "sub": str(user_id),
        "iss": "navio",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "roles": ["admin"],
        "gen": 0,
    }
    claims.update(changes)
    return claims


async def status_with(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


async def test_forged_tokens_are_refused(client: httpx.AsyncClient) -> None:
    account = await user(client)
    claims = claims_for(account.id)
    forged = {
        "alg_none": f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{b64(claims)}.",
        "wrong_key": jwt.encode(
            claims, "another-secret-" * 4, algorithm="HS256", headers={"kid": "k1"}
        ),
        "unknown_kid": jwt.encode(claims, TEST_SECRET, algorithm="HS256", headers={"kid": "k9"}),
        "expired": jwt.encode(
            claims_for(account.id, iat=1_000, nbf=1_000, exp=2_000),
            TEST_SECRET,
            algorithm="HS256",
            headers={"kid": "k1"},
        ),
        "wrong_type": jwt.encode(
            claims_for(account.id, typ="mfa"), TEST_SECRET, algorithm="HS256", headers={"kid": "k1"}
        ),
        "wrong_issuer": jwt.encode(
            claims_for(account.id, iss="evil"),
            TEST_SECRET,
            algorithm="HS256",
            headers={"kid": "k1"},
        ),
        "hs512": jwt.encode(claims, TEST_SECRET, algorithm="HS512", headers={"kid": "k1"}),
        "garbage": "not.a.jwt",
    }
    # a real token with its payload swapped for one claiming admin
    header, _, signature = account.access_token.split(".")
    forged["tampered"] = f"{header}.{b64(claims)}.{signature}"
    for name, token in forged.items():
        response = await status_with(client, token)
        assert response.status_code == 401, (name, response.text)
        assert response.json()["code"] == "invalid_token", name
        assert response.headers["www-authenticate"] == "Bearer"
    assert_problem(await client.get("/api/v1/auth/me"), 401, "unauthorized")
    # the genuine token still works
    assert (await status_with(client, account.access_token)).status_code == 200


async def test_signing_key_rotation(sqlite_url: str) -> None:
    old = {"k1": "first-signing-key-0123456789abcdefghij"}
    both = {**old, "k2": "second-signing-key-0123456789abcdefghi"}
    email = unique_email()
    async with running_app(
        make_settings(sqlite_url, auth={"jwt_keys": old, "jwt_active_kid": "k1"})
    ) as app:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            await register(c, email)
            token_k1 = (await login(c, email))["access_token"]
            async with running_app(
                make_settings(sqlite_url, auth={"jwt_keys": both, "jwt_active_kid": "k2"})
            ) as rotated:
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=rotated), base_url="http://t"
                ) as r:
                    token_k2 = (await login(r, email))["access_token"]
                    assert jwt.get_unverified_header(token_k2)["kid"] == "k2"
                    assert (await status_with(r, token_k1)).status_code == 200
                    assert (await status_with(r, token_k2)).status_code == 200
                # k1 retired: its tokens stop working
                async with running_app(
                    make_settings(
                        sqlite_url,
                        auth={"jwt_keys": {"k2": both["k2"]}, "jwt_active_kid": "k2"},
                    )
                ) as retired:
                    async with httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=retired), base_url="http://t"
                    ) as z:
                        assert_problem(await status_with(z, token_k1), 401, "invalid_token")
                        assert (await status_with(z, token_k2)).status_code == 200


async def test_expired_token_from_the_codec(client: httpx.AsyncClient) -> None:
    account = await user(client)
    codec = JwtCodec("k1", {"k1": TEST_SECRET}, "navio")
    token, _ = codec.encode(
        str(account.id), "access", timedelta(minutes=15), now=datetime.now(UTC) - timedelta(hours=1)
    )
    assert_problem(await status_with(client, token), 401, "invalid_token")


async def test_login_rate_limit_per_account(cache_client: httpx.AsyncClient) -> None:
    email = unique_email()
    await register(cache_client, email)
    for _ in range(5):
        r = await cache_client.post(
            "/api/v1/auth/login", json={"email": email, "password": "wrong-password"}
        )
        assert_problem(r, 401, "invalid_credentials")
    blocked = await cache_client.post(
        "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    body = assert_problem(blocked, 429, "rate_limited")
    assert 1 <= int(blocked.headers["retry-after"]) <= 300
    assert body["retry_after"] == int(blocked.headers["retry-after"])
    # another account from the same address is not blocked by this one
    other = unique_email()
    await register(cache_client, other)
    await login(cache_client, other)


async def test_login_rate_limit_per_ip(sqlite_url: str, redis_url: str) -> None:
    settings = make_settings(sqlite_url, redis_url=redis_url, rate_limit={"login_per_ip": 3})
    async with running_app(settings) as app:
        await app.state.cache.delete("rl:login:ip:127.0.0.1")
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            for _ in range(3):
                r = await c.post(
                    "/api/v1/auth/login", json={"email": unique_email(), "password": "x" * 12}
                )
                assert r.status_code == 401
            r = await c.post(
                "/api/v1/auth/login", json={"email": unique_email(), "password": "x" * 12}
            )
            assert_problem(r, 429, "rate_limited")
        other = httpx.ASGITransport(app=app, client=("127.0.0.2", 5000))
        async with httpx.AsyncClient(transport=other, base_url="http://t") as c2:
            r = await c2.post(
                "/api/v1/auth/login", json={"email": unique_email(), "password": "x" * 12}
            )
            assert r.status_code == 401


async def test_two_factor_rate_limit(cache_client: httpx.AsyncClient) -> None:
    account = await user(cache_client)
    setup = await cache_client.post("/api/v1/auth/2fa/enable", headers=account.headers)
    secret = setup.json()["secret"]
    await cache_client.post(
        "/api/v1/auth/2fa/verify", json={"code": pyotp.TOTP(secret).now()}, headers=account.headers
    )
    token = (
        await cache_client.post(
            "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
        )
    ).json()["mfa_token"]
    for _ in range(5):
        r = await cache_client.post(
            "/api/v1/auth/login/2fa", json={"mfa_token": token, "code": "000000"}
        )
        assert_problem(r, 401, "invalid_mfa_code")
    good = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
    blocked = await cache_client.post(
        "/api/v1/auth/login/2fa", json={"mfa_token": token, "code": good}
    )
    assert_problem(blocked, 429, "rate_limited")


async def test_revocation_is_shared_through_redis(sqlite_url: str, redis_url: str) -> None:
    """Two API processes' worth of apps over one Redis: a logout on one is seen by the other."""
    settings = make_settings(sqlite_url, redis_url=redis_url)
    async with running_app(settings) as first:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=first), base_url="http://a"
        ) as a:
            account = await user(a)
            second_app = create_app(settings, configure_logs=False)
            async with second_app.router.lifespan_context(second_app):
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=second_app), base_url="http://b"
                ) as b:
                    assert (await status_with(b, account.access_token)).status_code == 200
                    assert (
                        await a.post("/api/v1/auth/logout", headers=account.headers)
                    ).status_code == 204
                    assert_problem(await status_with(b, account.access_token), 401, "invalid_token")
                    claims = jwt.decode(account.access_token, options={"verify_signature": False})
                    key = f"navio:rev:jti:{claims['jti']}"
                    assert await first.state.cache.client.exists(key) == 1


async def test_revocations_survive_a_restart_without_redis(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url)
    async with running_app(settings) as first:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=first), base_url="http://a"
        ) as a:
            account = await user(a)
            assert (await a.post("/api/v1/auth/logout", headers=account.headers)).status_code == 204
            restarted = create_app(settings, configure_logs=False)
            async with restarted.router.lifespan_context(restarted):
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=restarted), base_url="http://b"
                ) as b:
                    assert_problem(await status_with(b, account.access_token), 401, "invalid_token")


async def test_argon2id_parameters_follow_owasp(app: FastAPI, client: httpx.AsyncClient) -> None:
    from sqlalchemy import text

    email = unique_email()
    await register(client, email)
    async with app.state.db.transaction() as session:
        stored = (
            await session.execute(
                text("SELECT password_hash FROM iam_user WHERE email = :e"), {"e": email}
            )
        ).scalar_one()
    # OWASP Password Storage Cheat Sheet: Argon2id, m >= 19 MiB, t >= 2, p = 1
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored


async def test_no_secret_reaches_the_logs(sqlite_url: str) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", json=True, stream=stream)
    secrets_seen: list[str] = [PASSWORD, TEST_SECRET]
    try:
        async with running_app(make_settings(sqlite_url, log_level="DEBUG")) as app:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as c:
                account = await user(c)
                secrets_seen += [account.access_token, account.refresh_token]
                # a token in a query string and a header, a failing login, a refresh, 2FA enrolment
                await c.get(
                    f"/api/v1/auth/me?token={account.access_token}", headers=account.headers
                )
                await c.post(
                    "/api/v1/auth/login",
                    json={"email": account.email, "password": "wrong " + PASSWORD},
                )
                secrets_seen.append("wrong " + PASSWORD)
                refreshed = (
                    await c.post(
                        "/api/v1/auth/refresh", json={"refresh_token": account.refresh_token}
                    )
                ).json()
                secrets_seen += [refreshed["access_token"], refreshed["refresh_token"]]
                setup = (
                    await c.post(
                        "/api/v1/auth/2fa/enable",
                        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
                    )
                ).json()
                secrets_seen.append(setup["secret"])
                await c.post("/api/v1/auth/password/reset/request", json={"email": account.email})
                await app.state.relay.drain()
                # and a direct attempt to log secrets through structured fields
                logging.getLogger("navio.test").warning("leak attempt password=%s", "x")
                import structlog

                structlog.get_logger("navio.test").warning(
                    "leak",
                    password=PASSWORD,
                    authorization=f"Bearer {account.access_token}",
                    note=f"token {refreshed['access_token']}",
                )
    finally:
        configure_logging("WARNING", json=True)
    output = stream.getvalue()
    assert "http.request" in output  # logs were captured
    assert "/api/v1/auth/me" in output
    for secret in secrets_seen:
        for fragment in {secret, secret.split(".")[-1]} if secret.count(".") == 2 else {secret}:
            assert fragment not in output, "secret leaked into logs"
    for line in output.strip().splitlines():
        json.loads(line)  # every line is JSON


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
async def test_health(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    if path.endswith("ready"):
        assert response.json()["checks"] == {"database": "ok", "cache": "ok"}


async def test_metrics_count_requests(client: httpx.AsyncClient) -> None:
    await client.get("/health/live")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert (
        'navio_http_requests_total{method="GET",route="/health/live",status="200"}' in response.text
    )
    assert response.headers["x-request-id"]
    echoed = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
