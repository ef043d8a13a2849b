"""Journey routes: thin; parse -> service -> schema. Live changes go out on the trip's
WebSocket (`/trips/{trip_id}/live`) as `tracking.*` events."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from navio.iam import CurrentPrincipal
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.kernel.versioning import etag, unchanged
from navio.tracking.repository import TrackingRepository
from navio.tracking.schemas import JourneyRead, JourneyStart, PositionsIn, PositionsResult, Track
from navio.tracking.service import TrackingService

router = APIRouter(tags=["tracking"], route_class=UnitOfWorkRoute)


async def tracking_service(request: Request) -> TrackingService:
    uow: UnitOfWork = request.state.uow
    return TrackingService(
        TrackingRepository(uow.session_source), uow.events, request.app.state.clock
    )


Service = Annotated[TrackingService, Depends(tracking_service)]
READ = problem_responses(401, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 422)
GEOJSON = "application/geo+json"


def _tagged(journey: JourneyRead, response: Response) -> JourneyRead:
    response.headers["ETag"] = etag(journey.version)
    response.headers["Cache-Control"] = "private, no-cache"
    return journey


@router.post(
    "/trips/{trip_id}/journeys",
    response_model=JourneyRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Share your way to a destination with everyone on the trip (any role). One "
    "active journey per traveler and trip: a second is refused with `journey_already_active`.",
)
async def start_journey(
    trip_id: uuid.UUID,
    body: JourneyStart,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
) -> JourneyRead:
    journey = await service.start(principal, trip_id, body)
    response.headers["Location"] = f"/api/v1/journeys/{journey.id}"
    return _tagged(journey, response)


@router.get("/trips/{trip_id}/journeys", response_model=Page[JourneyRead], responses=READ)
async def list_journeys(
    trip_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    status: Literal["active", "arrived", "ended"] | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[JourneyRead]:
    return await service.journeys(principal, trip_id, limit, cursor, status)


@router.get(
    "/journeys/{journey_id}",
    response_model=JourneyRead,
    responses={**READ, 304: {"description": "unchanged since the ETag sent in If-None-Match"}},
    description="The journey's state for polling clients: send the last ETag in "
    "`If-None-Match` and get 304 while nothing changed.",
)
async def get_journey(
    journey_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=200)] = None,
) -> JourneyRead | Response:
    journey = await service.journey(principal, journey_id)
    tag = etag(journey.version)
    if unchanged(if_none_match, journey.version):
        return Response(
            status_code=304, headers={"ETag": tag, "Cache-Control": "private, no-cache"}
        )
    return _tagged(journey, response)


@router.post(
    "/journeys/{journey_id}/positions",
    response_model=PositionsResult,
    responses=WRITE,
    description="The traveler's position fixes, up to 100 at a time, in any order (a phone "
    "sends what it buffered offline). Fixes not after the journey's last one are ignored, so a "
    "batch sent twice records nothing the second time. Arrival, geofence crossings and the "
    "new estimate are pushed to the trip's live channel.",
)
async def record_positions(
    journey_id: uuid.UUID,
    body: PositionsIn,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
) -> PositionsResult:
    result = await service.record(principal, journey_id, body)
    _tagged(result.journey, response)
    return result


@router.post(
    "/journeys/{journey_id}/end",
    response_model=JourneyRead,
    responses=WRITE,
    description="Stop sharing (the traveler, or the trip's owner).",
)
async def end_journey(
    journey_id: uuid.UUID, principal: CurrentPrincipal, service: Service, response: Response
) -> JourneyRead:
    return _tagged(await service.end(principal, journey_id), response)


@router.get(
    "/journeys/{journey_id}/track",
    response_model=Track,
    responses={**READ, 200: {"content": {GEOJSON: {}}}},
    description="The recorded fixes as a GeoJSON LineString feature, for a map.",
)
async def journey_track(
    journey_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> Response:
    track = await service.track(principal, journey_id)
    return Response(track.model_dump_json(), media_type=GEOJSON)


routers = (router,)
