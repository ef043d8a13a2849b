"""Analytics routes: an operator's daily figures (bookings sold, cancellations, swaps, faults,
reviews) and the platform's, as JSON or CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from navio.analytics.repository import AnalyticsRepository
from navio.analytics.schemas import Report
from navio.analytics.service import AnalyticsService, as_csv
from navio.iam import CurrentPrincipal, Permission, Principal, require_permission
from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute

router = APIRouter(tags=["analytics"], route_class=UnitOfWorkRoute)


async def analytics_service(request: Request) -> AnalyticsService:
    uow: UnitOfWork = request.state.uow
    return AnalyticsService(AnalyticsRepository(uow.session_source), request.app.state.clock)


Service = Annotated[AnalyticsService, Depends(analytics_service)]
Start = Annotated[date | None, Query(alias="from", description="default: 29 days before `to`")]
End = Annotated[date | None, Query(alias="to", description="default: today (UTC)")]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "day, metric, currency, count, total"}
}


@router.get(
    "/analytics/me",
    response_model=Report,
    responses=problem_responses(401, 422),
    description="Your daily figures as a seller or station operator, a day per entry (UTC), "
    "both ends included, at most 366 days.",
)
async def my_figures(
    principal: CurrentPrincipal, service: Service, start: Start = None, end: End = None
) -> Report:
    return await service.mine(principal, start, end)


@router.get(
    "/analytics/me.csv",
    response_class=Response,
    responses={**problem_responses(401, 422), **CSV},
)
async def my_figures_csv(
    principal: CurrentPrincipal, service: Service, start: Start = None, end: End = None
) -> Response:
    report = await service.mine(principal, start, end)
    name = f"navio-{report.start}-{report.end}.csv"
    return Response(
        as_csv(report),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/admin/analytics",
    response_model=Report,
    responses=problem_responses(401, 403, 422),
    description="The platform's daily figures: every owner's added up (`user:read_any`).",
)
async def platform_figures(
    principal: Annotated[Principal, Depends(require_permission(Permission.USER_READ_ANY))],
    service: Service,
    start: Start = None,
    end: End = None,
) -> Report:
    return await service.platform(start, end)


routers = (router,)
