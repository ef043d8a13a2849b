"""Booking routes: thin; parse -> service -> schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from navio.bookings.repository import BookingsRepository
from navio.bookings.schemas import BookingCreate, BookingRead, CheckIn, CheckInRead
from navio.bookings.service import BookingsService, ticket_keys
from navio.iam import CurrentPrincipal
from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.payments import payments_for

router = APIRouter(tags=["bookings"], route_class=UnitOfWorkRoute)


async def bookings_service(request: Request) -> BookingsService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return BookingsService(
        BookingsRepository(uow.session_source),
        uow.events,
        state.clock,
        payments_for(uow, state),
        ticket_keys(state.settings.secret_key.get_secret_value()),
    )


Service = Annotated[BookingsService, Depends(bookings_service)]
WRITE = problem_responses(401, 402, 403, 404, 409, 422)


@router.post(
    "/bookings",
    response_model=BookingRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Book a priced trip item or an offer. Wallet: the money is held and captured "
    "in the same transaction (422 insufficient_funds writes nothing). Card: a payment intent; "
    "with `payment_method` it is confirmed at once (402 on decline, the booking then awaits "
    "payment), else the booking is confirmed when the payment succeeds.",
)
async def create_booking(
    body: BookingCreate, principal: CurrentPrincipal, service: Service
) -> BookingRead:
    return await service.create(principal, body)


@router.get("/bookings", response_model=list[BookingRead], responses=problem_responses(401))
async def list_bookings(
    principal: CurrentPrincipal,
    service: Service,
    trip_id: Annotated[uuid.UUID | None, Query()] = None,
) -> list[BookingRead]:
    return await service.list_mine(principal, trip_id)


@router.get(
    "/bookings/{booking_id}", response_model=BookingRead, responses=problem_responses(401, 404)
)
async def get_booking(
    booking_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> BookingRead:
    return await service.get(principal, booking_id)


@router.put("/bookings/{booking_id}/cancel", response_model=BookingRead, responses=WRITE)
async def cancel_booking(
    booking_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> BookingRead:
    return await service.cancel(principal, booking_id)


@router.post(
    "/tickets/check-in",
    response_model=CheckInRead,
    responses=problem_responses(401, 403, 409, 422),
    description="Check a ticket in (once): the QR payload's HMAC is verified with the key it "
    "names; operators' staff only.",
)
async def check_in(body: CheckIn, principal: CurrentPrincipal, service: Service) -> CheckInRead:
    return await service.check_in(principal, body.qr)


routers = (router,)
