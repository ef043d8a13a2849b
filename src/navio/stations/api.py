"""Station routes: thin; parse -> service -> schema. Anyone finds stations and their live state;
operators (`station:manage`) run their stations, packs and staff; a station's staff check
travelers in, swap packs and work on faults; travelers queue and report faults."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from navio.iam import CurrentPrincipal, Permission, Principal, require_permission
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.kernel.versioning import etag
from navio.stations.domain import FaultStatus
from navio.stations.repository import StationsRepository
from navio.stations.schemas import (
    BatteryCreate,
    BatteryMove,
    BatteryRead,
    BatteryReading,
    CheckIn,
    FaultCreate,
    FaultRead,
    FaultUpdate,
    Recommendation,
    StaffAdd,
    StaffRead,
    StationCreate,
    StationRead,
    StationUpdate,
    SwapCreate,
    SwapRead,
    TicketRead,
)
from navio.stations.service import MAX_RECOMMENDED, StationsService

router = APIRouter(tags=["stations"], route_class=UnitOfWorkRoute)


async def stations_service(request: Request) -> StationsService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return StationsService(
        StationsRepository(uow.session_source),
        uow.events,
        state.clock,
        state.settings.secret_key.get_secret_value(),
    )


Service = Annotated[StationsService, Depends(stations_service)]
Operator = Annotated[Principal, Depends(require_permission(Permission.STATION_MANAGE))]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
PUBLIC = problem_responses(404, 422)
READ = problem_responses(401, 403, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 412, 422)


# ------------------------------------------------------------------ stations
@router.get(
    "/stations",
    response_model=list[Recommendation],
    responses=problem_responses(422),
    description="Open stations within `radius_m`, the one that gets you going soonest first: "
    "the ride there, the wait on arrival (bays, the queue now, packs charged by then) and "
    "the swap.",
)
async def recommend(
    service: Service,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    radius_m: Annotated[float, Query(gt=0, le=50_000)] = 5_000,
    limit: Annotated[int, Query(ge=1, le=MAX_RECOMMENDED)] = 5,
) -> list[Recommendation]:
    return await service.recommend(lat, lon, radius_m, limit)


@router.post(
    "/stations", response_model=StationRead, status_code=status.HTTP_201_CREATED, responses=WRITE
)
async def create_station(
    body: StationCreate, principal: Operator, service: Service, response: Response
) -> StationRead:
    read = await service.create(principal, body)
    response.headers["Location"] = f"/api/v1/stations/{read.id}"
    response.headers["ETag"] = etag(read.version)
    return read


@router.get("/stations/mine", response_model=list[StationRead], responses=READ)
async def my_stations(principal: Operator, service: Service) -> list[StationRead]:
    return await service.mine(principal)


@router.get("/stations/{station_id}", response_model=StationRead, responses=PUBLIC)
async def get_station(station_id: uuid.UUID, service: Service, response: Response) -> StationRead:
    read = await service.get(station_id)
    response.headers["ETag"] = etag(read.version)
    response.headers["Cache-Control"] = "no-cache"
    return read


@router.patch("/stations/{station_id}", response_model=StationRead, responses=WRITE)
async def update_station(
    station_id: uuid.UUID,
    body: StationUpdate,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> StationRead:
    read = await service.update(principal, station_id, body, if_match)
    response.headers["ETag"] = etag(read.version)
    return read


# ------------------------------------------------------------------ staff
@router.get("/stations/{station_id}/staff", response_model=list[StaffRead], responses=READ)
async def staff(
    station_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> list[StaffRead]:
    return await service.staff(principal, station_id)


@router.post(
    "/stations/{station_id}/staff",
    response_model=StaffRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def add_staff(
    station_id: uuid.UUID, body: StaffAdd, principal: CurrentPrincipal, service: Service
) -> StaffRead:
    return await service.add_staff(principal, station_id, body.user_id)


@router.delete(
    "/stations/{station_id}/staff/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE,
)
async def remove_staff(
    station_id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> None:
    await service.remove_staff(principal, station_id, user_id)


# ------------------------------------------------------------------ batteries
@router.post(
    "/stations/{station_id}/batteries",
    response_model=BatteryRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def register_battery(
    station_id: uuid.UUID, body: BatteryCreate, principal: CurrentPrincipal, service: Service
) -> BatteryRead:
    return await service.register_battery(principal, station_id, body)


@router.get(
    "/stations/{station_id}/batteries",
    response_model=list[BatteryRead],
    responses=READ,
    description="The station's packs and those on their way to it, with their charge now.",
)
async def batteries(
    station_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> list[BatteryRead]:
    return await service.batteries(principal, station_id)


@router.post("/batteries/{battery_id}/reading", response_model=BatteryRead, responses=WRITE)
async def read_battery(
    battery_id: uuid.UUID, body: BatteryReading, principal: CurrentPrincipal, service: Service
) -> BatteryRead:
    return await service.read_battery(principal, battery_id, body)


@router.post(
    "/batteries/{battery_id}/move",
    response_model=BatteryRead,
    responses=WRITE,
    description="Logistics: send a charging pack to another of your stations.",
)
async def move_battery(
    battery_id: uuid.UUID, body: BatteryMove, principal: CurrentPrincipal, service: Service
) -> BatteryRead:
    return await service.move_battery(principal, battery_id, body)


@router.post(
    "/batteries/{battery_id}/receive",
    response_model=BatteryRead,
    responses=WRITE,
    description="The destination's staff take a pack in, with its charge read on arrival.",
)
async def receive_battery(
    battery_id: uuid.UUID, body: BatteryReading, principal: CurrentPrincipal, service: Service
) -> BatteryRead:
    return await service.receive_battery(principal, battery_id, body)


# ------------------------------------------------------------------ queue
@router.post(
    "/stations/{station_id}/queue",
    response_model=TicketRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Queue at a station: your place, the wait, and the code staff scan. One "
    "queue at a time (`already_queued`).",
)
async def join_queue(
    station_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> TicketRead:
    return await service.join(principal, station_id)


@router.get("/queue/{ticket_id}", response_model=TicketRead, responses=READ)
async def get_ticket(
    ticket_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> TicketRead:
    return await service.ticket(principal, ticket_id)


@router.post("/queue/{ticket_id}/leave", response_model=TicketRead, responses=WRITE)
async def leave_queue(
    ticket_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> TicketRead:
    return await service.leave(principal, ticket_id)


@router.post("/stations/{station_id}/check-in", response_model=TicketRead, responses=WRITE)
async def check_in(
    station_id: uuid.UUID, body: CheckIn, principal: CurrentPrincipal, service: Service
) -> TicketRead:
    return await service.check_in(principal, station_id, body.qr)


# ------------------------------------------------------------------ swaps
@router.post(
    "/stations/{station_id}/swaps",
    response_model=SwapRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Staff hand a checked-in traveler a pack holding at least 80 % and take back "
    "the one they hold; the station's price is paid from the traveler's wallet.",
)
async def swap(
    station_id: uuid.UUID, body: SwapCreate, principal: CurrentPrincipal, service: Service
) -> SwapRead:
    return await service.swap(principal, station_id, body)


@router.get("/stations/{station_id}/swaps", response_model=Page[SwapRead], responses=READ)
async def swaps(
    station_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[SwapRead]:
    return await service.swaps(principal, station_id, limit, cursor)


# ------------------------------------------------------------------ faults
@router.post(
    "/stations/{station_id}/faults",
    response_model=FaultRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Report a fault; a pack named goes out of service until it is resolved.",
)
async def report_fault(
    station_id: uuid.UUID, body: FaultCreate, principal: CurrentPrincipal, service: Service
) -> FaultRead:
    return await service.report(principal, station_id, body)


@router.get("/stations/{station_id}/faults", response_model=Page[FaultRead], responses=READ)
async def faults(
    station_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    status: FaultStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[FaultRead]:
    return await service.faults(principal, station_id, status, limit, cursor)


@router.patch("/faults/{fault_id}", response_model=FaultRead, responses=WRITE)
async def update_fault(
    fault_id: uuid.UUID, body: FaultUpdate, principal: CurrentPrincipal, service: Service
) -> FaultRead:
    return await service.update_fault(principal, fault_id, body)


routers = (router,)
