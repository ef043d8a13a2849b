"""Swap plans through HTTP, on SQLite and PostgreSQL: an operator sells five swaps ahead; a rider
buys them from their wallet and their swaps at the operator's stations use the credits (not
the wallet) until they run out or expire; another operator's station is paid as before; a
retired plan is not sold, an empty wallet buys nothing, nobody changes another's plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from navio.kernel.clock import FrozenClock
from tests.factories.iam import AuthedUser, assert_problem, operator
from tests.factories.iam import user as make_user
from tests.factories.marketplace import fund
from tests.factories.stations import API, pack, station

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
PLAN = {"name": "Five swaps", "swaps": 5, "price_minor": 1_500, "currency": "EUR", "valid_days": 30}


async def _balance(client: httpx.AsyncClient, who: AuthedUser) -> dict[str, Any]:
    found = (await client.get(f"{API}/wallet/balance", headers=who.headers)).json()["balances"]
    return next((b for b in found if b["currency"] == "EUR"), {})


async def _swap(
    client: httpx.AsyncClient,
    crew: AuthedUser,
    rider: AuthedUser,
    sid: str,
    out_id: str,
    **more: Any,
) -> dict[str, Any]:
    ticket = (await client.post(f"{API}/stations/{sid}/queue", headers=rider.headers)).json()
    called = await client.post(
        f"{API}/stations/{sid}/check-in", json={"qr": ticket["qr"]}, headers=crew.headers
    )
    assert called.status_code == 200, called.text
    done = await client.post(
        f"{API}/stations/{sid}/swaps",
        json={"ticket_id": ticket["id"], "battery_out_id": out_id, **more},
        headers=crew.headers,
    )
    assert done.status_code == 201, done.text
    body: dict[str, Any] = done.json()
    return body


async def test_a_plan_bought_pays_the_next_swaps(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await operator(client, app.state)
    rival = await operator(client, app.state)
    rider, stranger, other_rider = [await make_user(client) for _ in range(3)]
    await fund(client, rider, 2_000)
    await fund(client, other_rider, 2_000)
    app.state.clock = FrozenClock(T0)  # after the sign-ins: their tokens stay fresh
    sid = (await station(client, owner))["id"]
    other = (await station(client, rival, name="Rival swap point"))["id"]
    packs = [await pack(client, owner, sid, f"PL-{i}", 95) for i in range(3)]
    rival_pack = await pack(client, rival, other, "RV-1", 95)

    made = await client.post(f"{API}/stations/plans", json=PLAN, headers=owner.headers)
    assert made.status_code == 201, made.text
    plan = made.json()
    assert (plan["swaps"], plan["price_minor"], plan["active"]) == (5, 1_500, True)
    on_sale = (await client.get(f"{API}/stations/{sid}/plans")).json()
    assert [p["id"] for p in on_sale] == [plan["id"]]
    assert (await client.get(f"{API}/stations/{other}/plans")).json() == []

    bought = await client.post(f"{API}/stations/plans/{plan['id']}/purchase", headers=rider.headers)
    assert bought.status_code == 201, bought.text
    credit = bought.json()
    assert (credit["swaps_left"], credit["owner_id"]) == (5, str(owner.id))
    assert credit["expires_at"].startswith((T0 + timedelta(days=30)).date().isoformat())
    assert (await _balance(client, rider))["available_minor"] == 500
    assert (await _balance(client, owner))["payable_minor"] == 1_500

    # swaps at the operator's station: credits, not the wallet
    first = await _swap(client, owner, rider, sid, packs[0]["id"])
    assert (first["amount_minor"], first["credit_id"]) == (0, credit["id"])
    second = await _swap(
        client, owner, rider, sid, packs[1]["id"], battery_in_serial="PL-0", soc_in=30
    )
    assert (second["amount_minor"], second["credit_id"]) == (0, credit["id"])
    assert (await _balance(client, rider))["available_minor"] == 500
    mine = (await client.get(f"{API}/stations/credits", headers=rider.headers)).json()
    assert [c["swaps_left"] for c in mine] == [3]
    # expired: the station's price from the wallet again
    app.state.clock = FrozenClock(T0 + timedelta(days=31))
    third = await _swap(
        client, owner, rider, sid, packs[0]["id"], battery_in_serial="PL-1", soc_in=25
    )
    assert (third["amount_minor"], third["credit_id"]) == (350, None)
    assert (await _balance(client, rider))["available_minor"] == 150
    await app.state.relay.drain()
    told = (await client.get(f"{API}/notifications", headers=rider.headers)).json()["items"]
    assert [n["body"] for n in told if n["kind"] == "battery_swapped"] == [
        "You swapped a battery at Kamppi swap point: 3.50 EUR from your wallet.",
        "You swapped a battery at Kamppi swap point: a credit of your plan (3 left).",
        "You swapped a battery at Kamppi swap point: a credit of your plan (4 left).",
    ]
    # the plan is the operator's: at another operator's station the price is paid as before
    app.state.clock = FrozenClock(T0)
    await client.post(f"{API}/stations/plans/{plan['id']}/purchase", headers=other_rider.headers)
    elsewhere = await _swap(client, rival, other_rider, other, rival_pack["id"])
    assert (elsewhere["amount_minor"], elsewhere["credit_id"]) == (350, None)
    assert (await _balance(client, other_rider))["available_minor"] == 150
    # the operator's figures count the plans sold, at their price
    await app.state.relay.drain()
    today = datetime.now(UTC).date()  # the events' day (the app's clock is set back)
    period = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    figures = (await client.get(f"{API}/analytics/me", params=period, headers=owner.headers)).json()
    sold = {line["metric"]: (line["count"], line["total"]) for line in figures["series"]}
    assert sold["plan_sales"] == (2, 3_000)
    assert sold["swaps"] == (3, 350)  # two swaps paid by credits count at 0

    # retired: not sold any more, bought credits stay
    assert_problem(
        await client.patch(
            f"{API}/stations/plans/{plan['id']}", json={"active": False}, headers=stranger.headers
        ),
        404,
        "swap_plan_not_found",
    )
    retired = await client.patch(
        f"{API}/stations/plans/{plan['id']}", json={"active": False}, headers=owner.headers
    )
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert (await client.get(f"{API}/stations/{sid}/plans")).json() == []
    listed = (await client.get(f"{API}/stations/plans/mine", headers=owner.headers)).json()
    assert [p["active"] for p in listed] == [False]
    refused = await client.post(
        f"{API}/stations/plans/{plan['id']}/purchase", headers=rider.headers
    )
    assert_problem(refused, 409, "swap_plan_retired")
    kept = (await client.get(f"{API}/stations/credits", headers=rider.headers)).json()
    assert [c["swaps_left"] for c in kept] == [3]


async def test_plans_bad_input_and_an_empty_wallet(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await operator(client, app.state)
    rider = await make_user(client)
    url = f"{API}/stations/plans"
    for change, code in (
        ({"swaps": 0}, "validation_error"),
        ({"price_minor": 0}, "validation_error"),
        ({"valid_days": 401}, "validation_error"),
        ({"currency": "eur"}, "validation_error"),
        ({"currency": "XXQ"}, "invalid_swap_plan"),
        ({"name": "   "}, "invalid_swap_plan"),
    ):
        assert_problem(
            await client.post(url, json={**PLAN, **change}, headers=owner.headers), 422, code
        )
    assert_problem(
        await client.post(url, json=PLAN, headers=rider.headers), 403, "permission_denied"
    )
    assert (await client.get(f"{url}/mine", headers=owner.headers)).json() == []

    plan = (await client.post(url, json=PLAN, headers=owner.headers)).json()
    broke = await client.post(f"{url}/{plan['id']}/purchase", headers=rider.headers)
    assert_problem(broke, 422, "insufficient_funds")
    assert (await client.get(f"{API}/stations/credits", headers=rider.headers)).json() == []
    assert_problem(
        await client.post(
            f"{url}/00000000-0000-0000-0000-000000000000/purchase", headers=rider.headers
        ),
        404,
        "swap_plan_not_found",
    )
    assert_problem(await client.get(f"{API}/stations/credits"), 401, "unauthorized")
