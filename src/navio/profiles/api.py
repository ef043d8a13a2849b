"""Profile routes: thin; parse -> service -> schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from navio.iam import CurrentPrincipal
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.profiles.repository import ProfilesRepository
from navio.profiles.schemas import (
    PaymentMethodCreate,
    PaymentMethodRead,
    PreferencesRead,
    PreferencesUpdate,
    ProfileRead,
    ProfileUpdate,
    SavedPlaceCreate,
    SavedPlaceRead,
)
from navio.profiles.service import ProfilesService

router = APIRouter(prefix="/users/{user_id}", tags=["profiles"], route_class=UnitOfWorkRoute)


async def profiles_service(request: Request) -> ProfilesService:
    uow: UnitOfWork = request.state.uow
    return ProfilesService(
        ProfilesRepository(uow.session_source), uow.events, request.app.state.clock
    )


Service = Annotated[ProfilesService, Depends(profiles_service)]
READ_ERRORS = problem_responses(401, 404, 422)
WRITE_ERRORS = problem_responses(401, 404, 409, 422)


@router.get("/profile", response_model=ProfileRead, responses=READ_ERRORS)
async def get_profile(
    user_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> ProfileRead:
    return await service.get_profile(principal, user_id)


@router.put("/profile", response_model=ProfileRead, responses=WRITE_ERRORS)
async def put_profile(
    user_id: uuid.UUID, body: ProfileUpdate, principal: CurrentPrincipal, service: Service
) -> ProfileRead:
    return await service.put_profile(principal, user_id, body)


@router.get("/preferences", response_model=PreferencesRead, responses=READ_ERRORS)
async def get_preferences(
    user_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> PreferencesRead:
    return await service.get_preferences(principal, user_id)


@router.put("/preferences", response_model=PreferencesRead, responses=WRITE_ERRORS)
async def put_preferences(
    user_id: uuid.UUID, body: PreferencesUpdate, principal: CurrentPrincipal, service: Service
) -> PreferencesRead:
    return await service.put_preferences(principal, user_id, body)


@router.get("/saved-places", response_model=Page[SavedPlaceRead], responses=READ_ERRORS)
async def list_saved_places(
    user_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[SavedPlaceRead]:
    return await service.saved_places(principal, user_id, limit, cursor)


@router.post(
    "/saved-places",
    status_code=status.HTTP_201_CREATED,
    response_model=SavedPlaceRead,
    responses=WRITE_ERRORS,
)
async def add_saved_place(
    user_id: uuid.UUID, body: SavedPlaceCreate, principal: CurrentPrincipal, service: Service
) -> SavedPlaceRead:
    return await service.add_saved_place(principal, user_id, body)


@router.put("/saved-places/{place_id}", response_model=SavedPlaceRead, responses=WRITE_ERRORS)
async def update_saved_place(
    user_id: uuid.UUID,
    place_id: uuid.UUID,
    body: SavedPlaceCreate,
    principal: CurrentPrincipal,
    service: Service,
) -> SavedPlaceRead:
    return await service.update_saved_place(principal, user_id, place_id, body)


@router.delete(
    "/saved-places/{place_id}", status_code=status.HTTP_204_NO_CONTENT, responses=READ_ERRORS
)
async def delete_saved_place(
    user_id: uuid.UUID, place_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> None:
    await service.delete_saved_place(principal, user_id, place_id)


@router.get("/payment-methods", response_model=list[PaymentMethodRead], responses=READ_ERRORS)
async def list_payment_methods(
    user_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> list[PaymentMethodRead]:
    return await service.payment_methods(principal, user_id)


@router.post(
    "/payment-methods",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentMethodRead,
    responses=WRITE_ERRORS,
)
async def add_payment_method(
    user_id: uuid.UUID, body: PaymentMethodCreate, principal: CurrentPrincipal, service: Service
) -> PaymentMethodRead:
    return await service.add_payment_method(principal, user_id, body)


@router.post(
    "/payment-methods/{pm_id}/default", response_model=PaymentMethodRead, responses=READ_ERRORS
)
async def set_default_payment_method(
    user_id: uuid.UUID, pm_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> PaymentMethodRead:
    return await service.set_default_payment_method(principal, user_id, pm_id)


@router.delete(
    "/payment-methods/{pm_id}", status_code=status.HTTP_204_NO_CONTENT, responses=READ_ERRORS
)
async def delete_payment_method(
    user_id: uuid.UUID, pm_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> None:
    await service.delete_payment_method(principal, user_id, pm_id)


routers = [router]
