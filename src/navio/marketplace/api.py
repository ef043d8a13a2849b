"""Marketplace routes: thin; parse -> service -> schema. Travelers browse published listings,
their dates and reviews without an account; operators (`listing:manage`) keep a profile, list,
schedule and are paid out; administrators (`user:manage`) decide on operators' details.
Seats are booked through `POST /bookings` with `listing`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import AwareDatetime

from navio.iam import CurrentPrincipal, MaybePrincipal, Permission, Principal, require_permission
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.kernel.versioning import etag
from navio.marketplace.domain import KycStatus, ListingKind, ListingStatus
from navio.marketplace.repository import MarketplaceRepository
from navio.marketplace.schemas import (
    KycDecision,
    ListingCreate,
    ListingRead,
    ListingStatusChange,
    ListingUpdate,
    OperatorCreate,
    OperatorRead,
    OperatorUpdate,
    PayoutCreate,
    PayoutRead,
    PayoutsRead,
    ReservationRead,
    ReviewCreate,
    ReviewPage,
    ReviewRead,
    ReviewReply,
    SlotRead,
    SlotsCreate,
    SlotsCreated,
    SlotUpdate,
)
from navio.marketplace.service import MarketplaceService

router = APIRouter(prefix="/marketplace", tags=["marketplace"], route_class=UnitOfWorkRoute)
admin = APIRouter(prefix="/admin/marketplace", tags=["marketplace"], route_class=UnitOfWorkRoute)


async def marketplace_service(request: Request) -> MarketplaceService:
    uow: UnitOfWork = request.state.uow
    return MarketplaceService(
        MarketplaceRepository(uow.session_source), uow.events, request.app.state.clock
    )


Service = Annotated[MarketplaceService, Depends(marketplace_service)]
Seller = Annotated[Principal, Depends(require_permission(Permission.LISTING_MANAGE))]
Admin = Annotated[Principal, Depends(require_permission(Permission.USER_MANAGE))]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
CursorQ = Annotated[str | None, Query(max_length=200)]
PUBLIC = problem_responses(401, 404, 422)
READ = problem_responses(401, 403, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 412, 422)


def _tagged(read: ListingRead | OperatorRead, response: Response) -> None:
    response.headers["ETag"] = etag(read.version)


# ------------------------------------------------------------------ operators
@router.post(
    "/operator",
    response_model=OperatorRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Become a seller: the details an administrator verifies before your listings "
    "go on sale and payouts go to your IBAN. Starts `pending`.",
)
async def create_operator(
    body: OperatorCreate, principal: Seller, service: Service, response: Response
) -> OperatorRead:
    read = await service.create_operator(principal, body)
    _tagged(read, response)
    return read


@router.get("/operator", response_model=OperatorRead, responses=READ)
async def my_operator(principal: Seller, service: Service, response: Response) -> OperatorRead:
    read = await service.my_operator(principal)
    _tagged(read, response)
    return read


@router.patch(
    "/operator",
    response_model=OperatorRead,
    responses=WRITE,
    description="Changing a legal detail (legal name, country, company number, IBAN) asks "
    "for a new verification: the profile is `pending` again.",
)
async def update_operator(
    body: OperatorUpdate,
    principal: Seller,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> OperatorRead:
    read = await service.update_operator(principal, body, if_match)
    _tagged(read, response)
    return read


@admin.get("/operators", response_model=Page[OperatorRead], responses=READ)
async def list_operators(
    principal: Admin,
    service: Service,
    kyc_status: KycStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQ = None,
) -> Page[OperatorRead]:
    return await service.operators(kyc_status, limit, cursor)


@admin.post(
    "/operators/{operator_id}/kyc",
    response_model=OperatorRead,
    responses=WRITE,
    description="Verify or reject a pending operator (a rejection says why; it takes their "
    "listings off sale).",
)
async def decide_kyc(
    operator_id: uuid.UUID, body: KycDecision, principal: Admin, service: Service
) -> OperatorRead:
    return await service.decide(principal, operator_id, body)


# ------------------------------------------------------------------ listings
@router.get(
    "/listings",
    response_model=Page[ListingRead],
    responses=problem_responses(401, 422),
    description="Published listings, newest first. `near=lat,lon` keeps those within "
    "`radius_m` and gives each its distance.",
)
async def browse(
    service: Service,
    kind: ListingKind | None = None,
    q: Annotated[str | None, Query(max_length=100, description="in the title")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_m: Annotated[float, Query(gt=0, le=500_000)] = 25_000,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    max_price_minor: Annotated[int | None, Query(gt=0, le=10**12)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQ = None,
) -> Page[ListingRead]:
    return await service.browse(
        kind=kind,
        text=q,
        lat=lat,
        lon=lon,
        radius_m=radius_m,
        currency=currency,
        max_price_minor=max_price_minor,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/listings",
    response_model=ListingRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="A draft listing. Where it is: a `place_id` from the catalogue (its position "
    "and time zone) or `lat`, `lon` and `timezone`.",
)
async def create_listing(
    body: ListingCreate, principal: Seller, service: Service, response: Response
) -> ListingRead:
    read = await service.create_listing(principal, body)
    response.headers["Location"] = f"/api/v1/marketplace/listings/{read.id}"
    _tagged(read, response)
    return read


@router.get("/listings/mine", response_model=Page[ListingRead], responses=READ)
async def my_listings(
    principal: Seller,
    service: Service,
    status: ListingStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQ = None,
) -> Page[ListingRead]:
    return await service.my_listings(principal, status, limit, cursor)


@router.get("/listings/{listing_id}", response_model=ListingRead, responses=PUBLIC)
async def get_listing(
    listing_id: uuid.UUID, principal: MaybePrincipal, service: Service, response: Response
) -> ListingRead:
    read = await service.get_listing(principal, listing_id)
    _tagged(read, response)
    return read


@router.patch("/listings/{listing_id}", response_model=ListingRead, responses=WRITE)
async def update_listing(
    listing_id: uuid.UUID,
    body: ListingUpdate,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> ListingRead:
    read = await service.update_listing(principal, listing_id, body, if_match)
    _tagged(read, response)
    return read


@router.post(
    "/listings/{listing_id}/status",
    response_model=ListingRead,
    responses=WRITE,
    description="`published` puts it on sale (a verified operator only); `draft` takes it off "
    "to edit; `archived` ends it for good (bookings made stay).",
)
async def set_listing_status(
    listing_id: uuid.UUID,
    body: ListingStatusChange,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
) -> ListingRead:
    read = await service.set_status(principal, listing_id, body.status)
    _tagged(read, response)
    return read


# ------------------------------------------------------------------ slots
@router.post(
    "/listings/{listing_id}/slots",
    response_model=SlotsCreated,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Dated starts from local times in the listing's time zone, on the chosen "
    "weekdays between two dates; starts it has already are kept as they are.",
)
async def add_slots(
    listing_id: uuid.UUID, body: SlotsCreate, principal: CurrentPrincipal, service: Service
) -> SlotsCreated:
    return await service.add_slots(principal, listing_id, body)


@router.get(
    "/listings/{listing_id}/availability",
    response_model=list[SlotRead],
    responses=PUBLIC,
    description="The listing's dates from `from` (default now) to `to` (default a month "
    "later, at most 92 days), with seats left and price.",
)
async def availability(
    listing_id: uuid.UUID,
    principal: MaybePrincipal,
    service: Service,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> list[SlotRead]:
    return await service.availability(principal, listing_id, start, end)


@router.patch("/slots/{slot_id}", response_model=SlotRead, responses=WRITE)
async def update_slot(
    slot_id: uuid.UUID, body: SlotUpdate, principal: CurrentPrincipal, service: Service
) -> SlotRead:
    return await service.update_slot(principal, slot_id, body)


@router.delete("/slots/{slot_id}", status_code=status.HTTP_204_NO_CONTENT, responses=WRITE)
async def delete_slot(slot_id: uuid.UUID, principal: CurrentPrincipal, service: Service) -> None:
    await service.delete_slot(principal, slot_id)


@router.get(
    "/listings/{listing_id}/reservations",
    response_model=Page[ReservationRead],
    responses=READ,
    description="Who booked seats (the operator's view), newest first.",
)
async def reservations(
    listing_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    slot_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQ = None,
) -> Page[ReservationRead]:
    return await service.reservations(principal, listing_id, slot_id, limit, cursor)


# ------------------------------------------------------------------ reviews
@router.get("/listings/{listing_id}/reviews", response_model=ReviewPage, responses=PUBLIC)
async def reviews(
    listing_id: uuid.UUID,
    principal: MaybePrincipal,
    service: Service,
    rating: Annotated[int | None, Query(ge=1, le=5)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQ = None,
) -> ReviewPage:
    return await service.reviews(principal, listing_id, rating, limit, cursor)


@router.post(
    "/listings/{listing_id}/reviews",
    response_model=ReviewRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="One review per traveler and listing, once a confirmed booking of theirs "
    "has begun.",
)
async def post_review(
    listing_id: uuid.UUID, body: ReviewCreate, principal: CurrentPrincipal, service: Service
) -> ReviewRead:
    return await service.post_review(principal, listing_id, body)


@router.put("/reviews/{review_id}", response_model=ReviewRead, responses=WRITE)
async def edit_review(
    review_id: uuid.UUID, body: ReviewCreate, principal: CurrentPrincipal, service: Service
) -> ReviewRead:
    return await service.edit_review(principal, review_id, body)


@router.delete("/reviews/{review_id}", status_code=status.HTTP_204_NO_CONTENT, responses=WRITE)
async def delete_review(
    review_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> None:
    await service.delete_review(principal, review_id)


@router.post(
    "/reviews/{review_id}/reply",
    response_model=ReviewRead,
    responses=WRITE,
    description="The listing's operator answers a review (a second reply replaces the first).",
)
async def reply(
    review_id: uuid.UUID, body: ReviewReply, principal: CurrentPrincipal, service: Service
) -> ReviewRead:
    return await service.reply(principal, review_id, body)


# ------------------------------------------------------------------ payouts
@router.get("/payouts", response_model=PayoutsRead, responses=READ)
async def payouts(principal: Seller, service: Service) -> PayoutsRead:
    return await service.payouts(principal)


@router.post(
    "/payouts",
    response_model=PayoutRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Pay out (part of) what bookings earned you to your verified IBAN. Send an "
    "Idempotency-Key: a retried payout is never paid twice.",
)
async def payout(
    body: PayoutCreate, principal: Seller, service: Service, request: Request
) -> PayoutRead:
    key = request.headers.get("idempotency-key") or uuid.uuid4().hex
    return await service.payout(principal, body, key)


routers = (router, admin)
