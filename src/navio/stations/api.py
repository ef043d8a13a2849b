"""Station routes: thin; parse -> service -> schema. Anyone finds stations and their live state;
operators (`station:manage`) run their stations, packs and staff; a station's staff check
travelers in, swap packs and work on faults; travelers queue and report faults."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    Header,
    Query,
    Request,
    Response,
    WebSocket,
    WebSocketDisconnect,
    status,
)

from navio.iam import CurrentPrincipal, Permission, Principal, require_permission, socket_principal
from navio.kernel.db import Database
from navio.kernel.errors import DomainError
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.pubsub import Broadcast, until_client_leaves
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.kernel.versioning import etag
from navio.stations.domain import ACTIVE_QUEUE, FaultStatus
from navio.stations.handlers import live_channel
from navio.stations.repository import StationsRepository
from navio.stations.schemas import (
    BatteryCreate,
    BatteryMove,
    BatteryRead,
    BatteryReading,
    CheckIn,
    CreditRead,
    FaultCreate,
    FaultRead,
    FaultUpdate,
    ForecastRead,
    PlanCreate,
    PlanRead,
    PlanUpdate,
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


def _service(uow: UnitOfWork, state: Any) -> StationsService:
    return StationsService(
        StationsRepository(uow.session_source),
        uow.events,
        state.clock,
        state.settings.secret_key.get_secret_value(),
        state.cache,
    )


async def stations_service(request: Request) -> StationsService:
    return _service(request.state.uow, request.app.state)


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


@router.get(
    "/stations/{station_id}/forecast",
    response_model=ForecastRead,
    responses=PUBLIC,
    description="The coming hours (1-48, from the current one): riders expected, from the "
    "station's own last eight weeks by local hour of the week, and the wait of a rider who "
    "comes at the middle of each hour (mean, median, 90th percentile, and the chance that no "
    "pack is left), simulated from the queue and the packs of now; the best hour to come.",
)
async def station_forecast(
    station_id: uuid.UUID, service: Service, hours: Annotated[int, Query(ge=1, le=48)] = 12
) -> ForecastRead:
    return await service.forecast(station_id, hours)


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


# ------------------------------------------------------------------ plans and credits
@router.post(
    "/stations/plans",
    response_model=PlanRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Sell swaps ahead: so many swaps for a price, valid so many days from the day "
    "bought, at any of your stations.",
)
async def create_plan(body: PlanCreate, principal: Operator, service: Service) -> PlanRead:
    return await service.create_plan(principal, body)


@router.get("/stations/plans/mine", response_model=list[PlanRead], responses=READ)
async def my_plans(principal: Operator, service: Service) -> list[PlanRead]:
    return await service.my_plans(principal)


@router.patch("/stations/plans/{plan_id}", response_model=PlanRead, responses=WRITE)
async def update_plan(
    plan_id: uuid.UUID, body: PlanUpdate, principal: CurrentPrincipal, service: Service
) -> PlanRead:
    return await service.update_plan(principal, plan_id, body)


@router.post(
    "/stations/plans/{plan_id}/purchase",
    response_model=CreditRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Buy a plan from your wallet (422 `insufficient_funds` buys nothing): your "
    "next swaps at the operator's stations use its credits, the one expiring first first.",
)
async def buy_plan(plan_id: uuid.UUID, principal: CurrentPrincipal, service: Service) -> CreditRead:
    return await service.buy_plan(principal, plan_id)


@router.get("/stations/credits", response_model=list[CreditRead], responses=READ)
async def my_credits(principal: CurrentPrincipal, service: Service) -> list[CreditRead]:
    return await service.credits(principal)


@router.get("/stations/{station_id}/plans", response_model=list[PlanRead], responses=PUBLIC)
async def station_plans(station_id: uuid.UUID, service: Service) -> list[PlanRead]:
    return await service.station_plans(station_id)


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


# ------------------------------------------------------------------ live
# waiting times shorten as packs charge, with or without events: a frame at least this often
LIVE_REFRESH_SECONDS = 60.0
Frame = dict[str, Any]


async def _read_frame(
    websocket: WebSocket, read: Callable[[StationsService], Awaitable[Frame]]
) -> Frame:
    db: Database = websocket.app.state.db
    async with UnitOfWork(db, write=False) as uow:
        return await read(_service(uow, websocket.app.state))


async def _stream(
    websocket: WebSocket,
    station_id: uuid.UUID,
    read: Callable[[StationsService], Awaitable[Frame]],
    last: Callable[[Frame], bool],
) -> None:
    """Accept, then send a frame at once, after every change at the station and every
    LIVE_REFRESH_SECONDS, until `last(frame)` (then close normally) or the client leaves."""
    broadcast: Broadcast = websocket.app.state.broadcast
    await websocket.accept()
    # subscribed before the first read: a change in between is not missed
    async with broadcast.subscribe(live_channel(station_id)) as queue:
        receiver = asyncio.create_task(until_client_leaves(websocket, queue))
        try:
            while True:
                frame = await _read_frame(websocket, read)
                await websocket.send_json(frame)
                if last(frame):
                    await websocket.close(code=1000)
                    return
                try:
                    message = await asyncio.wait_for(queue.get(), LIVE_REFRESH_SECONDS)
                except TimeoutError:
                    continue
                # changes that came together are read once
                while message is not None and not queue.empty():
                    message = queue.get_nowait()
                if message is None:
                    return
        except WebSocketDisconnect:
            return
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await receiver


@router.websocket("/stations/{station_id}/live")
async def station_live(websocket: WebSocket, station_id: uuid.UUID) -> None:
    """The station's live state, `{"type": "station", "station": {...}}` as
    `GET /stations/{id}` gives it: at once, after every change of its queue or packs (from
    any API process), and every minute. Public, like the station (a board at the station,
    the rider's app). Closes with 4404 for an unknown station."""

    async def read(service: StationsService) -> Frame:
        station = await service.get(station_id)
        return {"type": "station", "station": station.model_dump(mode="json")}

    try:
        await _read_frame(websocket, read)
    except DomainError as exc:
        await websocket.close(code=4404, reason=exc.code)
        return
    await _stream(websocket, station_id, read, lambda frame: False)


@router.websocket("/queue/{ticket_id}/live")
async def ticket_live(
    websocket: WebSocket,
    ticket_id: uuid.UUID,
    access_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> None:
    """A place in a queue, `{"type": "ticket", "ticket": {...}}` as `GET /queue/{id}` gives it
    (position, wait): at once, after every change at its station and every minute; for the
    traveler who holds it and the station's crew. The last frame is the ticket served or left,
    then the socket closes normally. Authenticate with `?access_token=` or an Authorization
    header; closes with 4401 (not authenticated) or 4404 (no such ticket of yours)."""
    try:
        principal = await socket_principal(websocket, access_token)

        async def read(service: StationsService) -> Frame:
            ticket = await service.ticket(principal, ticket_id)
            return {"type": "ticket", "ticket": ticket.model_dump(mode="json")}

        first = await _read_frame(websocket, read)
    except DomainError as exc:
        await websocket.close(code=4401 if exc.status == 401 else 4404, reason=exc.code)
        return
    await _stream(
        websocket,
        uuid.UUID(first["ticket"]["station_id"]),
        read,
        lambda frame: frame["ticket"]["status"] not in ACTIVE_QUEUE,
    )


routers = (router,)
