"""Battery-swap stations through HTTP, on SQLite and PostgreSQL: a traveler queues, is checked in
by the station's staff with their signed code and swaps a depleted pack for a charged one paid
from their wallet; waiting times follow the bays, the queue and the packs' charge; the station
that gets one going soonest is recommended first; packs move between stations; faults take a
pack out of service; and nobody else reaches what is not theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from navio.kernel.clock import FrozenClock
from tests.factories.iam import AuthedUser, assert_problem, operator
from tests.factories.iam import user as make_user
from tests.factories.marketplace import fund
from tests.factories.stations import API, KAMPPI, pack, station, station_body

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


async def _live(client: httpx.AsyncClient, station_id: str) -> dict[str, Any]:
    read = await client.get(f"{API}/stations/{station_id}")
    assert read.status_code == 200, read.text
    body: dict[str, Any] = read.json()
    return body


async def _join(client: httpx.AsyncClient, who: AuthedUser, station_id: str) -> dict[str, Any]:
    joined = await client.post(f"{API}/stations/{station_id}/queue", headers=who.headers)
    assert joined.status_code == 201, joined.text
    body: dict[str, Any] = joined.json()
    return body


async def _balance(client: httpx.AsyncClient, who: AuthedUser) -> dict[str, Any]:
    found = (await client.get(f"{API}/wallet/balance", headers=who.headers)).json()["balances"]
    return next((b for b in found if b["currency"] == "EUR"), {})


async def test_queue_check_in_and_a_paid_swap(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await operator(client, app.state)
    attendant, rider, second, stranger = [await make_user(client) for _ in range(4)]
    await fund(client, rider, 2_000)
    app.state.clock = FrozenClock(T0)
    kamppi = await station(client, owner)
    sid = kamppi["id"]
    added = await client.post(
        f"{API}/stations/{sid}/staff", json={"user_id": str(attendant.id)}, headers=owner.headers
    )
    assert added.status_code == 201 and added.json()["display_name"] == "Test Traveller"
    full = await pack(client, owner, sid, "KMP-0001", 90)
    half = await pack(client, owner, sid, "KMP-0002", 50)
    await pack(client, owner, sid, "KMP-0003", 20)
    live = await _live(client, sid)
    assert (live["ready_batteries"], live["charging_batteries"], live["queued"]) == (1, 2, 0)
    assert live["wait_minutes"] == 0

    first = await _join(client, rider, sid)
    assert (first["status"], first["position"], first["wait_minutes"]) == ("waiting", 1, 0)
    again = await client.post(f"{API}/stations/{sid}/queue", headers=rider.headers)
    assert assert_problem(again, 409, "already_queued")["ticket_id"] == first["id"]
    # two bays, one charged pack: the second traveler, a moment later, waits for 50 % -> 80 %
    # of 1.5 kWh at 1 kW, 27 minutes
    app.state.clock.advance(timedelta(seconds=1))
    behind = await _join(client, second, sid)
    assert (behind["position"], behind["wait_minutes"]) == (2, 27)
    assert (await _live(client, sid))["queued"] == 2

    # the code is the staff's to scan at this station, once
    scan = f"{API}/stations/{sid}/check-in"
    assert_problem(
        await client.post(scan, json={"qr": first["qr"]}, headers=stranger.headers),
        403,
        "forbidden",
    )
    forged = first["qr"][:-3] + ("AAA" if not first["qr"].endswith("AAA") else "BBB")
    refused = await client.post(scan, json={"qr": forged}, headers=attendant.headers)
    assert_problem(refused, 422, "invalid_queue_code")
    called = await client.post(scan, json={"qr": first["qr"]}, headers=attendant.headers)
    assert called.status_code == 200 and called.json()["status"] == "called"
    twice = await client.post(scan, json={"qr": first["qr"]}, headers=attendant.headers)
    assert_problem(twice, 409, "queue_ticket_state_conflict")

    swap_url = f"{API}/stations/{sid}/swaps"
    swap = {"ticket_id": first["id"], "battery_out_id": half["id"]}
    low = await client.post(swap_url, json=swap, headers=attendant.headers)
    assert_problem(low, 409, "battery_unavailable")  # 50 % is not handed out
    unqueued = {"ticket_id": behind["id"], "battery_out_id": full["id"]}
    early = await client.post(swap_url, json=unqueued, headers=attendant.headers)
    assert_problem(early, 409, "queue_ticket_state_conflict")  # not checked in yet
    app.state.clock.advance(timedelta(minutes=2))
    done = await client.post(
        swap_url, json={**swap, "battery_out_id": full["id"]}, headers=attendant.headers
    )
    assert done.status_code == 201, done.text
    assert (done.json()["amount_minor"], done.json()["battery_in_id"]) == (350, None)
    assert done.json()["soc_out"] == 92.2  # two more minutes on the charger
    assert (await _balance(client, rider))["available_minor"] == 1_650
    assert (await _balance(client, owner))["payable_minor"] == 350
    served = await client.get(f"{API}/queue/{first['id']}", headers=rider.headers)
    assert served.json()["status"] == "served" and served.json()["qr"] is None
    assert_problem(
        await client.get(f"{API}/queue/{first['id']}", headers=stranger.headers),
        404,
        "queue_ticket_not_found",
    )

    # next time the rider brings the pack back: it charges here again
    app.state.clock.advance(timedelta(hours=1))
    await client.post(f"{API}/queue/{behind['id']}/leave", headers=second.headers)
    ticket = await _join(client, rider, sid)
    await client.post(scan, json={"qr": ticket["qr"]}, headers=attendant.headers)
    keep = {"ticket_id": ticket["id"], "battery_out_id": half["id"]}
    kept = await client.post(swap_url, json=keep, headers=attendant.headers)
    assert_problem(kept, 422, "invalid_swap")  # they hold KMP-0001: it comes back
    back = {**keep, "battery_in_serial": "KMP-0001", "soc_in": 15}
    unread = await client.post(
        swap_url, json={**keep, "battery_in_serial": "KMP-0001"}, headers=attendant.headers
    )
    assert_problem(unread, 422, "invalid_swap")  # its charge is read
    returned = await client.post(swap_url, json=back, headers=attendant.headers)
    assert returned.status_code == 201, returned.text
    assert returned.json()["battery_in_id"] == full["id"]
    packs = {
        b["serial"]: b
        for b in (
            await client.get(f"{API}/stations/{sid}/batteries", headers=attendant.headers)
        ).json()
    }
    assert packs["KMP-0001"]["status"] == "charging" and packs["KMP-0001"]["soc"] == 15
    assert packs["KMP-0001"]["cycles"] == 1
    assert "KMP-0002" not in packs  # with the rider now
    history = await client.get(f"{API}/stations/{sid}/swaps", headers=owner.headers)
    assert [s["id"] for s in history.json()["items"]] == [returned.json()["id"], done.json()["id"]]
    assert_problem(
        await client.get(f"{API}/stations/{sid}/swaps", headers=rider.headers), 403, "forbidden"
    )
    await app.state.relay.drain()
    told = (await client.get(f"{API}/notifications", headers=rider.headers)).json()["items"]
    assert [n["kind"] for n in told] == [
        "battery_swapped",
        "station_called",
        "battery_swapped",
        "station_called",
    ]
    assert (
        told[0]["body"] == "You swapped a battery at Kamppi swap point: 3.50 EUR from your wallet."
    )


async def test_a_swap_the_wallet_cannot_pay_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await operator(client, app.state)
    rider = await make_user(client)
    kamppi = await station(client, owner, price_minor=500)
    full = await pack(client, owner, kamppi["id"], "KMP-0101", 95)
    ticket = await _join(client, rider, kamppi["id"])
    await client.post(
        f"{API}/stations/{kamppi['id']}/check-in", json={"qr": ticket["qr"]}, headers=owner.headers
    )
    broke = await client.post(
        f"{API}/stations/{kamppi['id']}/swaps",
        json={"ticket_id": ticket["id"], "battery_out_id": full["id"]},
        headers=owner.headers,
    )
    assert_problem(broke, 422, "insufficient_funds")
    still = await client.get(f"{API}/queue/{ticket['id']}", headers=rider.headers)
    assert still.json()["status"] == "called"
    live = await _live(client, kamppi["id"])
    assert live["ready_batteries"] == 1


async def test_the_station_that_gets_one_going_soonest_comes_first(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await operator(client, app.state)
    riders = [await make_user(client) for _ in range(3)]
    app.state.clock = FrozenClock(T0)
    # near (300 m): three travelers queued, one bay, no charged pack for 40 minutes
    near = await station(client, owner, name="Near", lat=KAMPPI[0] + 0.0027, bays=1)
    await pack(client, owner, near["id"], "N-1", 35)
    for rider in riders:
        await _join(client, rider, near["id"])
    # far (2.2 km): nobody waiting, two charged packs
    far = await station(client, owner, name="Far", lat=KAMPPI[0] + 0.02)
    for serial in ("F-1", "F-2"):
        await pack(client, owner, far["id"], serial, 95)
    # too far (30 km) and closed ones are not offered
    await station(client, owner, name="Espoo", lat=KAMPPI[0] + 0.27)
    shut = await station(client, owner, name="Shut", lat=KAMPPI[0] + 0.001)
    await client.patch(f"{API}/stations/{shut['id']}", json={"open": False}, headers=owner.headers)

    found = await client.get(
        f"{API}/stations", params={"lat": KAMPPI[0], "lon": KAMPPI[1], "radius_m": 5000}
    )
    assert found.status_code == 200, found.text
    ranked = found.json()
    assert [r["station"]["name"] for r in ranked] == ["Far", "Near"]
    far_pick, near_pick = ranked
    assert far_pick["wait_minutes_on_arrival"] == 0 and 2_200 < far_pick["distance_m"] < 2_300
    assert far_pick["done_in_minutes"] == far_pick["travel_minutes"] + 4
    assert near_pick["station"]["queued"] == 3 and near_pick["wait_minutes_on_arrival"] > 40
    for params in (
        {"lat": 91, "lon": 0},
        {"lat": 60, "lon": 24, "radius_m": 100_000},
        {"lon": 24},
    ):
        assert_problem(await client.get(f"{API}/stations", params=params), 422, "validation_error")


async def test_packs_move_between_stations_and_faults_take_them_out_of_service(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, rival = await operator(client, app.state), await operator(client, app.state)
    crew, rider = await make_user(client), await make_user(client)
    a = await station(client, owner, name="A")
    b = await station(client, owner, name="B", lat=KAMPPI[0] + 0.01)
    theirs = await station(client, rival, name="Rival")
    await client.post(
        f"{API}/stations/{b['id']}/staff", json={"user_id": str(crew.id)}, headers=owner.headers
    )
    moving = await pack(client, owner, a["id"], "LOG-1", 60)
    broken = await pack(client, owner, a["id"], "LOG-2", 85)

    # logistics: A -> B, received by B's staff with a reading
    away = await client.post(
        f"{API}/batteries/{moving['id']}/move",
        json={"to_station_id": b["id"]},
        headers=owner.headers,
    )
    assert away.json()["status"] == "in_transit" and away.json()["destination_id"] == b["id"]
    for who, target, status, code in [
        (rival, b["id"], 404, "battery_not_found"),
        (owner, theirs["id"], 422, "invalid_station"),
    ]:
        refused = await client.post(
            f"{API}/batteries/{broken['id']}/move",
            json={"to_station_id": target},
            headers=who.headers,
        )
        assert_problem(refused, status, code)
    at_b = await client.get(f"{API}/stations/{b['id']}/batteries", headers=crew.headers)
    assert [(p["serial"], p["status"]) for p in at_b.json()] == [("LOG-1", "in_transit")]
    arrived = await client.post(
        f"{API}/batteries/{moving['id']}/receive", json={"soc": 58}, headers=crew.headers
    )
    assert (arrived.json()["status"], arrived.json()["station_id"]) == ("charging", b["id"])
    assert_problem(
        await client.get(f"{API}/stations/{a['id']}/batteries", headers=crew.headers),
        403,
        "forbidden",
    )

    # a traveler reports a faulty pack: a report for the crew, the pack stays in service
    report = {"category": "battery", "battery_id": broken["id"], "description": "Swollen case"}
    reported = await client.post(
        f"{API}/stations/{a['id']}/faults", json=report, headers=rider.headers
    )
    assert reported.status_code == 201, reported.text
    assert (await _live(client, a["id"]))["ready_batteries"] == 1
    elsewhere = await client.post(
        f"{API}/stations/{theirs['id']}/faults", json=report, headers=rider.headers
    )
    assert_problem(elsewhere, 404, "battery_not_found")
    # the operator confirms it: out of service until resolved
    confirmed = await client.post(
        f"{API}/stations/{a['id']}/faults", json=report, headers=owner.headers
    )
    assert (await _live(client, a["id"]))["ready_batteries"] == 0
    fault_url = f"{API}/faults/{confirmed.json()['id']}"
    resolve = {"status": "resolved", "resolution": "Case replaced"}
    assert_problem(
        await client.patch(fault_url, json=resolve, headers=rider.headers), 404, "fault_not_found"
    )
    assert_problem(
        await client.patch(
            f"{API}/faults/{reported.json()['id']}", json=resolve, headers=rider.headers
        ),
        403,
        "forbidden",
    )  # their own report: they read it, the crew work on it
    assert_problem(
        await client.patch(fault_url, json=resolve, headers=rival.headers), 404, "fault_not_found"
    )
    listed = await client.get(f"{API}/stations/{a['id']}/faults?status=open", headers=owner.headers)
    assert [f["id"] for f in listed.json()["items"]] == [
        confirmed.json()["id"],
        reported.json()["id"],
    ]
    fixed = await client.patch(fault_url, json=resolve, headers=owner.headers)
    assert fixed.json()["status"] == "resolved" and fixed.json()["resolved_at"] is not None
    assert_problem(
        await client.patch(fault_url, json={"status": "open"}, headers=owner.headers),
        409,
        "fault_state_conflict",
    )
    # the traveler's report of the same pack is open still: out of service until it is done
    assert (await _live(client, a["id"]))["ready_batteries"] == 0
    await client.patch(
        f"{API}/faults/{reported.json()['id']}", json={"status": "resolved"}, headers=owner.headers
    )
    assert (await _live(client, a["id"]))["ready_batteries"] == 1
    await app.state.relay.drain()
    inbox = (await client.get(f"{API}/notifications", headers=owner.headers)).json()["items"]
    assert [n["kind"] for n in inbox] == ["fault_reported", "fault_reported"]
    assert inbox[0]["body"] == "A battery fault was reported at A."


async def test_who_may_run_a_station_and_bad_input(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, rival = await operator(client, app.state), await operator(client, app.state)
    traveler = await make_user(client)
    assert_problem(
        await client.post(f"{API}/stations", json={}, headers=owner.headers),
        422,
        "validation_error",
    )
    denied = await client.post(
        f"{API}/stations",
        json={"name": "Mine", "lat": 60, "lon": 24, "price_minor": 100, "currency": "EUR"},
        headers=traveler.headers,
    )
    assert_problem(denied, 403, "permission_denied")
    kamppi = await station(client, owner)
    sid = kamppi["id"]
    for body, code in [
        ({"currency": "XYZ"}, "invalid_station"),
        ({"name": "  "}, "invalid_station"),
        ({"bays": 0}, "validation_error"),
        ({"price_minor": 0}, "validation_error"),
        ({"charger_kw": 1e-78}, "validation_error"),  # was a 500 (found by the fuzz)
    ]:
        refused = await client.post(
            f"{API}/stations", json=station_body(**body), headers=owner.headers
        )
        assert_problem(refused, 422, code)
    for method, path, body in [
        ("PATCH", f"/stations/{sid}", {"bays": 3}),
        ("POST", f"/stations/{sid}/batteries", {"serial": "RIV-1", "soc": 50}),
        ("POST", f"/stations/{sid}/staff", {"user_id": str(rival.id)}),
        ("DELETE", f"/stations/{sid}/staff/{owner.id}", None),
    ]:
        answer = await client.request(method, f"{API}{path}", json=body, headers=rival.headers)
        assert_problem(answer, 403, "forbidden")
    assert_problem(
        await client.get(f"{API}/stations/{sid}/batteries", headers=rival.headers), 403, "forbidden"
    )
    await pack(client, owner, sid, "DUP-1", 50)
    dup = await client.post(
        f"{API}/stations/{sid}/batteries",
        json={"serial": "DUP-1", "soc": 10},
        headers=owner.headers,
    )
    assert_problem(dup, 409, "battery_exists")
    changed = await client.patch(
        f"{API}/stations/{sid}",
        json={"open": False},
        headers={**owner.headers, "If-Match": f'"{kamppi["version"]}"'},
    )
    assert changed.json()["open"] is False
    stale = await client.patch(
        f"{API}/stations/{sid}",
        json={"open": True},
        headers={**owner.headers, "If-Match": f'"{kamppi["version"]}"'},
    )
    assert_problem(stale, 412, "stale_version")
    closed = await client.post(f"{API}/stations/{sid}/queue", headers=traveler.headers)
    assert_problem(closed, 409, "station_closed")
    nowhere = await client.get(f"{API}/stations/00000000-0000-0000-0000-000000000001")
    assert_problem(nowhere, 404, "station_not_found")
    mine = await client.get(f"{API}/stations/mine", headers=owner.headers)
    assert [s["id"] for s in mine.json()] == [sid]
