"""Budget routes: thin; parse -> service -> schema."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from navio.budgeting.repository import BudgetingRepository
from navio.budgeting.schemas import (
    BudgetRead,
    BudgetRequest,
    DefaultsRead,
    DefaultsUpdate,
    OptimizeRead,
    OptimizeRequest,
    ScenariosRead,
)
from navio.budgeting.service import BudgetingService
from navio.iam import CurrentPrincipal, Permission, Principal, require_permission
from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute

router = APIRouter(tags=["budget"], route_class=UnitOfWorkRoute)


async def budgeting_service(request: Request) -> BudgetingService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return BudgetingService(
        BudgetingRepository(uow.session_source), uow.events, state.clock, state.rates
    )


Service = Annotated[BudgetingService, Depends(budgeting_service)]
Admin = Annotated[Principal, Depends(require_permission(Permission.BUDGET_DEFAULTS))]
READ = problem_responses(401, 404, 422)


@router.post("/budget/compute", response_model=BudgetRead, responses=READ)
async def compute_budget(
    body: BudgetRequest, principal: CurrentPrincipal, service: Service
) -> BudgetRead:
    return await service.compute(principal, body)


@router.get("/budget/scenarios/{trip_id}", response_model=ScenariosRead, responses=READ)
async def budget_scenarios(
    trip_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> ScenariosRead:
    return await service.scenarios(principal, trip_id, currency)


@router.post("/budget/optimize", response_model=OptimizeRead, responses=READ)
async def optimize_budget(
    body: OptimizeRequest, principal: CurrentPrincipal, service: Service
) -> OptimizeRead:
    return await service.optimize(principal, body)


@router.post(
    "/budget/categories/defaults",
    response_model=DefaultsRead,
    responses=problem_responses(401, 403, 422),
)
async def set_category_defaults(
    body: DefaultsUpdate, principal: Admin, service: Service
) -> DefaultsRead:
    return await service.set_defaults(principal, body)


@router.get(
    "/budget/categories/defaults",
    response_model=DefaultsRead,
    responses=problem_responses(401, 403, 422),
)
async def get_category_defaults(
    principal: Admin,
    service: Service,
    country: Annotated[str, Query(pattern=r"^([A-Z]{2}|\*)$")] = "*",
) -> DefaultsRead:
    return await service.defaults(country)


@router.get(
    "/locations/{location_id}/season-profile",
    responses=problem_responses(401, 404, 422),
    description="Monthly, weekend and public-holiday price multipliers for a place, learnt "
    "from the imported hotel price history and transferred to the place's country, "
    "hemisphere and year.",
)
async def season_profile(
    location_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    year: Annotated[int, Query(ge=1900, le=2200)] = 2027,
    segment: Literal["city", "resort"] = "city",
) -> dict[str, Any]:
    return await service.season_profile(location_id, year, segment)


routers = (router,)
