"""The live channel end to end over a real socket: changes reach every connected collaborator
(in-process broadcast, and through Redis), and a collaborator removed while connected is cut off."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import flush_redis, make_settings, running_app
from tests.factories.iam import user as make_user
from tests.factories.servers import served
from tests.factories.trips import add_collaborator, create_trip, trip_url


@pytest.fixture(params=["memory", "redis"])
async def live_app(
    request: pytest.FixtureRequest, sqlite_url: str, redis_url: str
) -> AsyncIterator[FastAPI]:
    redis = redis_url if request.param == "redis" else None
    if redis:
        await flush_redis(redis)
    settings = make_settings(sqlite_url, redis_url=redis, outbox={"run_in_api": True})
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def base_url(live_app: FastAPI) -> AsyncIterator[str]:
    async with served(live_app) as address:
        yield address


async def next_event(ws: ClientConnection, name: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message.get("event") == name:
                return message


async def read_until_closed(ws: ClientConnection) -> None:
    async with asyncio.timeout(5):
        while True:
            await ws.recv()


async def test_changes_reach_collaborators_and_removal_cuts_off(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{base_url}") as client:
        owner = await make_user(client)
        editor = await make_user(client)
        viewer = await make_user(client)
        stranger = await make_user(client)
        trip = await create_trip(client, owner)
        await add_collaborator(client, owner, trip["id"], editor, "editor")
        await add_collaborator(client, owner, trip["id"], viewer, "viewer")
        live = f"ws://{base_url}/api/v1/trips/{trip['id']}/live?access_token="
        for token in (stranger.access_token, "not-a-token"):
            with pytest.raises(InvalidStatus):
                async with connect(live + token):
                    pass
        async with (
            connect(live + viewer.access_token) as viewer_ws,
            connect(live + owner.access_token) as owner_ws,
        ):
            assert json.loads(await viewer_ws.recv()) == {"type": "ready", "role": "viewer"}
            assert json.loads(await owner_ws.recv())["role"] == "owner"
            added = await client.post(
                trip_url(trip["id"], "items"),
                json={"kind": "activity", "title": "Sauna at Löyly", "day": "2027-06-02"},
                headers=editor.headers,
            )
            assert added.status_code == 201
            for ws in (viewer_ws, owner_ws):
                event = await next_event(ws, "trips.item_added")
                assert event["subject_id"] == added.json()["id"]
                assert event["data"]["title"] == "Sauna at Löyly"
                assert event["actor_id"] == str(editor.id)
            await client.post(
                trip_url(trip["id"], "comments"),
                json={"body": "Bring towels"},
                headers=editor.headers,
            )
            assert (await next_event(viewer_ws, "trips.comment_posted"))["data"][
                "body"
            ] == "Bring towels"
            removed = await client.delete(
                trip_url(trip["id"], f"collaborators/{viewer.id}"), headers=owner.headers
            )
            assert removed.status_code == 204
            await next_event(viewer_ws, "trips.collaborator_removed")
            with pytest.raises(ConnectionClosed) as closed:
                await read_until_closed(viewer_ws)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
            # the owner's socket lives on and keeps receiving
            await client.put(trip_url(trip["id"]), json={"title": "Renamed"}, headers=owner.headers)
            assert (await next_event(owner_ws, "trips.trip_updated"))["data"]["fields"] == ["title"]
