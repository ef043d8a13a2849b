"""Journey routes: thin; parse -> service -> schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from navio.iam import CurrentPrincipal
from navio.journeys.schemas import ComposeRequest, JourneyRead
from navio.journeys.service import JourneysService
from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute

router = APIRouter(tags=["journeys"], route_class=UnitOfWorkRoute)


async def journeys_service(request: Request) -> JourneysService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return JourneysService(
        uow.session_source, state.rates, state.cache, Path(state.settings.transit_cache_dir)
    )


Service = Annotated[JourneysService, Depends(journeys_service)]


@router.post(
    "/journeys/compose",
    response_model=JourneyRead,
    responses=problem_responses(401, 422),
    description="Compose a whole journey there and back: the order of the cities and the "
    "nights in each, a ride per leg (flights and taxis, or one's own car throughout), a bed "
    "every night that allows the group's house rules, room type and minimum stay, three "
    "distinct meals a day covering the wished cuisines, sights each day; the cheapest such "
    "journey, then improved within the budget (meals on travel days the timetable leaves "
    "time for, better-rated stays and restaurants). From the `options` sent, or else from the "
    "catalogue's priced places and door-to-door transport estimates. Every journey returned "
    "has passed an independent checker. 422 `journey_infeasible` lists the binding reasons.",
)
async def compose(
    body: ComposeRequest, principal: CurrentPrincipal, service: Service
) -> JourneyRead:
    return await service.compose(body)


routers = [router]
