"""Assistant routes: thin; parse -> service -> schema."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from navio.assistant.repository import AssistantRepository
from navio.assistant.schemas import (
    ConversationRead,
    ConversationSummary,
    MessageIn,
    SavedTrip,
    SaveTrip,
)
from navio.assistant.service import AssistantService
from navio.iam import CurrentPrincipal
from navio.journeys import JourneysService
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.trips import TripsService, trips_service

router = APIRouter(tags=["assistant"], route_class=UnitOfWorkRoute)


async def assistant_service(request: Request) -> AssistantService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    journeys = JourneysService(
        uow.session_source, state.rates, state.cache, Path(state.settings.transit_cache_dir)
    )
    return AssistantService(
        AssistantRepository(uow.session_source), uow.session_source, journeys, state.clock
    )


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


routers = [router]
