"""Assistant routes: thin; parse -> service -> schema."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Body,
    Depends,
    Header,
    Query,
    Request,
    Response,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from navio.assistant.errors import ChannelNotConfigured, ChannelUnauthorized
from navio.assistant.repository import AssistantRepository
from navio.assistant.schemas import (
    ChatLinkCode,
    ChatLinkRead,
    ConversationRead,
    ConversationSummary,
    MessageIn,
    SavedTrip,
    SaveTrip,
)
from navio.assistant.service import AssistantService, ChatsService
from navio.iam import CurrentPrincipal, Principal, socket_principal
from navio.journeys import JourneysService
from navio.kernel.errors import DomainError
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.pubsub import Broadcast
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.trips import TripsService, trips_service

router = APIRouter(tags=["assistant"], route_class=UnitOfWorkRoute)


def _assistant(uow: UnitOfWork, state: Any) -> AssistantService:
    journeys = JourneysService(
        uow.session_source, state.rates, state.cache, Path(state.settings.transit_cache_dir)
    )
    return AssistantService(
        AssistantRepository(uow.session_source), uow.session_source, journeys, state.clock
    )


async def assistant_service(request: Request) -> AssistantService:
    return _assistant(request.state.uow, request.app.state)


Service = Annotated[AssistantService, Depends(assistant_service)]


async def trips(request: Request) -> TripsService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return trips_service(
        uow.session_source, uow.events, state.clock, state.settings.secret_key.get_secret_value()
    )


Trips = Annotated[TripsService, Depends(trips)]
TALK = (
    "The assistant reads the message (origin, destination city or a state or country to tour "
    "and how many cities, dates or length, travelers, budget and currency, cuisines, house "
    "rules, room type, modes to avoid), merges it into what the conversation understood so "
    "far, asks for what is still missing, and otherwise composes the whole journey (as "
    "`POST /journeys/compose`) and answers with it; when no journey fits it says why."
)


@router.post(
    "/assistant/conversations",
    response_model=ConversationRead,
    status_code=201,
    responses=problem_responses(401, 422),
    description="Start a conversation with a first message. " + TALK,
)
async def start(body: MessageIn, principal: CurrentPrincipal, service: Service) -> ConversationRead:
    return await service.start(principal, body)


@router.post(
    "/assistant/conversations/{conversation_id}/messages",
    response_model=ConversationRead,
    responses=problem_responses(401, 404, 422),
    description="Say more in a conversation: change the dates, the budget, the party... " + TALK,
)
async def say(
    conversation_id: uuid.UUID, body: MessageIn, principal: CurrentPrincipal, service: Service
) -> ConversationRead:
    return await service.say(principal, conversation_id, body)


@router.post(
    "/assistant/conversations/{conversation_id}/trip",
    response_model=SavedTrip,
    status_code=201,
    responses=problem_responses(401, 404, 409, 422),
    description="Save the conversation's latest journey as a trip of yours: the cities as its "
    "destinations, a trip item for every ride, night, meal and sight with its cost and time. "
    "409 `no_journey_yet` before anything was planned; 422 `timezone_required` for a journey "
    "planned from options sent, unless `timezone` is given.",
)
async def save_trip(
    conversation_id: uuid.UUID,
    body: SaveTrip,
    principal: CurrentPrincipal,
    service: Service,
    trips_: Trips,
) -> SavedTrip:
    return await service.save_trip(principal, conversation_id, body, trips_)


@router.get(
    "/assistant/conversations/{conversation_id}",
    response_model=ConversationRead,
    responses=problem_responses(401, 404),
)
async def get(
    conversation_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> ConversationRead:
    return await service.get(principal, conversation_id)


@router.get(
    "/assistant/conversations",
    response_model=Page[ConversationSummary],
    responses=problem_responses(401, 422),
    description="Your conversations, newest first.",
)
async def conversations(
    principal: CurrentPrincipal,
    service: Service,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ConversationSummary]:
    return await service.conversations(principal, cursor, limit)


# ---------------------------------------------------------------- messaging apps
def _telegram(request: Request) -> tuple[str, str]:
    """The bot's username and webhook secret, or 404 when the channel is off."""
    conf = request.app.state.settings.assistant
    if conf.telegram_bot_username is None or conf.telegram_webhook_secret is None:
        raise ChannelNotConfigured("this Navio has no Telegram bot")
    return conf.telegram_bot_username, conf.telegram_webhook_secret.get_secret_value()


async def chats_service(request: Request) -> ChatsService:
    uow: UnitOfWork = request.state.uow
    assistant = _assistant(uow, request.app.state)
    return ChatsService(AssistantRepository(uow.session_source), assistant, request.app.state.clock)


Chats = Annotated[ChatsService, Depends(chats_service)]


@router.post(
    "/assistant/channels/telegram/link",
    response_model=ChatLinkCode,
    status_code=201,
    responses=problem_responses(401, 404),
    description="A one-time code (15 minutes) to talk to the assistant in Telegram: open `url`, "
    "or send `/start CODE` to the bot. A new code makes the previous one void.",
)
async def telegram_link(
    request: Request, principal: CurrentPrincipal, chats: Chats
) -> ChatLinkCode:
    bot, _ = _telegram(request)
    return await chats.link_code(principal, bot)


@router.get(
    "/assistant/channels",
    response_model=list[ChatLinkRead],
    responses=problem_responses(401),
    description="Your chats linked to the assistant.",
)
async def chat_links(principal: CurrentPrincipal, chats: Chats) -> list[ChatLinkRead]:
    return await chats.links(principal)


@router.delete(
    "/assistant/channels/{link_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 404),
)
async def unlink_chat(link_id: uuid.UUID, principal: CurrentPrincipal, chats: Chats) -> Response:
    await chats.unlink(principal, link_id)
    return Response(status_code=204)


@router.post(
    "/assistant/channels/telegram/webhook",
    responses=problem_responses(401, 404, 422),
    description="Telegram's webhook (set with `secret_token`; Telegram sends it in "
    "`X-Telegram-Bot-Api-Secret-Token`). The answer is the Bot API call that replies in the "
    "chat (`sendMessage`), or `{}`; an update delivered again is answered once.",
)
async def telegram_webhook(
    request: Request,
    update: Annotated[dict[str, Any], Body()],
    chats: Chats,
    token: Annotated[
        str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token", max_length=256)
    ] = None,
) -> JSONResponse:
    _, secret = _telegram(request)
    if token is None or not hmac.compare_digest(token.encode(), secret.encode()):
        raise ChannelUnauthorized("the secret token is missing or wrong")
    return JSONResponse(await chats.telegram_update(update))


# ---------------------------------------------------------------- chat over a WebSocket
def chat_channel(conversation_id: uuid.UUID) -> str:
    return f"assistant:{conversation_id}"


def _frame(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields}, default=str)


@router.websocket("/assistant/conversations/{conversation_id}/chat")
async def chat(
    websocket: WebSocket,
    conversation_id: uuid.UUID,
    access_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> None:
    """The conversation live: send `{"text": ...}` (as `POST .../messages`); every socket open
    on the conversation (the traveler's phone and laptop, on any API process) gets
    `{"type": "typing"}` and then `{"type": "reply", "messages": [the traveler's, the
    assistant's], "understood": ...}`. A message that cannot be read gets `{"type": "error",
    "code", "detail"}` and the socket stays open. Authenticate with `?access_token=` or an
    Authorization header; closes with 4401 (not authenticated) or 4404 (not your
    conversation)."""
    state = websocket.app.state
    try:
        principal = await socket_principal(websocket, access_token)
        async with UnitOfWork(state.db, write=False) as uow:
            await _assistant(uow, state).get(principal, conversation_id)
    except DomainError as exc:
        await websocket.close(code=4401 if exc.status == 401 else 4404, reason=exc.code)
        return
    broadcast: Broadcast = state.broadcast
    await websocket.accept()
    async with broadcast.subscribe(chat_channel(conversation_id)) as queue:
        await websocket.send_text(_frame("ready", conversation_id=conversation_id))
        listener = asyncio.create_task(_listen(websocket, principal, conversation_id, queue))
        try:
            while (message := await queue.get()) is not None:
                await websocket.send_text(message)
        except WebSocketDisconnect:
            return
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await listener


def _unreadable(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'message'}: {error['msg']}"
        for error in exc.errors()
    )


async def _listen(
    websocket: WebSocket,
    principal: Principal,
    conversation_id: uuid.UUID,
    queue: asyncio.Queue[str | None],
) -> None:
    """Reads the traveler's messages one at a time and answers each through the channel; wakes
    the sender with None when the client goes away."""
    state = websocket.app.state
    broadcast: Broadcast = state.broadcast
    channel = chat_channel(conversation_id)
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            raw = await websocket.receive_text()
            try:
                body = MessageIn.model_validate_json(raw)
            except ValidationError as exc:
                error = _frame("error", code="validation_error", detail=_unreadable(exc))
                await websocket.send_text(error)
                continue
            await broadcast.publish(channel, _frame("typing"))
            try:
                async with UnitOfWork(state.db, write=True) as uow:
                    answered = await _assistant(uow, state).say(principal, conversation_id, body)
            except DomainError as exc:
                await websocket.send_text(_frame("error", code=exc.code, detail=exc.detail))
                continue
            reply = _frame(
                "reply",
                messages=[m.model_dump(mode="json") for m in answered.messages[-2:]],
                understood=answered.understood.model_dump(mode="json"),
            )
            await broadcast.publish(channel, reply)
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(None)


routers = [router]
