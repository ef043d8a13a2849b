"""The assistant over a real WebSocket, with the real catalogue: a traveler talks on one device
and both of their open sockets see the assistant typing and its answer (through the in-process
broadcast, and through Redis as between API processes); a message that cannot be read is
answered with an error and the conversation goes on; nobody else connects to it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.conftest import CATALOGUE, flush_redis, make_settings, running_app
from tests.factories.iam import user as make_user
from tests.factories.servers import served
from tests.factories.trips import API


@pytest.fixture(params=["memory", "redis"])
async def chat_app(
    request: pytest.FixtureRequest, places_sqlite_url: str, redis_url: str
) -> AsyncIterator[FastAPI]:
    redis = redis_url if request.param == "redis" else None
    if redis:
        await flush_redis(redis)
    settings = make_settings(places_sqlite_url, redis_url=redis)
    async with running_app(settings, keep=CATALOGUE) as app:
        yield app


@pytest.fixture
async def address(chat_app: FastAPI) -> AsyncIterator[str]:
    async with served(chat_app) as where:
        yield where


async def frame(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(30):
        message: dict[str, Any] = json.loads(await ws.recv())
        return message


async def test_talking_on_one_device_shows_on_both(address: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        traveler = await make_user(client)
        stranger = await make_user(client)
        started = await client.post(
            f"{API}/assistant/conversations",
            json={"text": "Plan a trip from Los Angeles to San Diego for 2 people."},
            headers=traveler.headers,
        )
        assert started.status_code == 201, started.text
        conversation = started.json()["id"]
        chat = f"ws://{address}{API}/assistant/conversations/{conversation}/chat?access_token="
        for token in (stranger.access_token, "not-a-token", ""):
            with pytest.raises(InvalidStatus):
                async with connect(chat + token):
                    pass

        async with (
            connect(chat + traveler.access_token) as phone,
            connect(chat + traveler.access_token) as laptop,
        ):
            for ws in (phone, laptop):
                assert await frame(ws) == {"type": "ready", "conversation_id": conversation}
            await phone.send(json.dumps({"text": ""}))
            error = await frame(phone)
            assert error["type"] == "error" and error["code"] == "validation_error"
            assert "text" in error["detail"]
            await phone.send("not json")
            assert (await frame(phone))["code"] == "validation_error"

            text = "From March 16th to March 18th, 2027, with a budget of $3,000."
            await phone.send(json.dumps({"text": text}))
            for ws in (phone, laptop):
                assert await frame(ws) == {"type": "typing"}
                reply = await frame(ws)
                assert reply["type"] == "reply"
                mine, answer = reply["messages"]
                assert (mine["role"], mine["text"]) == ("traveler", text)
                assert answer["role"] == "assistant" and answer["seq"] == mine["seq"] + 1
                assert answer["journey"] is not None, answer["text"]
                assert answer["journey"]["cities"] == ["San Diego"]
                assert reply["understood"]["missing"] == []

        # what was said over the socket is the conversation's, as over HTTP
        kept = await client.get(
            f"{API}/assistant/conversations/{conversation}", headers=traveler.headers
        )
        assert [m["role"] for m in kept.json()["messages"]] == [
            "traveler",
            "assistant",
            "traveler",
            "assistant",
        ]
