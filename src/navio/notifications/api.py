"""Notification routes: thin; parse -> service -> schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from navio.iam import CurrentPrincipal, Permission, Principal, require_permission
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.notifications.push import application_server_key
from navio.notifications.repository import NotificationsRepository, WebhooksRepository
from navio.notifications.schemas import (
    DeliveryStatus,
    EmailDeliveryRead,
    EmailStatus,
    NoticeRead,
    PushKey,
    PushSubscriptionCreate,
    PushSubscriptionRead,
    ReadAll,
    UnreadCount,
    WebhookCreate,
    WebhookCreated,
    WebhookDeliveryRead,
    WebhookEventRead,
    WebhookRead,
    WebhookSecret,
    WebhookUpdate,
)
from navio.notifications.service import NotificationsService, WebhooksService

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


# ------------------------------------------------------------------ web push
@router.get(
    "/notifications/push/key",
    response_model=PushKey,
    description="The application server key (VAPID) browsers subscribe with.",
)
async def push_key(request: Request) -> PushKey:
    secret = request.app.state.settings.secret_key.get_secret_value()
    return PushKey(application_server_key=application_server_key(secret))


@router.post(
    "/notifications/push/subscriptions",
    response_model=PushSubscriptionRead,
    status_code=status.HTTP_201_CREATED,
    responses={**problem_responses(401, 409, 422), 200: {"model": PushSubscriptionRead}},
    description="Keep a browser's or app's push subscription (`PushSubscription.toJSON()`): "
    "from now on your notices are pushed to it too. The same endpoint again renews its keys "
    "(200). At most 10; an endpoint inside a private network is refused.",
)
async def subscribe_push(
    body: PushSubscriptionCreate,
    principal: CurrentPrincipal,
    service: Service,
    request: Request,
    response: Response,
) -> PushSubscriptionRead:
    read, created = await service.subscribe_push(
        principal, body, request.app.state.webhook_allow_local
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return read


@router.get(
    "/notifications/push/subscriptions",
    response_model=list[PushSubscriptionRead],
    responses=problem_responses(401),
)
async def push_subscriptions(
    principal: CurrentPrincipal, service: Service
) -> list[PushSubscriptionRead]:
    return await service.push_subscriptions(principal)


@router.delete(
    "/notifications/push/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404),
)
async def unsubscribe_push(
    subscription_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> Response:
    await service.unsubscribe_push(principal, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def webhooks_service(request: Request) -> WebhooksService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return WebhooksService(
        WebhooksRepository(uow.session_source), state.clock, state.webhook_allow_local
    )


Webhooks = Annotated[WebhooksService, Depends(webhooks_service)]
Owner = Annotated[Principal, Depends(require_permission(Permission.WEBHOOK_MANAGE))]
HOOK = "/notifications/webhooks/{webhook_id}"


@router.get(
    "/notifications/webhooks/events",
    response_model=list[WebhookEventRead],
    responses=problem_responses(401, 403),
    description="The events an operator's webhook can take (operators: `webhook:manage`).",
)
async def webhook_events(owner: Owner) -> list[WebhookEventRead]:
    return WebhooksService.events()


@router.post(
    "/notifications/webhooks",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
    description="A new endpoint for your events, POSTed as JSON and signed as Standard Webhooks "
    "(`webhook-id`, `webhook-timestamp`, `webhook-signature`); the secret is shown here once. "
    "https only; never an address inside a private network.",
)
async def create_webhook(owner: Owner, body: WebhookCreate, service: Webhooks) -> WebhookCreated:
    return await service.create(owner, body)


@router.get(
    "/notifications/webhooks",
    response_model=list[WebhookRead],
    responses=problem_responses(401, 403),
)
async def list_webhooks(owner: Owner, service: Webhooks) -> list[WebhookRead]:
    return await service.listed(owner)


@router.get(HOOK, response_model=WebhookRead, responses=problem_responses(401, 403, 404))
async def read_webhook(owner: Owner, webhook_id: uuid.UUID, service: Webhooks) -> WebhookRead:
    return await service.read(owner, webhook_id)


@router.patch(
    HOOK,
    response_model=WebhookRead,
    responses=problem_responses(401, 403, 404, 422),
    description="Change the URL, the events or the description; `enabled: true` switches an "
    "endpoint that was switched off back on.",
)
async def update_webhook(
    owner: Owner, webhook_id: uuid.UUID, body: WebhookUpdate, service: Webhooks
) -> WebhookRead:
    return await service.update(owner, webhook_id, body)


@router.delete(
    HOOK,
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404),
)
async def delete_webhook(owner: Owner, webhook_id: uuid.UUID, service: Webhooks) -> Response:
    await service.delete(owner, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    f"{HOOK}/secret",
    response_model=WebhookSecret,
    responses=problem_responses(401, 403, 404),
    description="A new secret, shown once; the previous one keeps signing beside it for 24 "
    "hours (both signatures in `webhook-signature`), so the receiver can switch.",
)
async def rotate_webhook_secret(
    owner: Owner, webhook_id: uuid.UUID, service: Webhooks
) -> WebhookSecret:
    return await service.rotate(owner, webhook_id)


@router.post(
    f"{HOOK}/ping",
    response_model=WebhookDeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 403, 404),
    description="Queue a `webhook.ping` event for the endpoint, to check it receives.",
)
async def ping_webhook(
    owner: Owner, webhook_id: uuid.UUID, service: Webhooks
) -> WebhookDeliveryRead:
    return await service.ping(owner, webhook_id)


@router.get(
    f"{HOOK}/deliveries",
    response_model=Page[WebhookDeliveryRead],
    responses=problem_responses(401, 403, 404, 422),
    description="What was sent to the endpoint, newest first: status, attempts, the receiver's "
    "last answer, the next attempt.",
)
async def webhook_deliveries(
    owner: Owner,
    webhook_id: uuid.UUID,
    service: Webhooks,
    state: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[WebhookDeliveryRead]:
    return await service.deliveries(owner, webhook_id, limit, cursor, state)


@router.post(
    f"{HOOK}/deliveries/{{delivery_id}}/retry",
    response_model=WebhookDeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 403, 404, 409),
    description="Send a delivery again now (the same `webhook-id`).",
)
async def redeliver_webhook(
    owner: Owner, webhook_id: uuid.UUID, delivery_id: uuid.UUID, service: Webhooks
) -> WebhookDeliveryRead:
    return await service.redeliver(owner, webhook_id, delivery_id)


routers = (router,)
