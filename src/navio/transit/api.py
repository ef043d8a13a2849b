"""Transit routes: thin; parse -> service -> schema."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime

from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.transit.options import TransportOptions
from navio.transit.repository import TransitRepository
from navio.transit.schemas import (
    JourneyRead,
    LocalTransitRead,
    MultiLegCreate,
    MultiLegRead,
    OptionsRead,
    TransportOption,
)
from navio.transit.service import TransitService

router = APIRouter(tags=["transport"], route_class=UnitOfWorkRoute)


async def transit_service(request: Request) -> TransitService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return TransitService(
        TransitRepository(uow.session_source),
        state.clock,
        FilePath(state.settings.transit_cache_dir),
    )


Service = Annotated[TransitService, Depends(transit_service)]


async def options_service(request: Request, transit: Service) -> TransportOptions:
    state = request.app.state
    return TransportOptions(transit, state.rates, state.cache)


Options = Annotated[TransportOptions, Depends(options_service)]
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


@router.get(
    "/transport/options",
    response_model=OptionsRead,
    responses=problem_responses(422),
    description="Ways from origin to dest compared: walking, car, taxi, public transit "
    "(McRAPTOR over the imported GTFS timetables) and flights (the imported route network, "
    "with taxis to and from the airports), as the Pareto set over the chosen criteria "
    "(time, cost, comfort). origin and dest are 'lat,lon' or an IATA airport code; `time` "
    "is when to leave, or with arrive_by=true when to arrive; `modes` says which to compare "
    "(driving only when asked for: a traveler has no car unless they say so). "
    "Road and flight legs are "
    "estimated from distance (documented models); transit legs are timetabled.",
)
async def transport_options(
    origin: Annotated[str, Query(min_length=3, max_length=60)],
    dest: Annotated[str, Query(min_length=3, max_length=60)],
    time: AwareDatetime,
    options: Options,
    arrive_by: bool = False,
    criteria: Annotated[str, Query(max_length=40)] = "time,cost,comfort",
    modes: Annotated[str, Query(max_length=60)] = "walk,transit,taxi,flight",
) -> OptionsRead:
    return await options.options(
        origin,
        dest,
        time,
        arrive_by=arrive_by,
        criteria=criteria.split(","),
        modes=modes.split(","),
    )


@router.get(
    "/transport/route/{route_id}",
    response_model=TransportOption,
    responses=problem_responses(404),
    description="One option returned by /transport/options or /transport/multi-leg "
    "(kept 24 hours), with all its legs.",
)
async def transport_route(
    route_id: Annotated[str, Path(min_length=1, max_length=40, pattern="^[0-9a-f]+$")],
    options: Options,
) -> TransportOption:
    return await options.route(route_id)


@router.post(
    "/transport/multi-leg",
    response_model=MultiLegRead,
    responses=problem_responses(422),
    description="Options for every hop of a chain of 2-10 places ('lat,lon' or airport "
    "codes), each hop leaving when the fastest way there arrives plus the stay; and the "
    "whole chain's fastest, cheapest and most comfortable plans.",
)
async def transport_multi_leg(body: MultiLegCreate, options: Options) -> MultiLegRead:
    return await options.multi_leg(
        body.stops, body.depart_at, body.criteria, body.stay_minutes, body.modes
    )


routers = (router,)
