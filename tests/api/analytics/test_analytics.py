"""Operators' daily figures through HTTP, on SQLite and PostgreSQL: seats sold and cancelled on
the marketplace, a battery swapped and a fault reported at their station, counted from the
events once each; nobody else's figures are theirs; the platform's add everyone's up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories.iam import admin, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.marketplace import JUNE_2027, book_seats, dates, fund, shop
from tests.factories.stations import API, pack, station


def _by_metric(report: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {line["metric"]: (line["count"], line["total"]) for line in report["series"]}


async def test_a_sellers_day_in_figures(app: FastAPI, client: httpx.AsyncClient) -> None:
    market = await shop(client, app.state)
    seller = market.seller
    buyer, other, rider = [await make_user(client) for _ in range(3)]
    for who in (buyer, other, rider):
        await fund(client, who, 20_000)
    slot = (await dates(client, market.listing["id"], *JUNE_2027))[0]
    assert (await book_seats(client, buyer, slot["id"], seats=2)).status_code == 201
    second = await book_seats(client, other, slot["id"])
    await client.put(f"{API}/bookings/{second.json()['id']}/cancel", headers=other.headers)
    # the same seller runs a swap station
    kamppi = await station(client, seller)
    full = await pack(client, seller, kamppi["id"], "AN-1", 95)
    ticket = (
        await client.post(f"{API}/stations/{kamppi['id']}/queue", headers=rider.headers)
    ).json()
    await client.post(
        f"{API}/stations/{kamppi['id']}/check-in", json={"qr": ticket["qr"]}, headers=seller.headers
    )
    swapped = await client.post(
        f"{API}/stations/{kamppi['id']}/swaps",
        json={"ticket_id": ticket["id"], "battery_out_id": full["id"]},
        headers=seller.headers,
    )
    assert swapped.status_code == 201, swapped.text
    fault = {"category": "bay", "description": "Door sticks"}
    await client.post(f"{API}/stations/{kamppi['id']}/faults", json=fault, headers=rider.headers)
    await app.state.relay.drain()
    await app.state.relay.drain()  # nothing is counted twice

    today = datetime.now(UTC).date()
    period = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    mine = await client.get(f"{API}/analytics/me", params=period, headers=seller.headers)
    assert mine.status_code == 200, mine.text
    report = mine.json()
    assert len(report["days"]) == 7 and report["days"][-1] == today.isoformat()
    assert _by_metric(report) == {
        "bookings": (2, 7500),
        "cancellations": (1, 2500),
        "swaps": (1, 350),
        "faults": (1, 0),
    }
    bookings = next(line for line in report["series"] if line["metric"] == "bookings")
    assert bookings["counts"] == [0] * 6 + [2] and bookings["currency"] == "EUR"
    faults = next(line for line in report["series"] if line["metric"] == "faults")
    assert faults["currency"] is None

    # the buyer sold nothing; the platform adds every owner's figures
    assert (await client.get(f"{API}/analytics/me", headers=buyer.headers)).json()["series"] == []
    boss = await admin(client, app.state)
    platform = await client.get(f"{API}/admin/analytics", params=period, headers=boss.headers)
    totals = _by_metric(platform.json())
    assert totals["bookings"][0] >= 2 and totals["swaps"][0] >= 1
    assert_problem(
        await client.get(f"{API}/admin/analytics", headers=seller.headers), 403, "permission_denied"
    )

    exported = await client.get(f"{API}/analytics/me.csv", params=period, headers=seller.headers)
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0] == "day,metric,currency,count,total"
    assert f"{today.isoformat()},bookings,EUR,2,7500" in lines and len(lines) == 1 + 4 * 7

    for params, code in [
        ({"from": "2027-01-02", "to": "2027-01-01"}, "invalid_period"),
        ({"from": "2026-01-01", "to": "2027-01-02"}, "invalid_period"),
        ({"from": "yesterday"}, "validation_error"),
    ]:
        refused = await client.get(f"{API}/analytics/me", params=params, headers=seller.headers)
        assert_problem(refused, 422, code)
    assert (await client.get(f"{API}/analytics/me")).status_code == 401
