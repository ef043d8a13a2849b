"""Typed factories for IAM: create users through the API as a client would."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

import httpx

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@dataclass
class AuthedUser:
    id: uuid.UUID
    email: str
    password: str
    access_token: str
    refresh_token: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:6]}@example.org"


async def register(
    client: httpx.AsyncClient,
    email: str | None = None,
    password: str = PASSWORD,
    display_name: str = "Test Traveller",
) -> dict[str, object]:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email or unique_email(), "password": password, "display_name": display_name},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def user(
    client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD
) -> AuthedUser:
    email = email or unique_email()
    created = await register(client, email, password)
    tokens = await login(client, email, password)
    return AuthedUser(
        id=uuid.UUID(str(created["id"])),
        email=email,
        password=password,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def _promoted(client: httpx.AsyncClient, app_state: object, roles: list[str]) -> AuthedUser:
    """A user created as a traveller, given roles in the database like the CLI does."""
    from navio.iam.repository import IamRepository

    account = await user(client)
    db = app_state.db  # type: ignore[attr-defined]
    async with db.transaction() as session:
        await IamRepository(session).set_roles(account.id, roles)
    tokens = await login(client, account.email, account.password)
    account.access_token = tokens["access_token"]
    account.refresh_token = tokens["refresh_token"]
    return account


async def admin(client: httpx.AsyncClient, app_state: object) -> AuthedUser:
    """An administrator."""
    return await _promoted(client, app_state, ["admin", "traveler"])


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, object] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    return body


async def operator(client: httpx.AsyncClient, app_state: object) -> AuthedUser:
    """An operator (listings, payouts)."""
    return await _promoted(client, app_state, ["operator", "traveler"])
