"""Transit routes: thin; parse -> service -> schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.transit.repository import TransitRepository
from navio.transit.schemas import JourneyRead, LocalTransitRead
from navio.transit.service import TransitService

router = APIRouter(tags=["transport"], route_class=UnitOfWorkRoute)


async def transit_service(request: Request) -> TransitService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return TransitService(
        TransitRepository(uow.session_source), state.clock, Path(state.settings.transit_cache_dir)
    )


Service = Annotated[TransitService, Depends(transit_service)]
Lat = Annotated[float, Query(ge=-90, le=90)]
Lon = Annotated[float, Query(ge=-180, le=180)]


@router.get(
    "/transport/local-transit",
    response_model=LocalTransitRead,
    responses=problem_responses(422),
    description="Transit stops near a point, nearest first, with their next departures "
    "(from the imported GTFS feeds, in the feed's local time).",
)
async def local_transit(
    lat: Lat,
    lon: Lon,
    service: Service,
    radius_m: Annotated[float, Query(gt=0, le=3000)] = 500,
    at: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> LocalTransitRead:
    return await service.local_transit(lat, lon, radius_m, at, limit)


@router.get(
    "/transport/transit-journey",
    response_model=JourneyRead,
    responses=problem_responses(422),
    description="The earliest arrival between two points by walking and public transit "
    "(RAPTOR over the imported GTFS timetable of that day; up to 5 vehicles), or on foot "
    "when that is sooner.",
)
async def transit_journey(
    from_lat: Lat,
    from_lon: Lon,
    to_lat: Lat,
    to_lon: Lon,
    depart_at: AwareDatetime,
    service: Service,
) -> JourneyRead:
    return await service.journey((from_lat, from_lon), (to_lat, to_lon), depart_at)


routers = (router,)
