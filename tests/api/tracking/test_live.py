"""A journey's changes reach everyone on the trip over the trip's live socket (in-process, and
through Redis), and deleting the trip forgets its journeys and their tracks."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from websockets.asyncio.client import connect

from navio.kernel.clock import FrozenClock
from navio.tracking.models import Journey, Position
from tests.api.tracking.test_tracking import T0, party, route, send, start
from tests.api.trips.test_live import base_url, live_app, next_event  # noqa: F401 (fixtures)
from tests.factories.trips import trip_url


async def test_journey_events_reach_the_trip_and_deletion_forgets_them(
    live_app: FastAPI,  # noqa: F811
    base_url: str,  # noqa: F811
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{base_url}") as client:
        owner, friend, _, trip_id = await party(client)
        live_app.state.clock = FrozenClock(T0)
        journey = await start(client, friend, trip_id)
        live_app.state.clock.advance(timedelta(minutes=30))
        url = f"ws://{base_url}/api/v1/trips/{trip_id}/live?access_token={owner.access_token}"
        async with connect(url) as ws:
            assert json.loads(await ws.recv())["type"] == "ready"
            fixes = route()
            response = await send(client, friend, journey["id"], fixes)
            assert response.status_code == 200, response.text
            entered = await next_event(ws, "tracking.geofence_entered")
            exited = await next_event(ws, "tracking.geofence_exited")
            arrived = await next_event(ws, "tracking.journey_arrived")
        assert entered["subject_id"] == journey["id"] and entered["actor_id"] == str(friend.id)
        assert entered["data"]["geofence"] == "Senate Square"
        assert entered["data"]["at"] < exited["data"]["at"]
        assert arrived["data"]["journey"] == response.json()["journey"]

        deleted = await client.delete(trip_url(trip_id), headers=owner.headers)
        assert deleted.status_code == 204, deleted.text
        journey_id = uuid.UUID(journey["id"])
        async with asyncio.timeout(5):
            while True:  # the relay delivers the deletion to the tracking handler
                async with live_app.state.db.transaction(write=False) as session:
                    journeys = await session.scalar(
                        select(func.count()).select_from(Journey).where(Journey.id == journey_id)
                    )
                    positions = await session.scalar(
                        select(func.count())
                        .select_from(Position)
                        .where(Position.journey_id == journey_id)
                    )
                if journeys == 0 and positions == 0:
                    break
                await asyncio.sleep(0.05)
