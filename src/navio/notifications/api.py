"""Notification routes: thin; parse -> service -> schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from navio.iam import CurrentPrincipal, Permission, Principal, require_permission
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.notifications.repository import NotificationsRepository
from navio.notifications.schemas import (
    EmailDeliveryRead,
    EmailStatus,
    NoticeRead,
    ReadAll,
    UnreadCount,
)
from navio.notifications.service import NotificationsService

router = APIRouter(tags=["notifications"], route_class=UnitOfWorkRoute)


async def notifications_service(request: Request) -> NotificationsService:
    uow: UnitOfWork = request.state.uow
    return NotificationsService(
        NotificationsRepository(uow.session_source), request.app.state.clock
    )


Service = Annotated[NotificationsService, Depends(notifications_service)]
Operator = Annotated[Principal, Depends(require_permission(Permission.USER_READ_ANY))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
CursorQuery = Annotated[str | None, Query(max_length=200)]


@router.get(
    "/notifications",
    response_model=Page[NoticeRead],
    responses=problem_responses(401, 422),
    description="Your inbox, newest first: added to a trip, someone on a trip arrived, "
    "bookings confirmed, cancelled or expired. `unread=true` for the unread ones only.",
)
async def inbox(
    principal: CurrentPrincipal,
    service: Service,
    unread: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[NoticeRead]:
    return await service.inbox(principal, limit, cursor, unread)


@router.get(
    "/notifications/unread-count", response_model=UnreadCount, responses=problem_responses(401)
)
async def unread_count(principal: CurrentPrincipal, service: Service) -> UnreadCount:
    return await service.unread(principal)


@router.post("/notifications/read-all", response_model=ReadAll, responses=problem_responses(401))
async def read_all(principal: CurrentPrincipal, service: Service) -> ReadAll:
    return await service.read_all(principal)


@router.post(
    "/notifications/{notice_id}/read",
    response_model=NoticeRead,
    responses=problem_responses(401, 404),
)
async def mark_read(
    notice_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> NoticeRead:
    return await service.mark_read(principal, notice_id)


@router.get(
    "/admin/notifications/emails",
    response_model=Page[EmailDeliveryRead],
    responses=problem_responses(401, 403, 422),
    description="The e-mail delivery log, newest first (operators with `user:read_any`): "
    "recipient, subject, status, attempts, the last error. Never the text.",
)
async def email_log(
    operator: Operator,
    service: Service,
    status: EmailStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[EmailDeliveryRead]:
    return await service.deliveries(limit, cursor, status)


routers = (router,)
