"""The assistant in Telegram, through its webhook as Telegram calls it (updates in the Bot API's
shape, the secret token in its header; the answer is the `sendMessage` call Telegram makes),
with the real catalogue on SQLite and PostgreSQL: a traveler links a chat with a one-time code,
plans a journey there, and sees the conversation in Navio; redelivered updates are answered
once; nothing happens for chats nobody linked, for codes spent or stale, or without the secret."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from navio.assistant.models import LinkCode
from tests.conftest import CATALOGUE, asgi_client, make_settings, running_app
from tests.factories.iam import AuthedUser, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API

SECRET = "telegram-secret-for-tests_0123"
HOOK = f"{API}/assistant/channels/telegram/webhook"
_updates = itertools.count(1000)


@pytest.fixture
async def bot_app(places_database_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        places_database_url,
        assistant={"telegram_bot_username": "NavioTestBot", "telegram_webhook_secret": SECRET},
    )
    async with running_app(settings, keep=CATALOGUE) as app:
        yield app


@pytest.fixture
async def bot(bot_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(bot_app) as client:
        yield client


def message(
    chat: int, text: str | None, kind: str = "private", update_id: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": 7,
        "date": 1_800_000_000,
        "chat": {"id": chat, "type": kind},
    }
    if text is not None:
        body["text"] = text
    return {"update_id": update_id or next(_updates), "message": body}


async def telegram(client: httpx.AsyncClient, update: dict[str, Any]) -> dict[str, Any]:
    answered = await client.post(
        HOOK, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert answered.status_code == 200, answered.text
    body: dict[str, Any] = answered.json()
    return body


async def said(client: httpx.AsyncClient, chat: int, text: str) -> str:
    answer = await telegram(client, message(chat, text))
    assert answer["method"] == "sendMessage" and answer["chat_id"] == chat, answer
    reply: str = answer["text"]
    return reply


async def code_for(client: httpx.AsyncClient, who: AuthedUser) -> str:
    made = await client.post(f"{API}/assistant/channels/telegram/link", headers=who.headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["url"] == f"https://t.me/NavioTestBot?start={body['code']}"
    code: str = body["code"]
    return code


async def test_a_traveler_plans_in_telegram(bot: httpx.AsyncClient) -> None:
    traveler = await make_user(bot)
    chat = 424242
    assert "open Navio" in await said(bot, chat, "hello?")  # nobody's chat yet

    code = await code_for(bot, traveler)
    linking = message(chat, f"/start {code.lower()}")
    assert "Linked to your Navio account" in (await telegram(bot, linking))["text"]
    assert await telegram(bot, linking) == {}  # Telegram delivered it again: answered once
    links = (await bot.get(f"{API}/assistant/channels", headers=traveler.headers)).json()
    assert [(link["channel"], link["conversation_id"]) for link in links] == [("telegram", None)]

    asked = await said(bot, chat, "Plan a trip from Los Angeles to San Diego for 2 people.")
    assert "When do you leave" in asked and "budget" in asked
    planned = await said(
        bot,
        chat,
        "From March 16th to March 18th, 2027, with a budget of $3,000. We love Mexican food.",
    )
    assert "Planned: San Diego" in planned
    mine = (await bot.get(f"{API}/assistant/conversations", headers=traveler.headers)).json()
    assert len(mine["items"]) == 1
    conversation = (
        await bot.get(
            f"{API}/assistant/conversations/{mine['items'][0]['id']}", headers=traveler.headers
        )
    ).json()
    assert [m["role"] for m in conversation["messages"]] == ["traveler", "assistant"] * 2
    assert conversation["messages"][-1]["journey"]["cities"] == ["San Diego"]

    assert "new conversation" in await said(bot, chat, "/new")
    await said(bot, chat, "A trip from Los Angeles to San Diego for 3 people")
    mine = (await bot.get(f"{API}/assistant/conversations", headers=traveler.headers)).json()
    assert len(mine["items"]) == 2
    assert "/new" in await said(bot, chat, "/help")
    assert "at most 4000" in await said(bot, chat, "x" * 4001)

    assert "Unlinked" in await said(bot, chat, "/stop")
    assert "open Navio" in await said(bot, chat, "A trip to Tampere")
    assert (await bot.get(f"{API}/assistant/channels", headers=traveler.headers)).json() == []


async def test_what_telegram_gets_refused(bot_app: FastAPI, bot: httpx.AsyncClient) -> None:
    traveler, stranger = await make_user(bot), await make_user(bot)
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong-secret-0123456789"}):
        assert_problem(
            await bot.post(HOOK, json=message(1, "hi"), headers=headers),
            401,
            "channel_unauthorized",
        )
    assert_problem(await bot.post(f"{API}/assistant/channels/telegram/link"), 401, "unauthorized")
    # a spent code, a stale code, a code replaced by a newer one
    chat = 515151
    code = await code_for(bot, traveler)
    await said(bot, chat, f"/start {code}")
    assert "expired" in await said(bot, 616161, f"/start {code}")
    stale = await code_for(bot, traveler)
    async with bot_app.state.db.transaction() as session:
        await session.execute(
            update(LinkCode).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert "expired" in await said(bot, 717171, f"/start {stale}")
    first, second = await code_for(bot, traveler), await code_for(bot, traveler)
    assert "expired" in await said(bot, 818181, f"/start {first}")
    assert "Linked" in await said(bot, 818181, f"/start {second}")
    # groups, stickers and edits
    group = await telegram(bot, message(-100123, "plan a trip", kind="group"))
    assert "private chats" in group["text"]
    assert "text messages only" in await said(bot, chat, None)  # type: ignore[arg-type]
    assert await telegram(bot, {"update_id": next(_updates), "edited_message": {}}) == {}
    # a chat is its owner's to unlink
    links = (await bot.get(f"{API}/assistant/channels", headers=traveler.headers)).json()
    assert len(links) == 2
    for link in links:
        assert_problem(
            await bot.delete(f"{API}/assistant/channels/{link['id']}", headers=stranger.headers),
            404,
            "chat_link_not_found",
        )
    gone = await bot.delete(f"{API}/assistant/channels/{links[0]['id']}", headers=traveler.headers)
    assert gone.status_code == 204


async def test_no_bot_no_channel(client: httpx.AsyncClient) -> None:
    traveler = await make_user(client)
    assert_problem(
        await client.post(f"{API}/assistant/channels/telegram/link", headers=traveler.headers),
        404,
        "channel_not_configured",
    )
    assert_problem(
        await client.post(
            HOOK, json=message(1, "hi"), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ),
        404,
        "channel_not_configured",
    )
