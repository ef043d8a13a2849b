"""Price watches through HTTP, on SQLite and PostgreSQL, with real hotel rates (an Algarve
resort's February and August of 2016, reported as paid seven months ago and last week): the
traveler watching for a rise there is told once, the one watching for a fall and the one
watching Lisbon are not; bad input is refused and nobody touches another's watch."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories.iam import AuthedUser, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.pricing import API, LISBON, nightly_rates, report

FARO = {"lat": 37.0194, "lon": -7.9304}  # GeoNames 2268339


async def _watch(client: httpx.AsyncClient, who: AuthedUser, **body: Any) -> dict[str, Any]:
    made = await client.post(f"{API}/pricing/watches", json=body, headers=who.headers)
    assert made.status_code == 201, made.text
    assert made.headers["location"] == f"/api/v1/pricing/watches/{made.json()['id']}"
    read: dict[str, Any] = made.json()
    return read


async def _notices(client: httpx.AsyncClient, who: AuthedUser) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        await client.get(f"{API}/notifications", headers=who.headers)
    ).json()["items"]
    return [n for n in items if n["kind"] == "price_moved"]


async def test_a_real_rise_is_told_once_to_whoever_watches_for_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    riser, faller, elsewhere = [await make_user(client) for _ in range(3)]
    up = await _watch(client, riser, item="hotel_night", radius_km=5, direction="up", **FARO)
    assert (up["direction"], up["area"]["radius_km"], up["change"]) == ("up", 5, None)
    down = await _watch(client, faller, item="hotel_night", direction="down", **FARO)
    assert down["area"]["radius_km"] == 2  # the default, as for questions
    await _watch(client, elsewhere, item="hotel_night", lat=LISBON[0], lon=LISBON[1])

    resort = nightly_rates("Resort Hotel")
    winter = [c for d, c in resort if date(2016, 2, 1) <= d <= date(2016, 2, 28)][:6]
    summer = [c for d, c in resort if date(2016, 8, 1) <= d <= date(2016, 8, 31)][:6]
    today = datetime.now(UTC).date()
    before, recent = today - timedelta(days=210), today - timedelta(days=7)
    for w_cents, s_cents in zip(winter, summer, strict=True):
        who = await make_user(client)
        for day, cents in ((before, w_cents), (recent, s_cents)):
            await report(client, who, amount_minor=cents, observed_on=day.isoformat(), **FARO)
    await app.state.relay.drain()

    (told,) = await _notices(client, riser)
    percent = told["data"]["percent"]
    assert told["title"] == f"Hotel room: {percent:g} % dearer"
    assert "6 travelers reported in the last 90 days, 6 in the 365 days before" in told["body"]
    assert told["data"]["watch_id"] == up["id"] and percent > 50
    assert await _notices(client, faller) == []
    assert await _notices(client, elsewhere) == []

    mine = (await client.get(f"{API}/pricing/watches", headers=riser.headers)).json()
    assert [w["id"] for w in mine] == [up["id"]]
    assert mine[0]["change"]["significant"] and mine[0]["change"]["percent"] > 50
    assert mine[0]["alerted_percent"] == told["data"]["percent"]
    theirs = (await client.get(f"{API}/pricing/watches", headers=faller.headers)).json()
    assert theirs[0]["alerted_at"] is None and theirs[0]["change"]["significant"]

    # the same move is not told again: not by the daily review, not by another report
    await app.state.relay.run_periodic(force=True)
    late = await make_user(client)
    await report(client, late, amount_minor=summer[0], observed_on=recent.isoformat(), **FARO)
    await app.state.relay.drain()
    assert len(await _notices(client, riser)) == 1


async def test_watches_bad_input_and_other_peoples(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, stranger = await make_user(client), await make_user(client)
    url = f"{API}/pricing/watches"
    for body, status, code in (
        ({"item": "caviar", **FARO}, 422, "unknown_item"),
        ({"item": "hotel_night"}, 422, "invalid_price_query"),
        (
            {"item": "hotel_night", "place_id": str(uuid.uuid4()), **FARO},
            422,
            "invalid_price_query",
        ),
        ({"item": "hotel_night", "radius_km": 60, **FARO}, 422, "validation_error"),
        ({"item": "hotel_night", "direction": "sideways", **FARO}, 422, "validation_error"),
        ({"item": "hotel_night", "currency": "euro", **FARO}, 422, "validation_error"),
        ({"item": "hotel_night", "extra": 1, **FARO}, 422, "validation_error"),
    ):
        assert_problem(await client.post(url, json=body, headers=owner.headers), status, code)
    assert_problem(
        await client.post(url, json={"item": "hotel_night", **FARO}), 401, "unauthorized"
    )
    assert (await client.get(url, headers=owner.headers)).json() == []  # nothing half-written

    made = [await _watch(client, owner, item="meal_inexpensive", **FARO) for _ in range(20)]
    full = await client.post(url, json={"item": "hotel_night", **FARO}, headers=owner.headers)
    assert_problem(full, 409, "price_watch_limit_reached")
    gone = await client.delete(f"{url}/{made[0]['id']}", headers=stranger.headers)
    assert_problem(gone, 404, "price_watch_not_found")
    assert (await client.get(url, headers=stranger.headers)).json() == []
    deleted = await client.delete(f"{url}/{made[0]['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert len((await client.get(url, headers=owner.headers)).json()) == 19
    again = await client.delete(f"{url}/{made[0]['id']}", headers=owner.headers)
    assert_problem(again, 404, "price_watch_not_found")
