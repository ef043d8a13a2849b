"""Live journeys through HTTP, on SQLite and PostgreSQL: a walk from the railway station to the
cathedral in Helsinki, who may see and change a journey, and the refusals."""

from __future__ import annotations

import itertools
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from navio.kernel.clock import FrozenClock
from navio.kernel.geo import haversine_m
from navio.tracking.models import Journey, Position
from tests.factories.iam import AuthedUser
from tests.factories.iam import user as make_user
from tests.factories.trips import add_collaborator, create_trip, trip_url

API = "/api/v1"
# Helsinki Central railway station -> Helsinki Cathedral (OpenStreetMap), Senate Square between
STATION = (60.17103, 24.94142)
CATHEDRAL = (60.17046, 24.95211)
SENATE_SQUARE = (60.16935, 24.95227)
# in the past: the outbox delivers events when our clock reaches them
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


def start_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "destination": {"name": "Helsinki Cathedral", "lat": CATHEDRAL[0], "lon": CATHEDRAL[1]},
        "mode": "walk",
        "arrival_radius_m": 40,
        "geofences": [
            {
                "name": "Senate Square",
                "lat": SENATE_SQUARE[0],
                "lon": SENATE_SQUARE[1],
                "radius_m": 60,
            }
        ],
    }
    body.update(overrides)
    return body


def along(a: tuple[float, float], b: tuple[float, float], share: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share


def fix(point: tuple[float, float], at: datetime, accuracy: float = 8.0) -> dict[str, Any]:
    return {"lat": point[0], "lon": point[1], "accuracy_m": accuracy, "recorded_at": at.isoformat()}


def route(steps: int = 20, seconds: int = 30) -> list[dict[str, Any]]:
    """Station -> south-east corner of the square -> cathedral steps, a fix every 30 s."""
    corner = (SENATE_SQUARE[0] + 0.0002, SENATE_SQUARE[1] - 0.0008)
    legs = [(STATION, corner), (corner, CATHEDRAL)]
    points = [along(a, b, i / steps) for a, b in legs for i in range(steps)] + [CATHEDRAL]
    return [fix(p, T0 + timedelta(seconds=seconds * (i + 1))) for i, p in enumerate(points)]


async def start(
    client: httpx.AsyncClient, who: AuthedUser, trip_id: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        trip_url(trip_id, "journeys"), json=start_body(**overrides), headers=who.headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"{API}/journeys/{response.json()['id']}"
    body: dict[str, Any] = response.json()
    return body


async def send(
    client: httpx.AsyncClient, who: AuthedUser, journey_id: str, fixes: list[dict[str, Any]]
) -> httpx.Response:
    return await client.post(
        f"{API}/journeys/{journey_id}/positions", json={"positions": fixes}, headers=who.headers
    )


async def party(client: httpx.AsyncClient) -> tuple[AuthedUser, AuthedUser, AuthedUser, str]:
    owner, friend, stranger = [await make_user(client) for _ in range(3)]
    trip = await create_trip(client, owner)
    await add_collaborator(client, owner, trip["id"], friend, "viewer")
    return owner, friend, stranger, trip["id"]


async def test_a_walk_to_the_cathedral(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, friend, _, trip_id = await party(client)
    app.state.clock = FrozenClock(T0)
    journey = await start(client, friend, trip_id)  # a viewer shares their own way
    assert journey["status"] == "active" and journey["position"] is None
    assert journey["eta_at"] is None and journey["positions"] == 0
    fixes = route()
    app.state.clock.advance(timedelta(minutes=30))

    # the phone's last known position, 90 s before sharing started, is where the walk starts
    fixes[0] = {**fixes[0], "recorded_at": (T0 - timedelta(seconds=90)).isoformat()}
    # a phone sends what it buffered, out of order: recorded in time order
    first = fixes[:6]
    response = await send(client, friend, journey["id"], [first[3], *first[:3], *first[4:]])
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["ignored"]) == (6, 0)
    state = result["journey"]
    assert state["position"]["recorded_at"] == fixes[5]["recorded_at"].replace("+00:00", "Z")
    here = (fixes[5]["lat"], fixes[5]["lon"])
    to_go = (haversine_m(*here, *CATHEDRAL) - 40) * 1.3  # walking detour factor
    assert abs(state["remaining_m"] - to_go) <= 1
    walked = sum(
        haversine_m(a["lat"], a["lon"], b["lat"], b["lon"]) for a, b in itertools.pairwise(first)
    )
    assert abs(state["travelled_m"] - walked) <= 1
    pace = state["speed_mps"]
    assert 0.65 <= pace <= 2.6
    eta = datetime.fromisoformat(state["eta_at"])
    last_at = datetime.fromisoformat(fixes[5]["recorded_at"])
    assert math.isclose((eta - last_at).total_seconds(), state["remaining_m"] / pace, rel_tol=0.01)
    tag = response.headers["ETag"]

    # the same batch again records nothing and changes nothing
    again = await send(client, friend, journey["id"], first)
    assert (again.json()["accepted"], again.json()["ignored"]) == (0, 6)
    assert again.headers["ETag"] == tag

    # the owner polls: 304 while nothing changed
    url = f"{API}/journeys/{journey['id']}"
    polled = await client.get(url, headers={**owner.headers, "If-None-Match": tag})
    assert polled.status_code == 304 and polled.headers["ETag"] == tag
    weak = await client.get(url, headers={**owner.headers, "If-None-Match": f'"0", W/{tag}'})
    assert weak.status_code == 304  # compared weakly, among others
    seen = await client.get(url, headers=owner.headers)
    assert seen.status_code == 200 and seen.json() == state

    # on through Senate Square to the cathedral
    rest = await send(client, friend, journey["id"], fixes[6:])
    assert rest.status_code == 200, rest.text
    done = rest.json()["journey"]
    arrived = next(f for f in fixes if haversine_m(f["lat"], f["lon"], *CATHEDRAL) <= 40)
    assert done["status"] == "arrived"
    assert datetime.fromisoformat(done["arrived_at"]) == datetime.fromisoformat(
        arrived["recorded_at"]
    )
    assert done["remaining_m"] == 0 and done["eta_at"] == done["arrived_at"]
    square = next(g for g in done["geofences"] if g["name"] == "Senate Square")
    inside_square = haversine_m(fixes[-1]["lat"], fixes[-1]["lon"], *SENATE_SQUARE) <= 60
    assert square["inside"] is inside_square
    assert done["positions"] == len(fixes)
    polled = await client.get(url, headers={**owner.headers, "If-None-Match": tag})
    assert polled.status_code == 200 and polled.json()["status"] == "arrived"

    # no more fixes once arrived
    later = fix(CATHEDRAL, T0 + timedelta(minutes=20))
    refused = await send(client, friend, journey["id"], [later])
    assert refused.status_code == 409 and refused.json()["code"] == "journey_not_active"

    # the track, for a map: GeoJSON, longitude first, in time order
    track = await client.get(f"{url}/track", headers=owner.headers)
    assert track.status_code == 200
    assert track.headers["content-type"].startswith("application/geo+json")
    feature = track.json()
    assert feature["geometry"]["type"] == "LineString"
    assert feature["geometry"]["coordinates"] == [[f["lon"], f["lat"]] for f in fixes]
    times = [datetime.fromisoformat(t) for t in feature["properties"]["times"]]
    assert times == [datetime.fromisoformat(f["recorded_at"]) for f in fixes]

    listed = await client.get(trip_url(trip_id, "journeys"), headers=owner.headers)
    assert [j["id"] for j in listed.json()["items"]] == [journey["id"]]
    active = await client.get(
        trip_url(trip_id, "journeys") + "?status=active", headers=owner.headers
    )
    assert active.json()["items"] == []


async def test_who_may_see_and_change_a_journey(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, friend, stranger, trip_id = await party(client)
    editor = await make_user(client)
    await add_collaborator(client, owner, trip_id, editor, "editor")
    app.state.clock = FrozenClock(T0)
    journey = await start(client, friend, trip_id)
    url = f"{API}/journeys/{journey['id']}"
    one = [route()[0]]

    for path in ("", "/track"):
        response = await client.get(url + path, headers=stranger.headers)
        assert response.status_code == 404 and response.json()["code"] == "journey_not_found"
    for path, body in (("/positions", {"positions": one}), ("/end", None)):
        response = await client.post(url + path, json=body, headers=stranger.headers)
        assert response.status_code == 404 and response.json()["code"] == "journey_not_found"
    response = await client.get(trip_url(trip_id, "journeys"), headers=stranger.headers)
    assert response.status_code == 404
    response = await client.post(
        trip_url(trip_id, "journeys"), json=start_body(), headers=stranger.headers
    )
    assert response.status_code == 404
    assert (await client.get(url)).status_code == 401

    # on the trip but not the traveler: reads, never writes the traveler's position
    app.state.clock.advance(timedelta(minutes=5))
    response = await send(client, owner, journey["id"], one)
    assert response.status_code == 403
    response = await client.post(f"{url}/end", headers=editor.headers)
    assert response.status_code == 403
    assert (await client.get(url, headers=editor.headers)).json()["version"] == 1

    # one active journey per traveler and trip
    response = await client.post(
        trip_url(trip_id, "journeys"), json=start_body(), headers=friend.headers
    )
    assert response.status_code == 409 and response.json()["code"] == "journey_already_active"
    assert response.json()["journey_id"] == journey["id"]

    # the trip's owner may end anyone's sharing; after that, a new journey may start
    response = await client.post(f"{url}/end", headers=owner.headers)
    assert response.status_code == 200 and response.json()["status"] == "ended"
    assert response.json()["eta_at"] is None
    response = await client.post(f"{url}/end", headers=friend.headers)
    assert response.status_code == 409 and response.json()["code"] == "journey_not_active"
    second = await start(client, friend, trip_id)
    ended = await client.post(f"{API}/journeys/{second['id']}/end", headers=friend.headers)
    assert ended.status_code == 200

    # a member removed from the trip no longer sees it
    removed = await client.delete(
        trip_url(trip_id, f"collaborators/{editor.id}"), headers=owner.headers
    )
    assert removed.status_code == 204, removed.text
    assert (await client.get(url, headers=editor.headers)).status_code == 404


async def test_bad_input_is_refused_and_nothing_is_written(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, friend, _, trip_id = await party(client)
    app.state.clock = FrozenClock(T0)
    for body, field in (
        (start_body(destination={"name": "x", "lat": 91, "lon": 0}), "destination.lat"),
        (start_body(mode="teleport"), "mode"),
        (start_body(arrival_radius_m=5), "arrival_radius_m"),
        (
            start_body(geofences=[{"name": "a", "lat": 60, "lon": 24, "radius_m": 50}] * 2),
            "geofences",
        ),
    ):
        response = await client.post(
            trip_url(trip_id, "journeys"), json=body, headers=friend.headers
        )
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"].startswith(field), response.json()
    journey = await start(client, friend, trip_id)
    good = fix(STATION, T0 + timedelta(seconds=30))
    for fixes, code in (
        ([], "validation_error"),
        ([good] * 101, "validation_error"),
        ([{**good, "lat": -90.5}], "validation_error"),
        ([{**good, "accuracy_m": 0}], "validation_error"),
        ([{**good, "recorded_at": "2026-06-01T08:00:30"}], "validation_error"),  # no zone
        # the second fix lies an hour ahead of the server's clock: the whole batch is refused
        ([good, fix(STATION, T0 + timedelta(hours=1))], "invalid_positions"),
    ):
        response = await send(client, friend, journey["id"], fixes)
        assert response.status_code == 422, fixes
        assert response.json()["code"] == code, response.json()
    future = await send(
        client, friend, journey["id"], [good, fix(STATION, T0 + timedelta(hours=1))]
    )
    assert future.json()["field"] == "positions[1].recorded_at"

    # fixes from well before the journey started are not part of it (a last known position
    # up to 2 minutes old is: tested with the walk)
    early = await send(client, friend, journey["id"], [fix(STATION, T0 - timedelta(minutes=3))])
    assert (early.json()["accepted"], early.json()["ignored"]) == (0, 1)

    journey_id = uuid.UUID(journey["id"])
    async with app.state.db.transaction(write=False) as session:
        positions = await session.scalar(
            select(func.count()).select_from(Position).where(Position.journey_id == journey_id)
        )
        stored = await session.get(Journey, journey_id)
    assert positions == 0 and stored is not None and stored.version == 1
