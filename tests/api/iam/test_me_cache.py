"""`GET /auth/me` is cached; a change to what it shows is never hidden by a read racing it.

Each test holds one request at a chosen cache call (the real cache does the work; the hold
only sets the order of events) and lets a concurrent request run in that window, on SQLite and
PostgreSQL, with the in-process cache and with Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pyotp
from fastapi import FastAPI

from navio.kernel.cache import Cache
from tests.factories.iam import AuthedUser, user

ME_KEY = "iam:me:"


class Hold:
    """Delegates to `inner`; the first call of one of `methods` on a key starting with `prefix`
    stops, before or after the real call, until `release` is set."""

    def __init__(self, inner: Cache, methods: set[str], prefix: str, *, after: bool) -> None:
        self.inner = inner
        self.methods = methods
        self.prefix = prefix
        self.after = after
        self.reached = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.inner, name)
        if name not in self.methods:
            return real

        async def held(key: str, *args: Any, **kwargs: Any) -> Any:
            hold = key.startswith(self.prefix) and not self.reached.is_set()
            if hold and not self.after:
                self.reached.set()
                await self.release.wait()
            result = await real(key, *args, **kwargs)
            if hold and self.after:
                self.reached.set()
                await self.release.wait()
            return result

        return held


async def me(client: httpx.AsyncClient, account: AuthedUser) -> dict[str, Any]:
    response = await client.get("/api/v1/auth/me", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def pending_two_factor(client: httpx.AsyncClient, account: AuthedUser) -> str:
    setup = await client.post("/api/v1/auth/2fa/enable", headers=account.headers)
    assert setup.status_code == 200, setup.text
    secret: str = setup.json()["secret"]
    return secret


async def confirm_two_factor(client: httpx.AsyncClient, account: AuthedUser, secret: str) -> None:
    code = pyotp.TOTP(secret).at(time.time() - 30)
    response = await client.post(
        "/api/v1/auth/2fa/verify", json={"code": code}, headers=account.headers
    )
    assert response.status_code == 200, response.text


async def while_held(
    app: FastAPI, hold: Hold, held: Awaitable[Any], meanwhile: Callable[[], Awaitable[Any]]
) -> tuple[Any, Any]:
    """Run `held` until it reaches the hold, then `meanwhile` to the end, then let `held` go."""
    runtime = app.state.iam
    real = runtime.cache
    runtime.cache = hold
    try:
        first = asyncio.ensure_future(held)
        await asyncio.wait_for(hold.reached.wait(), 10)
        second = await meanwhile()
        hold.release.set()
        return await asyncio.wait_for(first, 10), second
    finally:
        runtime.cache = real


async def test_a_read_begun_before_a_change_does_not_store_what_it_read(
    cache_app: FastAPI, cache_client: httpx.AsyncClient
) -> None:
    account = await user(cache_client)
    secret = await pending_two_factor(cache_client, account)
    hold = Hold(cache_app.state.iam.cache, {"set", "set_if_generation"}, ME_KEY, after=False)
    # The read has the account as it was and is about to cache it when 2FA is turned on.
    before, _ = await while_held(
        cache_app,
        hold,
        me(cache_client, account),
        lambda: confirm_two_factor(cache_client, account, secret),
    )
    assert before["mfa_enabled"] is False
    assert (await me(cache_client, account))["mfa_enabled"] is True


async def test_a_read_between_a_change_and_its_commit_does_not_outlive_the_commit(
    cache_app: FastAPI, cache_client: httpx.AsyncClient
) -> None:
    account = await user(cache_client)
    secret = await pending_two_factor(cache_client, account)
    assert (await me(cache_client, account))["mfa_enabled"] is False  # cached
    hold = Hold(cache_app.state.iam.cache, {"delete", "invalidate"}, ME_KEY, after=True)
    # 2FA is turned on and its cache entry dropped, but the change is not committed yet: a
    # read in that window reads (and may cache) the account as it was.
    _, between = await while_held(
        cache_app,
        hold,
        confirm_two_factor(cache_client, account, secret),
        lambda: me(cache_client, account),
    )
    assert between["mfa_enabled"] is False
    assert (await me(cache_client, account))["mfa_enabled"] is True
