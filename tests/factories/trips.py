"""Typed factories for trips: made through the API as a client would."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from tests.factories.iam import AuthedUser

API = "/api/v1"
START = date(2027, 6, 1)
END = date(2027, 6, 5)


def trip_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Helsinki in June",
        "destinations": [
            {"name": "Helsinki", "country_code": "FI", "lat": 60.1699, "lon": 24.9384}
        ],
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "timezone": "Europe/Helsinki",
        "travelers": 2,
        "currency": "EUR",
    }
    body.update(overrides)
    return body


def item_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "place",
        "title": "Helsinki Cathedral",
        "location": "Unioninkatu 29, Helsinki",
        "lat": 60.1705,
        "lon": 24.9522,
        "day": START.isoformat(),
        "start_time": "10:00:00",
        "end_time": "11:30:00",
        "cost_minor": 1200,
    }
    body.update(overrides)
    return body


async def create_trip(
    client: httpx.AsyncClient, owner: AuthedUser, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(f"{API}/trips", json=trip_body(**overrides), headers=owner.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_item(
    client: httpx.AsyncClient, user: AuthedUser, trip_id: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/trips/{trip_id}/items", json=item_body(**overrides), headers=user.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_collaborator(
    client: httpx.AsyncClient, owner: AuthedUser, trip_id: str, who: AuthedUser, role: str
) -> None:
    response = await client.post(
        f"{API}/trips/{trip_id}/collaborators",
        json={"user_id": str(who.id), "role": role},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text


def trip_url(trip_id: str | uuid.UUID, path: str = "") -> str:
    return f"{API}/trips/{trip_id}" + (f"/{path}" if path else "")
