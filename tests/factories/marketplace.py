"""Typed factories for the marketplace: a verified seller with a published listing and dates,
made through the API as operators and administrators would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from navio.payments.providers.sandbox import CARD_SUCCESS
from tests.factories.iam import AuthedUser, admin, operator

API = "/api/v1"
M = f"{API}/marketplace"
# a real IBAN layout with valid check digits (the ECB's example for Finland)
IBAN_FI = "FI21 1234 5600 0007 85"
# the month the factory's listings have dates in (from, to)
JUNE_2027 = ("2027-06-01T00:00:00Z", "2027-06-30T00:00:00Z")
# Suomenlinna's main quay, Helsinki (OpenStreetMap)
QUAY = (60.14598, 24.98797)


def operator_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "display_name": "Saaristo Tours",
        "legal_name": "Saaristo Tours Oy",
        "country": "FI",
        "company_number": "1234567-8",
        "iban": IBAN_FI,
    }
    body.update(overrides)
    return body


def listing_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "activity",
        "title": "Suomenlinna sea fortress walk",
        "description": "Two hours through the fortress with a guide.",
        "lat": QUAY[0],
        "lon": QUAY[1],
        "timezone": "Europe/Helsinki",
        "currency": "EUR",
        "price_minor": 2500,
        "duration_minutes": 120,
        "cancellation": {"free_until_hours": 24, "late_refund_pct": 50},
    }
    body.update(overrides)
    return body


@dataclass
class Shop:
    seller: AuthedUser
    admin: AuthedUser
    operator: dict[str, Any]
    listing: dict[str, Any]


async def seller(client: httpx.AsyncClient, app_state: object) -> tuple[AuthedUser, AuthedUser]:
    """A verified operator, and the administrator who verified them."""
    who = await operator(client, app_state)
    boss = await admin(client, app_state)
    made = await client.post(f"{M}/operator", json=operator_body(), headers=who.headers)
    assert made.status_code == 201, made.text
    decided = await client.post(
        f"{API}/admin/marketplace/operators/{made.json()['id']}/kyc",
        json={"decision": "verified"},
        headers=boss.headers,
    )
    assert decided.status_code == 200, decided.text
    return who, boss


async def open_listing(
    client: httpx.AsyncClient,
    who: AuthedUser,
    *,
    days: tuple[date, date] = (date(2027, 6, 1), date(2027, 6, 7)),
    times: tuple[str, ...] = ("10:00",),
    capacity: int = 12,
    **listing: Any,
) -> dict[str, Any]:
    """A verified seller's listing, published with dates on `days` at `times`."""
    made = await client.post(f"{M}/listings", json=listing_body(**listing), headers=who.headers)
    assert made.status_code == 201, made.text
    listing_id = made.json()["id"]
    slots = await client.post(
        f"{M}/listings/{listing_id}/slots",
        json={
            "from_date": days[0].isoformat(),
            "to_date": days[1].isoformat(),
            "times": list(times),
            "capacity": capacity,
        },
        headers=who.headers,
    )
    assert slots.status_code == 201, slots.text
    published = await client.post(
        f"{M}/listings/{listing_id}/status", json={"status": "published"}, headers=who.headers
    )
    assert published.status_code == 200, published.text
    body: dict[str, Any] = published.json()
    return body


async def shop(client: httpx.AsyncClient, app_state: object, **listing: Any) -> Shop:
    """A verified seller with a published listing and dates (see `open_listing`)."""
    who, boss = await seller(client, app_state)
    published = await open_listing(client, who, **listing)
    profile = (await client.get(f"{M}/operator", headers=who.headers)).json()
    return Shop(who, boss, profile, published)


async def dates(
    client: httpx.AsyncClient, listing_id: str, start: str, end: str
) -> list[dict[str, Any]]:
    found = await client.get(
        f"{M}/listings/{listing_id}/availability", params={"from": start, "to": end}
    )
    assert found.status_code == 200, found.text
    slots: list[dict[str, Any]] = found.json()
    return slots


async def fund(client: httpx.AsyncClient, who: AuthedUser, amount: int) -> None:
    paid = await client.post(
        f"{API}/wallet/top-up",
        json={"amount_minor": amount, "currency": "EUR", "payment_method": CARD_SUCCESS},
        headers=who.headers,
    )
    assert paid.status_code == 201, paid.text


async def book_seats(
    client: httpx.AsyncClient, who: AuthedUser, slot_id: str, seats: int = 1, **extra: Any
) -> httpx.Response:
    body: dict[str, Any] = {"listing": {"slot_id": slot_id, "seats": seats}}
    body.update(extra)
    return await client.post(f"{API}/bookings", json=body, headers=who.headers)
