"""Trips over HTTP on SQLite and PostgreSQL: CRUD, items and ordering, optimistic concurrency,
collaborators and invites, sharing, comments, suggestions, the activity feed and exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
from fastapi import FastAPI

from tests.factories.iam import admin, assert_problem, unique_email
from tests.factories.iam import user as make_user
from tests.factories.trips import (
    API,
    START,
    add_collaborator,
    add_item,
    create_trip,
    trip_body,
    trip_url,
)


async def test_create_read_update_list_delete(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    trip = await create_trip(client, owner)
    assert trip["my_role"] == "owner" and trip["status"] == "planning" and trip["version"] == 1
    got = await client.get(trip_url(trip["id"]), headers=owner.headers)
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    assert got.json()["collaborators"][0]["email"] == owner.email
    put = await client.put(
        trip_url(trip["id"]),
        json={"title": "Helsinki & Tallinn", "status": "booked"},
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert put.status_code == 200, put.text
    assert put.json()["title"] == "Helsinki & Tallinn" and put.headers["ETag"] == '"2"'
    stale = await client.put(
        trip_url(trip["id"]), json={"title": "x"}, headers={**owner.headers, "If-Match": '"1"'}
    )
    assert_problem(stale, 412, "stale_version")
    await create_trip(client, owner, title="Second", start_date="2027-08-01", end_date="2027-08-02")
    listed = await client.get(f"{API}/trips?limit=1", headers=owner.headers)
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1
    rest = await client.get(
        f"{API}/trips?limit=1&cursor={listed.json()['next_cursor']}", headers=owner.headers
    )
    assert [t["title"] for t in rest.json()["items"]] == ["Second"]
    booked = await client.get(f"{API}/trips?status=booked", headers=owner.headers)
    assert [t["id"] for t in booked.json()["items"]] == [trip["id"]]
    gone = await client.delete(trip_url(trip["id"]), headers=owner.headers)
    assert gone.status_code == 204
    assert_problem(
        await client.get(trip_url(trip["id"]), headers=owner.headers), 404, "trip_not_found"
    )


async def test_null_fields_in_an_update_change_nothing(client: httpx.AsyncClient) -> None:
    """An explicit null for a field the trip always has is "no change", as an absent field is
    (a 500 for `status` until a fuzz run with plausible money reached it)."""
    owner = await make_user(client)
    trip = await create_trip(client, owner)
    nulls = {"status": None, "title": None, "timezone": None, "travelers": None, "currency": None}
    response = await client.put(
        trip_url(trip["id"]), json={**nulls, "notes": "packed"}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["notes"] == "packed" and updated["version"] == trip["version"] + 1
    for field in nulls:
        assert updated[field] == trip[field], field


async def test_bad_trip_input(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    for body, code in [
        (trip_body(end_date="2027-05-01"), "invalid_trip"),
        (trip_body(timezone="Mars/Olympus"), "validation_error"),
        (trip_body(currency="XYZ"), "validation_error"),
        (trip_body(title=""), "validation_error"),
        (trip_body(title="x" * 201), "validation_error"),
        (trip_body(start_date="2027-01-01", end_date="2029-01-01"), "invalid_trip"),
        (trip_body(unknown=1), "validation_error"),
    ]:
        response = await client.post(f"{API}/trips", json=body, headers=owner.headers)
        assert_problem(response, 422, code)
    trip = await create_trip(client, owner)
    moved = await client.put(trip_url(trip["id"]), json={"status": "done"}, headers=owner.headers)
    assert_problem(moved, 409, "invalid_status_change")
    malformed = await client.put(
        trip_url(trip["id"]), json={"title": "y"}, headers={**owner.headers, "If-Match": "v1"}
    )
    assert_problem(malformed, 422, "invalid_if_match")
    big = await client.post(
        f"{API}/trips", json=trip_body(notes="x" * 2_000_000), headers=owner.headers
    )
    assert big.status_code in (413, 422) and big.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert (await client.post(f"{API}/trips", json=trip_body())).status_code == 401


async def test_items_order_moves_and_bad_items(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    trip = await create_trip(client, owner)
    a = await add_item(client, owner, trip["id"], title="A")
    b = await add_item(client, owner, trip["id"], title="B")
    c = await add_item(client, owner, trip["id"], title="C", position=0)
    items = (await client.get(trip_url(trip["id"], "items"), headers=owner.headers)).json()
    assert [i["title"] for i in items] == ["C", "A", "B"]
    assert [i["position"] for i in items] == [0, 1, 2]
    moved = await client.post(
        trip_url(trip["id"], f"items/{c['id']}/move"),
        json={"day": "2027-06-02", "position": 0},
        headers=owner.headers,
    )
    assert moved.status_code == 200, moved.text
    items = (await client.get(trip_url(trip["id"], "items"), headers=owner.headers)).json()
    assert [(i["title"], i["day"], i["position"]) for i in items] == [
        ("A", "2027-06-01", 0),
        ("B", "2027-06-01", 1),
        ("C", "2027-06-02", 0),
    ]
    bad_items: list[tuple[dict[str, Any], str | None]] = [
        ({"day": "2027-07-01"}, "day"),  # outside the trip
        ({"day": None, "start_time": "10:00:00"}, "day"),
        ({"timezone": "Nowhere/City"}, None),
        ({"lat": 60.1, "lon": None}, "lat"),
        ({"participants": ["00000000-0000-0000-0000-000000000001"]}, "participants"),
    ]
    for body, field in bad_items:
        response = await client.post(
            trip_url(trip["id"], "items"),
            json={"kind": "activity", "title": "x", "day": START.isoformat(), **body},
            headers=owner.headers,
        )
        assert response.status_code == 422, (body, response.text)
        if field:
            assert response.json().get("field") == field, response.json()
    stale = await client.put(
        trip_url(trip["id"], f"items/{a['id']}"),
        json={"title": "A2"},
        headers={**owner.headers, "If-Match": '"7"'},
    )
    assert_problem(stale, 412, "stale_version")
    shrink = await client.put(
        trip_url(trip["id"]), json={"end_date": "2027-06-01"}, headers=owner.headers
    )
    assert_problem(shrink, 422, "invalid_trip")
    removed = await client.delete(trip_url(trip["id"], f"items/{b['id']}"), headers=owner.headers)
    assert removed.status_code == 204


async def test_invites_by_email(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    trip = await create_trip(client, owner)
    friend_email = unique_email("friend")
    invited = await client.post(
        trip_url(trip["id"], "collaborators"),
        json={"email": friend_email, "role": "editor"},
        headers=owner.headers,
    )
    assert invited.status_code == 201 and invited.json()["status"] == "invited"
    token = invited.json()["invite_token"]
    friend = await make_user(client, friend_email)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    bad = await client.post(
        f"{API}/trips/invites/accept", json={"token": tampered}, headers=friend.headers
    )
    assert_problem(bad, 422, "invalid_invite")
    ok = await client.post(
        f"{API}/trips/invites/accept", json={"token": token}, headers=friend.headers
    )
    assert ok.status_code == 200 and ok.json()["my_role"] == "editor"
    again = await client.post(
        f"{API}/trips/invites/accept", json={"token": token}, headers=friend.headers
    )
    assert_problem(again, 409, "invite_used")
    item = await add_item(client, friend, trip["id"])
    assert item["created_by"] == str(friend.id)


async def test_expired_invite(client: httpx.AsyncClient, app: FastAPI) -> None:
    from datetime import timedelta

    from navio.kernel.clock import FrozenClock

    owner = await make_user(client)
    trip = await create_trip(client, owner)
    invited = await client.post(
        trip_url(trip["id"], "collaborators"),
        json={"email": unique_email(), "role": "viewer"},
        headers=owner.headers,
    )
    token = invited.json()["invite_token"]
    friend = await make_user(client)
    real = app.state.clock
    app.state.clock = FrozenClock(real.now() + timedelta(days=8))
    try:
        late = await client.post(
            f"{API}/trips/invites/accept", json={"token": token}, headers=friend.headers
        )
    finally:
        app.state.clock = real
    assert_problem(late, 410, "invite_expired")


async def test_sharing_link_and_public_views_hide_private_fields(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    friend = await make_user(client)
    trip = await create_trip(client, owner)
    await add_collaborator(client, owner, trip["id"], friend, "viewer")
    await add_item(
        client, owner, trip["id"], participants=[str(friend.id)], booking_reference="PNR123"
    )
    shared = await client.put(
        trip_url(trip["id"], "sharing"),
        json={"visibility": "link", "hide_costs": True},
        headers=owner.headers,
    )
    token = shared.json()["link_token"]
    assert token
    assert (await client.get(trip_url(trip["id"]))).status_code == 404
    view = await client.get(trip_url(trip["id"]) + f"?token={token}")
    assert view.status_code == 200
    assert view.json()["collaborators"] == [] and view.json()["my_role"] is None
    items = (await client.get(trip_url(trip["id"], "items") + f"?token={token}")).json()
    assert items[0]["cost_minor"] is None and items[0]["participants"] == []
    assert items[0]["booking_reference"] is None
    rotated = await client.put(
        trip_url(trip["id"], "sharing"),
        json={"visibility": "link", "rotate_link": True},
        headers=owner.headers,
    )
    assert (await client.get(trip_url(trip["id"]) + f"?token={token}")).status_code == 404
    assert (
        await client.get(trip_url(trip["id"]) + f"?token={rotated.json()['link_token']}")
    ).status_code == 200
    await client.put(
        trip_url(trip["id"], "sharing"), json={"visibility": "public"}, headers=owner.headers
    )
    assert (await client.get(trip_url(trip["id"]))).status_code == 200
    write = await client.post(trip_url(trip["id"], "items"), json={"kind": "note", "title": "x"})
    assert write.status_code == 401


async def test_comments_suggestions_and_activity_feed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    owner = await make_user(client)
    suggester = await make_user(client)
    trip = await create_trip(client, owner)
    await add_collaborator(client, owner, trip["id"], suggester, "suggester")
    item = await add_item(client, owner, trip["id"])
    posted = await client.post(
        trip_url(trip["id"], "comments"),
        json={"body": "Let's go early", "item_id": item["id"]},
        headers=suggester.headers,
    )
    assert posted.status_code == 201
    not_mine = await client.put(
        trip_url(trip["id"], f"comments/{posted.json()['id']}"),
        json={"body": "no"},
        headers=owner.headers,
    )
    assert_problem(not_mine, 403, "trip_forbidden")
    edited = await client.put(
        trip_url(trip["id"], f"comments/{posted.json()['id']}"),
        json={"body": "Early!"},
        headers=suggester.headers,
    )
    assert edited.json()["edited_at"] is not None
    direct = await client.post(
        trip_url(trip["id"], "items"),
        json={"kind": "note", "title": "x"},
        headers=suggester.headers,
    )
    assert_problem(direct, 403, "trip_forbidden")
    proposal = await client.post(
        trip_url(trip["id"], "suggestions"),
        json={"action": "update_item", "item_id": item["id"], "item": {"start_time": "09:00:00"}},
        headers=suggester.headers,
    )
    assert proposal.status_code == 201, proposal.text
    cannot = await client.post(
        trip_url(trip["id"], f"suggestions/{proposal.json()['id']}/accept"),
        headers=suggester.headers,
    )
    assert_problem(cannot, 403, "trip_forbidden")
    accepted = await client.post(
        trip_url(trip["id"], f"suggestions/{proposal.json()['id']}/accept"), headers=owner.headers
    )
    assert accepted.json()["status"] == "accepted"
    items = (await client.get(trip_url(trip["id"], "items"), headers=owner.headers)).json()
    assert items[0]["start_time"] == "09:00:00"
    twice = await client.post(
        trip_url(trip["id"], f"suggestions/{proposal.json()['id']}/reject"), headers=owner.headers
    )
    assert_problem(twice, 409, "suggestion_decided")
    await app.state.relay.drain()
    feed = (await client.get(trip_url(trip["id"], "activity-feed"), headers=owner.headers)).json()
    events = [a["event"] for a in feed["items"]]
    assert events[0] == "trips.suggestion_decided"  # newest first
    for expected in (
        "trips.trip_created",
        "trips.collaborator_added",
        "trips.item_added",
        "trips.comment_posted",
        "trips.comment_edited",
        "trips.suggestion_made",
        "trips.item_updated",
    ):
        assert expected in events, (expected, events)


async def test_calendar_export_round_trips(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    trip = await create_trip(client, owner)
    await add_item(client, owner, trip["id"], title="Cathedral, and a café; then sauna")
    await add_item(
        client,
        owner,
        trip["id"],
        kind="transport",
        title="Night train",
        day="2027-06-03",
        start_time="22:30:00",
        end_time="06:15:00",
        timezone="Europe/Helsinki",
    )
    await add_item(
        client,
        owner,
        trip["id"],
        kind="activity",
        title="Call home",
        day="2027-06-04",
        start_time="09:00:00",
        end_time="09:30:00",
        timezone="America/New_York",
    )
    await add_item(
        client,
        owner,
        trip["id"],
        kind="note",
        title="Buy adapters",
        day=None,
        start_time=None,
        end_time=None,
    )
    response = await client.get(trip_url(trip["id"], "calendar.ics"), headers=owner.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/calendar"
    )
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Cathedral, and a café; then sauna", "Night train", "Call home"}
    helsinki, new_york = ZoneInfo("Europe/Helsinki"), ZoneInfo("America/New_York")
    assert events["Night train"].decoded("DTSTART") == datetime(2027, 6, 3, 22, 30, tzinfo=helsinki)
    assert events["Night train"].decoded("DTEND") == datetime(2027, 6, 4, 6, 15, tzinfo=helsinki)
    start = events["Call home"].decoded("DTSTART")
    assert start == datetime(2027, 6, 4, 9, 0, tzinfo=new_york)
    assert events["Call home"]["DTSTART"].params["TZID"] == "America/New_York"
    gpx = await client.get(trip_url(trip["id"], "places.gpx"), headers=owner.headers)
    kml = await client.get(trip_url(trip["id"], "places.kml"), headers=owner.headers)
    assert gpx.status_code == 200 and b"<gpx" in gpx.content
    assert kml.status_code == 200 and b"Cathedral" in kml.content
    stranger = await make_user(client)
    assert (
        await client.get(trip_url(trip["id"], "calendar.ics"), headers=stranger.headers)
    ).status_code == 404


async def test_leave_remove_and_transfer(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    editor = await make_user(client)
    viewer = await make_user(client)
    trip = await create_trip(client, owner)
    await add_collaborator(client, owner, trip["id"], editor, "editor")
    await add_collaborator(client, owner, trip["id"], viewer, "viewer")
    owner_leaves = await client.delete(
        trip_url(trip["id"], f"collaborators/{owner.id}"), headers=owner.headers
    )
    assert_problem(owner_leaves, 409, "owner_cannot_leave")
    left = await client.delete(
        trip_url(trip["id"], f"collaborators/{viewer.id}"), headers=viewer.headers
    )
    assert left.status_code == 204
    assert (await client.get(trip_url(trip["id"]), headers=viewer.headers)).status_code == 404
    moved = await client.post(
        trip_url(trip["id"], "transfer-ownership"),
        json={"user_id": str(editor.id)},
        headers=owner.headers,
    )
    assert moved.status_code == 200 and moved.json()["owner_id"] == str(editor.id)
    assert moved.json()["my_role"] == "editor"
    demoted = await client.put(
        trip_url(trip["id"], f"collaborators/{owner.id}"),
        json={"role": "viewer"},
        headers=editor.headers,
    )
    assert demoted.status_code == 200 and demoted.json()["role"] == "viewer"
    cannot = await client.put(trip_url(trip["id"]), json={"title": "mine"}, headers=owner.headers)
    assert_problem(cannot, 403, "trip_forbidden")
    dup = await client.post(
        trip_url(trip["id"], "collaborators"),
        json={"user_id": str(owner.id), "role": "editor"},
        headers=editor.headers,
    )
    assert_problem(dup, 409, "already_collaborator")


async def test_catalogue_places_are_checked_and_fill_in(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    boss = await admin(client, app.state)
    poi = {
        "source_id": "trip-cathedral",
        "name": "Helsinki Cathedral",
        "category": "place_of_worship",
        "country_code": "FI",
        "lat": 60.1705,
        "lon": 24.9522,
    }
    indexed = await client.post(f"{API}/search/index/poi", json=poi, headers=boss.headers)
    assert indexed.status_code == 201, indexed.text
    place_id = indexed.json()["id"]
    owner = await make_user(client)
    unknown = "00000000-0000-4000-8000-000000000001"
    bad_destination = await client.post(
        f"{API}/trips",
        json=trip_body(destinations=[{"name": "Nowhere", "place_id": unknown}]),
        headers=owner.headers,
    )
    assert_problem(bad_destination, 422, "invalid_trip")
    trip = await create_trip(
        client, owner, destinations=[{"name": "Cathedral", "place_id": place_id}]
    )
    assert trip["destinations"][0]["country_code"] == "FI"
    assert trip["destinations"][0]["lat"] == 60.1705
    bad_item = await client.post(
        trip_url(trip["id"], "items"),
        json={"kind": "place", "title": "?", "place_id": unknown},
        headers=owner.headers,
    )
    assert_problem(bad_item, 422, "invalid_trip_item")
    assert bad_item.json()["field"] == "place_id"
    item = await add_item(
        client, owner, trip["id"], place_id=place_id, location=None, lat=None, lon=None
    )
    assert item["location"] == "Helsinki Cathedral"
    assert (item["lat"], item["lon"]) == (60.1705, 24.9522)
