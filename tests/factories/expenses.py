"""Typed factories for expenses: made through the API as a client would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.iam import AuthedUser
from tests.factories.trips import API


def expense_body(trip_id: str | None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "trip_id": trip_id,
        "amount_minor": 4500,
        "currency": "EUR",
        "spent_on": "2026-06-02",
        "category": "food",
        "merchant": "Cafe Regatta",
    }
    body.update(overrides)
    return body


async def add_expense(
    client: httpx.AsyncClient, user: AuthedUser, trip_id: str | None, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/expenses", json=expense_body(trip_id, **overrides), headers=user.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def balances(client: httpx.AsyncClient, user: AuthedUser, trip_id: str) -> dict[str, int]:
    response = await client.get(f"{API}/trips/{trip_id}/balances", headers=user.headers)
    assert response.status_code == 200, response.text
    return {m["user_id"]: m["net_minor"] for m in response.json()["members"]}
