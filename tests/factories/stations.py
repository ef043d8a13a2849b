"""Typed factories for stations: an operator's station with packs, made through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.iam import AuthedUser

API = "/api/v1"
# Kamppi, Helsinki (OpenStreetMap): a street corner where swap cabinets stand
KAMPPI = (60.16856, 24.93172)


def station_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Kamppi swap point",
        "lat": KAMPPI[0],
        "lon": KAMPPI[1],
        "address": "Urho Kekkosen katu 1, Helsinki",
        "bays": 2,
        "service_minutes": 4,
        "charger_kw": 1.0,
        "pack_wh": 1500,
        "price_minor": 350,
        "currency": "EUR",
    }
    body.update(overrides)
    return body


async def station(client: httpx.AsyncClient, owner: AuthedUser, **overrides: Any) -> dict[str, Any]:
    made = await client.post(
        f"{API}/stations", json=station_body(**overrides), headers=owner.headers
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


async def pack(
    client: httpx.AsyncClient, owner: AuthedUser, station_id: str, serial: str, soc: float
) -> dict[str, Any]:
    made = await client.post(
        f"{API}/stations/{station_id}/batteries",
        json={"serial": serial, "soc": soc},
        headers=owner.headers,
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body
