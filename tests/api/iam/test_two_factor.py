"""TOTP two-factor: enrolment, two-step login, replay refusal, recovery codes, disable."""

from __future__ import annotations

import time

import httpx
import pyotp

from tests.factories.iam import PASSWORD, AuthedUser, assert_problem, user


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


async def enrol(client: httpx.AsyncClient, account: AuthedUser) -> tuple[str, list[str]]:
    setup = await client.post("/api/v1/auth/2fa/enable", headers=account.headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/Navio:")
    verified = await client.post(
        "/api/v1/auth/2fa/verify", json={"code": code_at(secret, -1)}, headers=account.headers
    )
    assert verified.status_code == 200, verified.text
    codes = verified.json()["recovery_codes"]
    return secret, codes


async def start_login(client: httpx.AsyncClient, account: AuthedUser) -> str:
    response = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mfa_required"] is True and "access_token" not in body
    token: str = body["mfa_token"]
    return token


async def test_enrol_and_two_step_login(client: httpx.AsyncClient) -> None:
    account = await user(client)
    secret, codes = await enrol(client, account)
    assert len(codes) == 10 and len(set(codes)) == 10
    me = await client.get("/api/v1/auth/me", headers=account.headers)
    assert me.json()["mfa_enabled"] is True

    mfa_token = await start_login(client, account)
    # the MFA token is not an access token
    assert_problem(
        await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {mfa_token}"}),
        401,
        "invalid_token",
    )
    wrong = await client.post(
        "/api/v1/auth/login/2fa", json={"mfa_token": mfa_token, "code": "000000"}
    )
    assert_problem(wrong, 401, "invalid_mfa_code")
    code = code_at(secret, 0)
    ok = await client.post("/api/v1/auth/login/2fa", json={"mfa_token": mfa_token, "code": code})
    assert ok.status_code == 200, ok.text
    assert (
        await client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {ok.json()['access_token']}"}
        )
    ).status_code == 200
    # the MFA token is single-use, and a code already used is refused (replay)
    again = await client.post("/api/v1/auth/login/2fa", json={"mfa_token": mfa_token, "code": code})
    assert_problem(again, 401, "invalid_token")
    replay = await client.post(
        "/api/v1/auth/login/2fa",
        json={"mfa_token": await start_login(client, account), "code": code},
    )
    assert_problem(replay, 401, "invalid_mfa_code")


async def test_recovery_code_works_once(client: httpx.AsyncClient) -> None:
    account = await user(client)
    _, codes = await enrol(client, account)
    token = await start_login(client, account)
    ok = await client.post(
        "/api/v1/auth/login/2fa", json={"mfa_token": token, "recovery_code": codes[3].upper()}
    )
    assert ok.status_code == 200, ok.text
    reused = await client.post(
        "/api/v1/auth/login/2fa",
        json={"mfa_token": await start_login(client, account), "recovery_code": codes[3]},
    )
    assert_problem(reused, 401, "invalid_mfa_code")


async def test_both_or_neither_factor_is_refused(client: httpx.AsyncClient) -> None:
    account = await user(client)
    secret, codes = await enrol(client, account)
    token = await start_login(client, account)
    both = await client.post(
        "/api/v1/auth/login/2fa",
        json={"mfa_token": token, "code": code_at(secret), "recovery_code": codes[0]},
    )
    assert_problem(both, 401, "invalid_mfa_code")
    bad_format = await client.post(
        "/api/v1/auth/login/2fa", json={"mfa_token": token, "code": "12ab56"}
    )
    body = assert_problem(bad_format, 422, "validation_error")
    assert body["errors"][0]["field"] == "code"  # type: ignore[index]


async def test_enrolment_errors(client: httpx.AsyncClient) -> None:
    account = await user(client)
    not_pending = await client.post(
        "/api/v1/auth/2fa/verify", json={"code": "123456"}, headers=account.headers
    )
    assert_problem(not_pending, 409, "mfa_not_pending")
    await client.post("/api/v1/auth/2fa/enable", headers=account.headers)
    wrong = await client.post(
        "/api/v1/auth/2fa/verify", json={"code": "000000"}, headers=account.headers
    )
    assert_problem(wrong, 401, "invalid_mfa_code")
    me = await client.get("/api/v1/auth/me", headers=account.headers)
    assert me.json()["mfa_enabled"] is False
    disable = await client.post(
        "/api/v1/auth/2fa/disable",
        json={"password": PASSWORD, "code": "000000"},
        headers=account.headers,
    )
    assert_problem(disable, 409, "mfa_not_enabled")


async def test_disable_needs_password_and_code(client: httpx.AsyncClient) -> None:
    account = await user(client)
    secret, _ = await enrol(client, account)
    already = await client.post("/api/v1/auth/2fa/enable", headers=account.headers)
    assert_problem(already, 409, "mfa_already_enabled")
    wrong_password = await client.post(
        "/api/v1/auth/2fa/disable",
        json={"password": "not the password", "code": code_at(secret)},
        headers=account.headers,
    )
    assert_problem(wrong_password, 401, "invalid_credentials")
    ok = await client.post(
        "/api/v1/auth/2fa/disable",
        json={"password": PASSWORD, "code": code_at(secret)},
        headers=account.headers,
    )
    assert ok.status_code == 204, ok.text
    response = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert "access_token" in response.json()


async def test_regenerate_recovery_codes_invalidates_old(client: httpx.AsyncClient) -> None:
    account = await user(client)
    secret, old = await enrol(client, account)
    response = await client.post(
        "/api/v1/auth/2fa/recovery-codes", json={"code": code_at(secret)}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    new = response.json()["recovery_codes"]
    assert not set(new) & set(old)
    stale = await client.post(
        "/api/v1/auth/login/2fa",
        json={"mfa_token": await start_login(client, account), "recovery_code": old[0]},
    )
    assert_problem(stale, 401, "invalid_mfa_code")
