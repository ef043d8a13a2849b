"""Search and places routes: thin; parse -> service -> schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from navio.iam import CurrentPrincipal
from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.places.repository import PlacesRepository
from navio.places.schemas import (
    MAX_LIMIT,
    PlaceDetail,
    PlaceHit,
    PoiIndexRequest,
    SearchParams,
    SearchResults,
    Suggestions,
)
from navio.places.service import PlacesService

router = APIRouter(tags=["places"], route_class=UnitOfWorkRoute)


async def places_service(request: Request) -> PlacesService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return PlacesService(
        PlacesRepository(uow.session_source), uow.events, state.clock, state.semantic
    )


Service = Annotated[PlacesService, Depends(places_service)]
CSV = Annotated[list[str] | None, Query(max_length=20)]


def _split(values: list[str] | None) -> list[str]:
    """`?category=museum&category=park` and `?category=museum,park` both work."""
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def _params(**raw: Any) -> SearchParams:
    try:
        return SearchParams.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from exc


def _bbox(value: str | None) -> list[str] | None:
    return None if value is None else value.split(",")


@router.get("/search", response_model=SearchResults, responses=problem_responses(422))
async def search(
    service: Service,
    q: Annotated[
        str | None, Query(max_length=200, description="free text; 'X near Y' works")
    ] = None,
    lat: Annotated[float | None, Query()] = None,
    lon: Annotated[float | None, Query()] = None,
    radius_m: Annotated[float | None, Query(description="metres, at most 100 km")] = None,
    bbox: Annotated[
        str | None, Query(max_length=100, description="min_lat,min_lon,max_lat,max_lon")
    ] = None,
    category: CSV = None,
    kind: CSV = None,
    open_at: Annotated[
        datetime | None, Query(description="ISO 8601; naive means the place's local time")
    ] = None,
    min_rating: Annotated[float | None, Query()] = None,
    price_level: CSV = None,
    limit: Annotated[int, Query()] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    semantic: Annotated[bool, Query(description="blend meaning into the ranking")] = True,
) -> SearchResults:
    params = _params(
        q=q,
        lat=lat,
        lon=lon,
        radius_m=radius_m,
        bbox=_bbox(bbox),
        category=_split(category),
        kind=_split(kind),
        open_at=open_at,
        min_rating=min_rating,
        price_level=_split(price_level),
        limit=limit,
        cursor=cursor,
        semantic=semantic,
    )
    return await service.search(params)


@router.get("/search/suggest", response_model=Suggestions, responses=problem_responses(422))
async def suggest(
    service: Service,
    q: Annotated[str, Query(min_length=2, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
    kind: CSV = None,
) -> Suggestions:
    kinds = _split(kind)
    bad = [k for k in kinds if k not in {"city", "airport", "poi"}]
    if bad:
        raise RequestValidationError(
            [{"loc": ("query", "kind"), "msg": f"unknown kind {bad[0]!r}", "type": "value_error"}]
        )
    return await service.suggest(q, limit, kinds)


@router.get(
    "/search/poi/{place_id}", response_model=PlaceDetail, responses=problem_responses(404, 422)
)
async def get_place(place_id: uuid.UUID, service: Service) -> PlaceDetail:
    return await service.get(place_id)


@router.get("/places/nearest", response_model=list[PlaceHit], responses=problem_responses(422))
async def nearest(
    service: Service,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    category: CSV = None,
    kind: CSV = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> list[PlaceHit]:
    return await service.nearest(lat, lon, _split(category), _split(kind), limit)


@router.post(
    "/search/index/poi",
    response_model=PlaceDetail,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
async def index_poi(
    body: PoiIndexRequest, principal: CurrentPrincipal, service: Service, response: Response
) -> PlaceDetail:
    detail, created = await service.index_poi(principal, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return detail


@router.delete(
    "/search/index/poi/{place_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def remove_poi(place_id: uuid.UUID, principal: CurrentPrincipal, service: Service) -> None:
    await service.remove_poi(principal, place_id)


routers = [router]
