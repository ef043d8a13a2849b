"""A station's queue live over real WebSockets, through the in-process broadcast and through
Redis: a board sees the queue grow and shrink; a rider's socket follows their place as others
leave, is called and ends with the swap, then closes; nobody else opens a rider's socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedOK, InvalidStatus

from navio.kernel.clock import FrozenClock
from tests.conftest import asgi_client, flush_redis, make_settings, running_app
from tests.factories.iam import operator
from tests.factories.iam import user as make_user
from tests.factories.marketplace import fund
from tests.factories.servers import served
from tests.factories.stations import API, pack, station

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
Frame = dict[str, Any]


@pytest.fixture(params=["memory", "redis"])
async def live_app(
    request: pytest.FixtureRequest, sqlite_url: str, redis_url: str
) -> AsyncIterator[FastAPI]:
    redis = redis_url if request.param == "redis" else None
    if redis:
        await flush_redis(redis)
    # the relay runs in the API process, as embedded Navio runs it
    settings = make_settings(
        sqlite_url, redis_url=redis, outbox={"run_in_api": True, "poll_interval_seconds": 0.2}
    )
    async with running_app(settings) as app:
        yield app


async def until(ws: ClientConnection, matches: Callable[[Frame], bool]) -> Frame:
    """The first frame that matches (frames also come on every refresh and every change)."""
    async with asyncio.timeout(15):
        while True:
            frame: Frame = json.loads(await ws.recv())
            if matches(frame):
                return frame


async def test_a_board_and_riders_follow_the_queue(live_app: FastAPI) -> None:
    app = live_app
    async with asgi_client(app) as client, served(app) as where:
        owner = await operator(client, app.state)
        attendant, first, second, stranger = [await make_user(client) for _ in range(4)]
        await fund(client, second, 2_000)
        app.state.clock = FrozenClock(T0)  # after the sign-ins: their tokens are fresh
        kamppi = await station(client, owner)
        sid = kamppi["id"]
        await client.post(
            f"{API}/stations/{sid}/staff",
            json={"user_id": str(attendant.id)},
            headers=owner.headers,
        )
        full = await pack(client, owner, sid, "KMP-0001", 90)
        await pack(client, owner, sid, "KMP-0002", 50)
        ws = f"ws://{where}{API}"

        async with connect(f"{ws}/stations/{sid}/live") as board:
            frame = await until(board, lambda f: True)
            assert frame["type"] == "station" and frame["station"]["queued"] == 0
            assert frame["station"]["ready_batteries"] == 1

            joined = await client.post(f"{API}/stations/{sid}/queue", headers=first.headers)
            ahead = joined.json()
            await until(board, lambda f: f["station"]["queued"] == 1)
            app.state.clock.advance(timedelta(seconds=1))
            behind = (
                await client.post(f"{API}/stations/{sid}/queue", headers=second.headers)
            ).json()
            await until(board, lambda f: f["station"]["queued"] == 2)

            # a rider's place: theirs (and the crew's) only
            mine = f"{ws}/queue/{behind['id']}/live?access_token="
            for token in (stranger.access_token, first.access_token, "", "not-a-token"):
                with pytest.raises(InvalidStatus):
                    async with connect(mine + token):
                        pass
            async with (
                connect(mine + second.access_token) as rider,
                connect(
                    f"{ws}/queue/{ahead['id']}/live?access_token={first.access_token}"
                ) as other,
            ):
                place = await until(rider, lambda f: True)
                assert place["type"] == "ticket"
                assert (place["ticket"]["position"], place["ticket"]["wait_minutes"]) == (2, 27)

                # the one ahead leaves: their socket ends with it, the rider moves up
                await client.post(f"{API}/queue/{ahead['id']}/leave", headers=first.headers)
                last = await until(other, lambda f: f["ticket"]["status"] == "left")
                assert last["ticket"]["qr"] is None
                with pytest.raises(ConnectionClosedOK):
                    await other.recv()
                moved = await until(rider, lambda f: f["ticket"]["position"] == 1)
                assert moved["ticket"]["wait_minutes"] == 0
                await until(board, lambda f: f["station"]["queued"] == 1)

                # checked in, then served: the last frame, and the socket closes normally
                scan = await client.post(
                    f"{API}/stations/{sid}/check-in",
                    json={"qr": behind["qr"]},
                    headers=attendant.headers,
                )
                assert scan.status_code == 200, scan.text
                await until(rider, lambda f: f["ticket"]["status"] == "called")
                swapped = await client.post(
                    f"{API}/stations/{sid}/swaps",
                    json={"ticket_id": behind["id"], "battery_out_id": full["id"]},
                    headers=attendant.headers,
                )
                assert swapped.status_code == 201, swapped.text
                await until(rider, lambda f: f["ticket"]["status"] == "served")
                with pytest.raises(ConnectionClosedOK):
                    await rider.recv()
                served_now = await until(board, lambda f: f["station"]["queued"] == 0)
                assert served_now["station"]["ready_batteries"] == 0  # the charged pack left

        # an unknown station has no board
        with pytest.raises(InvalidStatus):
            async with connect(f"{ws}/stations/00000000-0000-0000-0000-000000000000/live"):
                pass


async def test_a_ticket_socket_refreshes_as_packs_charge(
    live_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No event, yet the wait shortens as the pack charges: the socket reads again on a timer."""
    from navio.stations import api as stations_api

    monkeypatch.setattr(stations_api, "LIVE_REFRESH_SECONDS", 0.2)
    app = live_app
    async with asgi_client(app) as client, served(app) as where:
        owner = await operator(client, app.state)
        rider = await make_user(client)
        app.state.clock = FrozenClock(T0)
        sid = (await station(client, owner))["id"]
        await pack(client, owner, sid, "KMP-0009", 50)
        ticket = (await client.post(f"{API}/stations/{sid}/queue", headers=rider.headers)).json()
        assert ticket["wait_minutes"] == 27
        url = f"ws://{where}{API}/queue/{ticket['id']}/live?access_token={rider.access_token}"
        async with connect(url) as ws:
            await until(ws, lambda f: f["ticket"]["wait_minutes"] == 27)
            app.state.clock.advance(timedelta(minutes=20))
            await until(ws, lambda f: f["ticket"]["wait_minutes"] == 7)
