"""Planner routes: thin; parse -> service -> schema."""

from __future__ import annotations

import uuid
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response

from navio.iam import CurrentPrincipal
from navio.itinerary.repository import ItineraryRepository
from navio.itinerary.schemas import (
    ActivityAdd,
    DayUpdate,
    GenerateRequest,
    ItineraryRead,
)
from navio.itinerary.service import PlannerService
from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.kernel.versioning import etag

router = APIRouter(tags=["planner"], route_class=UnitOfWorkRoute)


async def planner_service(request: Request) -> PlannerService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return PlannerService(
        ItineraryRepository(uow.session_source),
        state.clock,
        FilePath(state.settings.transit_cache_dir),
    )


Service = Annotated[PlannerService, Depends(planner_service)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
READ = problem_responses(401, 404)
WRITE = problem_responses(401, 403, 404, 412, 422)


def _tagged(itinerary: ItineraryRead, response: Response) -> ItineraryRead:
    response.headers["ETag"] = etag(itinerary.version)
    return itinerary


@router.post(
    "/planner/{trip_id}/generate",
    response_model=ItineraryRead,
    responses=WRITE,
    description="Plan the trip day by day: places from the catalogue around the base chosen "
    "by interests, rating and popularity, visited within their opening hours, with travel "
    "legs, lunch and dinner at restaurants matching dietary needs, under a budget; each "
    "stop says why it was chosen. Unset inputs come from the trip and the traveler's "
    "preferences. Replaces an earlier plan of the trip.",
)
async def generate(
    trip_id: uuid.UUID,
    body: GenerateRequest,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
) -> ItineraryRead:
    return _tagged(await service.generate(principal, trip_id, body), response)


@router.get("/planner/{trip_id}/itinerary", response_model=ItineraryRead, responses=READ)
async def itinerary(
    trip_id: uuid.UUID, principal: CurrentPrincipal, service: Service, response: Response
) -> ItineraryRead:
    return _tagged(await service.itinerary(principal, trip_id), response)


@router.put(
    "/planner/{trip_id}/day/{day}",
    response_model=ItineraryRead,
    responses=WRITE,
    description="Set a day's order (stop ids) and which stops are locked to it; the plan is "
    "re-optimised keeping locked stops on their days and the given order first.",
)
async def put_day(
    trip_id: uuid.UUID,
    day: Annotated[int, Path(ge=1, le=31)],
    body: DayUpdate,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> ItineraryRead:
    return _tagged(await service.put_day(principal, trip_id, day, body, if_match), response)


@router.post(
    "/planner/{trip_id}/activity/add",
    response_model=ItineraryRead,
    responses=WRITE,
    description="Add a place as a must-see (optionally pinned to a day) and re-optimise.",
)
async def add_activity(
    trip_id: uuid.UUID,
    body: ActivityAdd,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> ItineraryRead:
    return _tagged(await service.add_activity(principal, trip_id, body, if_match), response)


@router.delete(
    "/planner/{trip_id}/activity/{stop_id}",
    response_model=ItineraryRead,
    responses=WRITE,
    description="Remove a stop (it will not be planned again) and re-optimise.",
)
async def delete_activity(
    trip_id: uuid.UUID,
    stop_id: Annotated[str, Path(min_length=1, max_length=64)],
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> ItineraryRead:
    return _tagged(await service.delete_activity(principal, trip_id, stop_id, if_match), response)


routers = (router,)
