"""The demo account's trip: planned through the API over the real Helsinki catalogue, once."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from navio.demo import plan_demo_trip
from tests.factories.iam import PASSWORD, unique_email

API = "/api/v1"


async def test_the_demo_trip_is_planned_once(places_client: httpx.AsyncClient) -> None:
    client = places_client
    email = unique_email("demo")
    made = await client.post(
        f"{API}/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Demo Traveller"},
    )
    assert made.status_code == 201, made.text
    today = date(2026, 12, 7)
    trip_id = await plan_demo_trip(client, email, PASSWORD, today)
    assert trip_id is not None
    login = await client.post(f"{API}/auth/login", json={"email": email, "password": PASSWORD})
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    trip = (await client.get(f"{API}/trips/{trip_id}", headers=auth)).json()
    assert trip["start_date"] == (today + timedelta(days=30)).isoformat()
    assert trip["destinations"][0]["name"] == "Helsinki"
    plan = (await client.get(f"{API}/planner/{trip_id}/itinerary", headers=auth)).json()
    assert plan["checked"] and len(plan["days"]) == 3
    assert all(any(s["kind"] == "visit" for s in d["stops"]) for d in plan["days"])
    # a second run (make run again) leaves the account as it is
    assert await plan_demo_trip(client, email, PASSWORD, today) is None
    assert len((await client.get(f"{API}/trips", headers=auth)).json()["items"]) == 1
