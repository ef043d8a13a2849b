"""Trip routes: thin; parse -> service -> schema. Plus the live WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Literal

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

from navio.iam import CurrentPrincipal, MaybePrincipal, Principal, socket_principal
from navio.kernel.db import Database
from navio.kernel.errors import DomainError
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.pubsub import Broadcast, until_client_leaves
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.trips import export
from navio.trips.domain import Role, Status, may_revoke_live
from navio.trips.handlers import live_channel
from navio.trips.repository import TripsRepository
from navio.trips.schemas import (
    ActivityRead,
    Collaborator,
    CollaboratorAdd,
    CollaboratorResult,
    CommentCreate,
    CommentRead,
    CommentUpdate,
    InviteAccept,
    ItemCreate,
    ItemMove,
    ItemRead,
    ItemUpdate,
    OwnershipTransfer,
    RoleChange,
    SharingRead,
    SharingUpdate,
    SuggestionCreate,
    SuggestionRead,
    TripCreate,
    TripRead,
    TripSummary,
    TripUpdate,
)
from navio.trips.service import TripsService, etag

router = APIRouter(tags=["trips"], route_class=UnitOfWorkRoute)


def _service(uow: UnitOfWork, request: Request | WebSocket) -> TripsService:
    state = request.app.state
    return TripsService(
        TripsRepository(uow.session_source),
        uow.events,
        state.clock,
        state.settings.secret_key.get_secret_value(),
    )


async def trips_service(request: Request) -> TripsService:
    return _service(request.state.uow, request)


Service = Annotated[TripsService, Depends(trips_service)]
LinkToken = Annotated[
    str | None, Query(alias="token", max_length=200, description="a trip's read-only link token")
]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
READ = problem_responses(401, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 412, 422)


@router.post("/trips/invites/accept", response_model=TripRead, responses=WRITE)
async def accept_invite(
    body: InviteAccept, principal: CurrentPrincipal, service: Service, response: Response
) -> TripRead:
    trip = await service.accept_invite(principal, body.token)
    response.headers["ETag"] = etag(trip.version)
    return trip


@router.post(
    "/trips", response_model=TripRead, status_code=status.HTTP_201_CREATED, responses=WRITE
)
async def create_trip(
    body: TripCreate, principal: CurrentPrincipal, service: Service, response: Response
) -> TripRead:
    trip = await service.create(principal, body)
    response.headers["ETag"] = etag(trip.version)
    response.headers["Location"] = f"/api/v1/trips/{trip.id}"
    return trip


@router.get("/trips", response_model=Page[TripSummary], responses=READ)
async def list_trips(
    principal: CurrentPrincipal,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    trip_status: Annotated[Status | None, Query(alias="status")] = None,
    starts_from: date | None = None,
    starts_until: date | None = None,
) -> Page[TripSummary]:
    return await service.list_mine(principal, limit, cursor, trip_status, starts_from, starts_until)


@router.get("/trips/{trip_id}", response_model=TripRead, responses=READ)
async def get_trip(
    trip_id: uuid.UUID,
    principal: MaybePrincipal,
    service: Service,
    response: Response,
    token: LinkToken = None,
) -> TripRead:
    trip = await service.get(principal, trip_id, token)
    response.headers["ETag"] = etag(trip.version)
    return trip


@router.put("/trips/{trip_id}", response_model=TripRead, responses=WRITE)
async def update_trip(
    trip_id: uuid.UUID,
    body: TripUpdate,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> TripRead:
    trip = await service.update(principal, trip_id, body, if_match)
    response.headers["ETag"] = etag(trip.version)
    return trip


@router.delete("/trips/{trip_id}", status_code=status.HTTP_204_NO_CONTENT, responses=WRITE)
async def delete_trip(
    trip_id: uuid.UUID, principal: CurrentPrincipal, service: Service, if_match: IfMatch = None
) -> None:
    await service.delete(principal, trip_id, if_match)


# ---------------------------------------------------------------- items
@router.get("/trips/{trip_id}/items", response_model=list[ItemRead], responses=READ)
async def list_items(
    trip_id: uuid.UUID, principal: MaybePrincipal, service: Service, token: LinkToken = None
) -> list[ItemRead]:
    return await service.items(principal, trip_id, token)


@router.post(
    "/trips/{trip_id}/items",
    response_model=ItemRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def add_item(
    trip_id: uuid.UUID,
    body: ItemCreate,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
) -> ItemRead:
    item = await service.add_item(principal, trip_id, body)
    response.headers["ETag"] = etag(item.version)
    return item


@router.put("/trips/{trip_id}/items/{item_id}", response_model=ItemRead, responses=WRITE)
async def update_item(
    trip_id: uuid.UUID,
    item_id: uuid.UUID,
    body: ItemUpdate,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> ItemRead:
    item = await service.update_item(principal, trip_id, item_id, body, if_match)
    response.headers["ETag"] = etag(item.version)
    return item


@router.post(
    "/trips/{trip_id}/items/{item_id}/move", response_model=list[ItemRead], responses=WRITE
)
async def move_item(
    trip_id: uuid.UUID,
    item_id: uuid.UUID,
    body: ItemMove,
    principal: CurrentPrincipal,
    service: Service,
    if_match: IfMatch = None,
) -> list[ItemRead]:
    return await service.move_item(principal, trip_id, item_id, body, if_match)


@router.delete(
    "/trips/{trip_id}/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses=WRITE
)
async def remove_item(
    trip_id: uuid.UUID,
    item_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    if_match: IfMatch = None,
) -> None:
    await service.remove_item(principal, trip_id, item_id, if_match)


# ---------------------------------------------------------------- collaborators, sharing
@router.post(
    "/trips/{trip_id}/collaborators",
    response_model=CollaboratorResult,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def add_collaborator(
    trip_id: uuid.UUID,
    body: CollaboratorAdd,
    principal: CurrentPrincipal,
    service: Service,
    request: Request,
) -> CollaboratorResult:
    return await service.add_collaborator(principal, trip_id, body, str(request.base_url))


@router.put(
    "/trips/{trip_id}/collaborators/{user_id}", response_model=Collaborator, responses=WRITE
)
async def change_role(
    trip_id: uuid.UUID,
    user_id: uuid.UUID,
    body: RoleChange,
    principal: CurrentPrincipal,
    service: Service,
) -> Collaborator:
    return await service.change_role(principal, trip_id, user_id, body.role)


@router.delete(
    "/trips/{trip_id}/collaborators/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE,
    description="Remove a collaborator (owner), or leave the trip (your own user id).",
)
async def remove_collaborator(
    trip_id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> None:
    await service.remove_collaborator(principal, trip_id, user_id)


@router.post("/trips/{trip_id}/transfer-ownership", response_model=TripRead, responses=WRITE)
async def transfer_ownership(
    trip_id: uuid.UUID, body: OwnershipTransfer, principal: CurrentPrincipal, service: Service
) -> TripRead:
    return await service.transfer_ownership(principal, trip_id, body.user_id)


@router.put("/trips/{trip_id}/sharing", response_model=SharingRead, responses=WRITE)
async def set_sharing(
    trip_id: uuid.UUID, body: SharingUpdate, principal: CurrentPrincipal, service: Service
) -> SharingRead:
    return await service.set_sharing(principal, trip_id, body)


# ---------------------------------------------------------------- comments, suggestions, feed
@router.get("/trips/{trip_id}/comments", response_model=Page[CommentRead], responses=READ)
async def list_comments(
    trip_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    item_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[CommentRead]:
    return await service.comments(principal, trip_id, item_id, limit, cursor)


@router.post(
    "/trips/{trip_id}/comments",
    response_model=CommentRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def post_comment(
    trip_id: uuid.UUID, body: CommentCreate, principal: CurrentPrincipal, service: Service
) -> CommentRead:
    return await service.post_comment(principal, trip_id, body)


@router.put("/trips/{trip_id}/comments/{comment_id}", response_model=CommentRead, responses=WRITE)
async def edit_comment(
    trip_id: uuid.UUID,
    comment_id: uuid.UUID,
    body: CommentUpdate,
    principal: CurrentPrincipal,
    service: Service,
) -> CommentRead:
    return await service.edit_comment(principal, trip_id, comment_id, body)


@router.delete(
    "/trips/{trip_id}/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE,
)
async def delete_comment(
    trip_id: uuid.UUID, comment_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> None:
    await service.delete_comment(principal, trip_id, comment_id)


@router.get("/trips/{trip_id}/suggestions", response_model=list[SuggestionRead], responses=READ)
async def list_suggestions(
    trip_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    suggestion_status: Annotated[
        Literal["pending", "accepted", "rejected"] | None, Query(alias="status")
    ] = None,
) -> list[SuggestionRead]:
    return await service.suggestions(principal, trip_id, suggestion_status)


@router.post(
    "/trips/{trip_id}/suggestions",
    response_model=SuggestionRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def suggest(
    trip_id: uuid.UUID, body: SuggestionCreate, principal: CurrentPrincipal, service: Service
) -> SuggestionRead:
    return await service.suggest(principal, trip_id, body)


@router.post(
    "/trips/{trip_id}/suggestions/{suggestion_id}/{decision}",
    response_model=SuggestionRead,
    responses=WRITE,
)
async def decide(
    trip_id: uuid.UUID,
    suggestion_id: uuid.UUID,
    decision: Literal["accept", "reject"],
    principal: CurrentPrincipal,
    service: Service,
) -> SuggestionRead:
    return await service.decide(principal, trip_id, suggestion_id, decision == "accept")


@router.get("/trips/{trip_id}/activity-feed", response_model=Page[ActivityRead], responses=READ)
async def activity_feed(
    trip_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[ActivityRead]:
    return await service.activity(principal, trip_id, limit, cursor)


# ---------------------------------------------------------------- exports
EXPORTS = {
    "calendar.ics": (export.to_ics, "text/calendar; charset=utf-8"),
    "places.gpx": (export.to_gpx, "application/gpx+xml"),
    "places.kml": (export.to_kml, "application/vnd.google-earth.kml+xml"),
}


def _exporter(filename: str) -> Callable[..., Awaitable[Response]]:
    render, media_type = EXPORTS[filename]

    async def export_trip(
        trip_id: uuid.UUID, principal: MaybePrincipal, service: Service, token: LinkToken = None
    ) -> Response:
        snapshot = await service.export(principal, trip_id, token)
        return Response(
            render(snapshot),
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return export_trip


# One route per file name: a catch-all `{filename}` would shadow other contexts' trip routes.
for _name, (_, _media_type) in EXPORTS.items():
    router.add_api_route(
        f"/trips/{{trip_id}}/{_name}",
        _exporter(_name),
        methods=["GET"],
        name=f"export_{_name.replace('.', '_')}",
        responses={**READ, 200: {"content": {_media_type: {}}}},
        response_class=Response,
        description="Exports: calendar.ics (RFC 5545), places.gpx (GPX 1.1), places.kml (KML 2.2).",
    )


# ---------------------------------------------------------------- live
async def _live_role(websocket: WebSocket, principal: Principal, trip_id: uuid.UUID) -> Role:
    db: Database = websocket.app.state.db
    async with UnitOfWork(db, write=False) as uow:
        return await _service(uow, websocket).live_role(principal, trip_id)


@router.websocket("/trips/{trip_id}/live")
async def live(
    websocket: WebSocket,
    trip_id: uuid.UUID,
    access_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> None:
    """Every change to the trip, as JSON messages `{"type": "event", "id", "event", ...}`.
    Authenticate with `?access_token=` (browsers cannot set headers on WebSockets) or an
    Authorization header. Closes with 4401 (not authenticated), 4404 (no role on the trip)
    or 4403 (the caller's role was taken away while connected)."""
    try:
        principal = await socket_principal(websocket, access_token)
        role = await _live_role(websocket, principal, trip_id)
    except DomainError as exc:
        await websocket.close(code=4401 if exc.status == 401 else 4404, reason=exc.code)
        return
    broadcast: Broadcast = websocket.app.state.broadcast
    await websocket.accept()
    async with broadcast.subscribe(live_channel(trip_id)) as queue:
        await websocket.send_text(json.dumps({"type": "ready", "role": role.value}))
        # one reader per socket notices the client leaving and wakes the sender with None
        receiver = asyncio.create_task(until_client_leaves(websocket, queue))
        try:
            while (message := await queue.get()) is not None:
                await websocket.send_text(message)
                if may_revoke_live(message, principal.user_id):
                    try:
                        role = await _live_role(websocket, principal, trip_id)
                    except DomainError:
                        await websocket.close(code=4403, reason="trip_access_revoked")
                        return
        except WebSocketDisconnect:
            return
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await receiver


routers = (router,)
