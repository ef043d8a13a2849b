"""Notifications: e-mails queued for the sender and notices in each user's inbox; a user reads
and marks only their own notices; operators with `user:read_any` read the e-mail delivery log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from navio.iam import Principal
from navio.kernel.clock import Clock
from navio.kernel.pagination import Cursor, Page, page_of
from navio.notifications import domain, push, webhooks
from navio.notifications.errors import (
    DeliveryPending,
    InvalidPushSubscription,
    InvalidWebhookUrl,
    NoticeNotFound,
    PushSubscriptionLimitReached,
    PushSubscriptionNotFound,
    UnknownWebhookEvent,
    WebhookDeliveryNotFound,
    WebhookLimitReached,
    WebhookNotFound,
)
from navio.notifications.models import (
    Email,
    Notice,
    PushDelivery,
    PushSubscription,
    Webhook,
    WebhookDelivery,
)
from navio.notifications.repository import (
    NotificationsRepository,
    PushRepository,
    WebhooksRepository,
)
from navio.notifications.schemas import (
    EmailDeliveryRead,
    NoticeRead,
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

MAX_PUSH_SUBSCRIPTIONS = 10  # browsers and apps per user


def _notice(row: Notice) -> NoticeRead:
    return NoticeRead.model_validate(row, from_attributes=True)


class NotificationsService:
    def __init__(self, repo: NotificationsRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    # ---------------------------------------------------------------- queueing (handlers)
    async def email(self, to: str, message: domain.Email, user_id: uuid.UUID | None) -> None:
        now = self.clock.now()
        await self.repo.add(
            Email(
                user_id=user_id,
                kind=message.kind,
                recipient=to,
                subject=message.subject,
                body=message.body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    async def notify(self, user_ids: Iterable[uuid.UUID], notice: domain.Notice) -> None:
        """Into each user's inbox, and pushed to each of their push subscriptions (queued here,
        in the same transaction; `delivery.PushSender` sends)."""
        now = self.clock.now()
        users = list(dict.fromkeys(user_ids))
        rows = {}
        for user_id in users:
            row = Notice(
                user_id=user_id,
                kind=notice.kind,
                title=notice.title[:200],
                body=notice.body[:1000],
                data=notice.data,
                created_at=now,
            )
            await self.repo.add(row)
            rows[user_id] = row
        push = PushRepository(self.repo.session)
        for sub in await push.subscriptions_of(users):
            row = rows[sub.user_id]
            message = {
                "id": str(row.id),
                "kind": row.kind,
                "title": row.title,
                "body": row.body,
                "data": row.data,
                "url": "/notifications",
            }
            await push.add(
                PushDelivery(
                    subscription_id=sub.id,
                    body=json.dumps(message, separators=(",", ":")),
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )

    # ---------------------------------------------------------------- web push
    async def subscribe_push(
        self, principal: Principal, body: PushSubscriptionCreate, allow_local: bool
    ) -> tuple[PushSubscriptionRead, bool]:
        """Keep a browser's subscription (the same endpoint again: its keys renewed; True when
        it is new). Its endpoint is checked as a webhook's is: it is where Navio will POST."""
        try:
            endpoint = webhooks.check_url(body.endpoint, allow_local)
            push.check_keys(body.keys.p256dh, body.keys.auth)
        except (webhooks.TargetRefused, push.InvalidSubscription) as exc:
            raise InvalidPushSubscription(str(exc), field="endpoint") from exc
        repo = PushRepository(self.repo.session)
        known = await repo.by_endpoint(endpoint)
        if known is not None and known.user_id == principal.user_id:
            known.p256dh, known.auth = body.keys.p256dh, body.keys.auth
            return PushSubscriptionRead.model_validate(known), False
        if known is not None:
            # the browser now belongs to someone else who signed in on it
            await repo.delete(known)
        if await repo.count_of(principal.user_id) >= MAX_PUSH_SUBSCRIPTIONS:
            raise PushSubscriptionLimitReached(
                f"at most {MAX_PUSH_SUBSCRIPTIONS} browsers and apps: remove one first"
            )
        row = PushSubscription(
            user_id=principal.user_id,
            endpoint=endpoint,
            p256dh=body.keys.p256dh,
            auth=body.keys.auth,
            created_at=self.clock.now(),
        )
        await repo.add(row)
        return PushSubscriptionRead.model_validate(row), True

    async def push_subscriptions(self, principal: Principal) -> list[PushSubscriptionRead]:
        rows = await PushRepository(self.repo.session).subscriptions_of([principal.user_id])
        return [PushSubscriptionRead.model_validate(r) for r in rows]

    async def unsubscribe_push(self, principal: Principal, subscription_id: uuid.UUID) -> None:
        repo = PushRepository(self.repo.session)
        row = await repo.subscription(subscription_id)
        if row is None or row.user_id != principal.user_id:
            raise PushSubscriptionNotFound()
        await repo.delete(row)

    # ---------------------------------------------------------------- inbox
    async def inbox(
        self, principal: Principal, limit: int, cursor: str | None, unread: bool
    ) -> Page[NoticeRead]:
        before = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.inbox(principal.user_id, limit, before, unread)
        page, next_cursor = page_of(rows, limit, lambda n: Cursor(n.created_at, n.id))
        return Page(items=[_notice(n) for n in page], next_cursor=next_cursor)

    async def unread(self, principal: Principal) -> UnreadCount:
        return UnreadCount(unread=await self.repo.unread(principal.user_id))

    async def mark_read(self, principal: Principal, notice_id: uuid.UUID) -> NoticeRead:
        row = await self.repo.notice(notice_id)
        if row is None or row.user_id != principal.user_id:
            raise NoticeNotFound()
        if row.read_at is None:
            row.read_at = self.clock.now()
        return _notice(row)

    async def read_all(self, principal: Principal) -> ReadAll:
        return ReadAll(marked=await self.repo.read_all(principal.user_id, self.clock.now()))

    # ---------------------------------------------------------------- operators
    async def deliveries(
        self, limit: int, cursor: str | None, status: str | None
    ) -> Page[EmailDeliveryRead]:
        before = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.emails(limit, before, status)
        page, next_cursor = page_of(rows, limit, lambda e: Cursor(e.created_at, e.id))
        return Page(
            items=[EmailDeliveryRead.model_validate(e, from_attributes=True) for e in page],
            next_cursor=next_cursor,
        )


def _delivery(row: WebhookDelivery) -> WebhookDeliveryRead:
    shown = WebhookDeliveryRead.model_validate(row)
    if row.status in ("sent", "dead"):
        shown.next_attempt_at = None
    return shown


class WebhooksService:
    """An operator's webhooks: endpoints, their secrets, the events queued for them
    (`fan_out`, from the handlers, in the event's transaction) and their delivery log. The
    sending is delivery.WebhookSender's. Never commits."""

    def __init__(self, repo: WebhooksRepository, clock: Clock, allow_local: bool) -> None:
        self.repo = repo
        self.clock = clock
        self.allow_local = allow_local

    @staticmethod
    def events() -> list[WebhookEventRead]:
        return [
            WebhookEventRead(name=name, description=offered.description)
            for name, offered in webhooks.EVENTS.items()
        ]

    def _url(self, url: str) -> str:
        try:
            return webhooks.check_url(url.strip(), self.allow_local)
        except webhooks.TargetRefused as exc:
            raise InvalidWebhookUrl(str(exc), field="url") from exc

    @staticmethod
    def _events(names: list[str]) -> list[str]:
        unknown = [name for name in names if name not in webhooks.EVENTS]
        if unknown:
            raise UnknownWebhookEvent(f"no event {unknown[0]!r} is offered", field="events")
        return list(dict.fromkeys(names))

    async def _owned(self, principal: Principal, webhook_id: uuid.UUID) -> Webhook:
        row = await self.repo.webhook(webhook_id)
        if row is None or row.user_id != principal.user_id:
            raise WebhookNotFound()
        return row

    def _read(self, row: Webhook) -> WebhookRead:
        shown = WebhookRead.model_validate(row)
        if row.previous_until is not None and row.previous_until <= self.clock.now():
            shown.previous_until = None
        return shown

    async def create(self, principal: Principal, body: WebhookCreate) -> WebhookCreated:
        url, events = self._url(body.url), self._events(body.events)
        if await self.repo.count_owned(principal.user_id) >= webhooks.MAX_ENDPOINTS:
            raise WebhookLimitReached(
                f"at most {webhooks.MAX_ENDPOINTS} webhooks; delete one you no longer use"
            )
        row = Webhook(
            user_id=principal.user_id,
            url=url,
            description=body.description,
            events=events,
            secret=webhooks.new_secret(),
            enabled=True,
            dead_in_a_row=0,
            created_at=self.clock.now(),
        )
        await self.repo.add(row)
        return WebhookCreated(**self._read(row).model_dump(), secret=row.secret)

    async def listed(self, principal: Principal) -> list[WebhookRead]:
        return [self._read(row) for row in await self.repo.owned(principal.user_id)]

    async def read(self, principal: Principal, webhook_id: uuid.UUID) -> WebhookRead:
        return self._read(await self._owned(principal, webhook_id))

    async def update(
        self, principal: Principal, webhook_id: uuid.UUID, body: WebhookUpdate
    ) -> WebhookRead:
        row = await self._owned(principal, webhook_id)
        if body.url is not None:
            row.url = self._url(body.url)
        if body.events is not None:
            row.events = self._events(body.events)
        if body.description is not None:
            row.description = body.description
        if body.enabled is not None:
            row.enabled = body.enabled
            row.disabled_reason = None if body.enabled else "switched off by its owner"
            row.dead_in_a_row = 0
        await self.repo.add(row)
        return self._read(row)

    async def delete(self, principal: Principal, webhook_id: uuid.UUID) -> None:
        await self.repo.delete(await self._owned(principal, webhook_id))

    async def rotate(self, principal: Principal, webhook_id: uuid.UUID) -> WebhookSecret:
        """A new secret; the old one signs beside it for a day, so receivers can switch."""
        row = await self._owned(principal, webhook_id)
        row.previous_secret = row.secret
        row.previous_until = self.clock.now() + timedelta(hours=webhooks.ROTATION_GRACE_HOURS)
        row.secret = webhooks.new_secret()
        await self.repo.add(row)
        return WebhookSecret(secret=row.secret)

    def _queued(
        self, hook: Webhook, event_id: uuid.UUID, name: str, at: datetime, data: dict[str, Any]
    ) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "id": uuid.uuid4(),
            "webhook_id": hook.id,
            "event_id": event_id,
            "event_name": name,
            "body": webhooks.body(str(event_id), name, at, data),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }

    async def ping(self, principal: Principal, webhook_id: uuid.UUID) -> WebhookDeliveryRead:
        """A `webhook.ping` queued for the endpoint (even switched off: it is how one checks
        it works again)."""
        hook = await self._owned(principal, webhook_id)
        event_id = uuid.uuid4()
        row = self._queued(
            hook, event_id, webhooks.PING, self.clock.now(), {"webhook_id": str(hook.id)}
        )
        await self.repo.enqueue([row])
        found = await self.repo.delivery(hook.id, row["id"])
        assert found is not None
        return _delivery(found)

    async def deliveries(
        self,
        principal: Principal,
        webhook_id: uuid.UUID,
        limit: int,
        cursor: str | None,
        status: str | None,
    ) -> Page[WebhookDeliveryRead]:
        hook = await self._owned(principal, webhook_id)
        before = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.deliveries(hook.id, limit, before, status)
        page, next_cursor = page_of(rows, limit, lambda d: Cursor(d.created_at, d.id))
        return Page(items=[_delivery(d) for d in page], next_cursor=next_cursor)

    async def redeliver(
        self, principal: Principal, webhook_id: uuid.UUID, delivery_id: uuid.UUID
    ) -> WebhookDeliveryRead:
        """Send a delivery again, now, with its attempts counted afresh (the same id: a
        receiver that has it already can drop it)."""
        hook = await self._owned(principal, webhook_id)
        row = await self.repo.delivery(hook.id, delivery_id)
        if row is None:
            raise WebhookDeliveryNotFound()
        if row.status == "pending":
            raise DeliveryPending("it is queued already")
        row.status, row.attempts, row.next_attempt_at = "pending", 0, self.clock.now()
        row.claimed_until = None
        await self.repo.add(row)
        return _delivery(row)

    async def fan_out(
        self, event_id: uuid.UUID, name: str, at: datetime, payload: dict[str, Any]
    ) -> None:
        """Queue a platform event for its owner's enabled endpoints that take it."""
        offered = webhooks.EVENTS.get(name)
        owner = payload.get(offered.owner_field) if offered else None
        if owner is None:
            return
        hooks = [
            hook
            for hook in await self.repo.owned(uuid.UUID(str(owner)))
            if hook.enabled and name in hook.events
        ]
        await self.repo.enqueue([self._queued(hook, event_id, name, at, payload) for hook in hooks])
