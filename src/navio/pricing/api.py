"""Pricing routes: travelers report what they paid; anyone asks what is fair where, judges a
price against it and reads how prices went."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from navio.iam import CurrentPrincipal
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.pricing.domain import MAX_AMOUNT_MINOR
from navio.pricing.repository import PricingRepository
from navio.pricing.schemas import (
    CheckRead,
    FairPriceRead,
    HistoryRead,
    ItemRead,
    ReportCreate,
    ReportRead,
    WatchCreate,
    WatchRead,
)
from navio.pricing.service import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, PricingService, Question

router = APIRouter(tags=["pricing"], route_class=UnitOfWorkRoute)


async def pricing_service(request: Request) -> PricingService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return PricingService(
        PricingRepository(uow.session_source), uow.events, state.clock, state.rates
    )


Service = Annotated[PricingService, Depends(pricing_service)]
ItemCode = Annotated[str, Query(min_length=1, max_length=32, description="see /pricing/items")]
Currency = Annotated[
    str, Query(pattern=r"^[A-Z]{3}$", description="the answer's currency (ECB rates)")
]
Lat = Annotated[float | None, Query(ge=-90, le=90)]
Lon = Annotated[float | None, Query(ge=-180, le=180)]
Radius = Annotated[
    float | None,
    Query(gt=0, le=MAX_RADIUS_KM, description=f"around lat/lon; default {DEFAULT_RADIUS_KM:g}"),
]
PlaceId = Annotated[
    uuid.UUID | None, Query(description="the reports of one place instead of an area")
]
PUBLIC = problem_responses(422)


async def price_question(
    item: ItemCode,
    currency: Currency = "EUR",
    lat: Lat = None,
    lon: Lon = None,
    radius_km: Radius = None,
    place_id: PlaceId = None,
) -> Question:
    return Question(item, currency, lat, lon, radius_km, place_id)


Asked = Annotated[Question, Depends(price_question)]


@router.get("/pricing/items", response_model=list[ItemRead])
async def items() -> list[ItemRead]:
    return PricingService.items()


@router.post(
    "/pricing/reports",
    response_model=ReportRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 409, 422),
    description="What you paid for an item, where and when: one report per item, spot "
    "(about 100 m) and day. Converted to euros at the ECB rate of that day, kept on the report.",
)
async def report(principal: CurrentPrincipal, body: ReportCreate, service: Service) -> ReportRead:
    return await service.report(principal, body)


@router.get(
    "/pricing/reports/mine",
    response_model=Page[ReportRead],
    responses=problem_responses(401, 422),
)
async def my_reports(
    principal: CurrentPrincipal,
    service: Service,
    item: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[ReportRead]:
    return await service.my_reports(principal, item, limit, cursor)


@router.delete(
    "/pricing/reports/{report_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 404),
)
async def delete_report(
    principal: CurrentPrincipal, report_id: uuid.UUID, service: Service
) -> Response:
    await service.delete_report(principal, report_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/pricing/fair",
    response_model=FairPriceRead,
    responses=PUBLIC,
    description="The fair price of an item around a point (or at a place) from travelers' "
    "reports: each reporter's latest price, recent ones weighing more, outliers screened out; "
    "the median, the typical range and a confidence.",
)
async def fair_price(service: Service, question: Asked) -> FairPriceRead:
    return await service.fair_price(question)


@router.get(
    "/pricing/check",
    response_model=CheckRead,
    responses=PUBLIC,
    description="Is this price fair? `low`, `typical` or `high` against the typical range; "
    "`overpriced` or `unusually_low` when it would be screened out as an outlier.",
)
async def check(
    service: Service,
    question: Asked,
    amount_minor: Annotated[int, Query(gt=0, le=MAX_AMOUNT_MINOR)],
) -> CheckRead:
    return await service.check(question, amount_minor)


@router.get(
    "/pricing/history",
    response_model=HistoryRead,
    responses=PUBLIC,
    description="Month by month (each reporter's latest in the month), and whether prices "
    "moved: the last 90 days against the year before.",
)
async def history(
    service: Service,
    question: Asked,
    months: Annotated[int, Query(ge=1, le=36)] = 24,
) -> HistoryRead:
    return await service.history(question, months)


@router.post(
    "/pricing/watches",
    response_model=WatchRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 409, 422),
    description="Watch an item's price around a point (or at a place): you are told in your "
    "notifications when the change test (the reporters of the last 90 days against the 365 "
    "days before) finds prices moved the way you asked, once per move. At most 20.",
)
async def watch_price(
    body: WatchCreate, principal: CurrentPrincipal, service: Service, response: Response
) -> WatchRead:
    read = await service.watch(principal, body)
    response.headers["Location"] = f"/api/v1/pricing/watches/{read.id}"
    return read


@router.get("/pricing/watches", response_model=list[WatchRead], responses=problem_responses(401))
async def my_watches(principal: CurrentPrincipal, service: Service) -> list[WatchRead]:
    return await service.watches(principal)


@router.delete(
    "/pricing/watches/{watch_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404),
)
async def unwatch_price(
    watch_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> Response:
    await service.unwatch(principal, watch_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


routers = (router,)
