"""Every notifications query. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.db import Repository
from navio.kernel.pagination import Cursor, newest_first
from navio.notifications.models import (
    Email,
    Notice,
    PushDelivery,
    PushSubscription,
    SendState,
    Webhook,
    WebhookDelivery,
)

DUE = ("pending", "failed")
Queued = TypeVar("Queued", Email, WebhookDelivery, PushDelivery)
QueueModel = type[SendState]


def _due(model: QueueModel, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """What a sender may take now: pending or failed, its time come, held by no sender."""
    return (
        model.status.in_(DUE),
        model.next_attempt_at <= now,
        or_(model.claimed_until.is_(None), model.claimed_until < now),
    )


async def _any_due(session: AsyncSession, model: QueueModel, now: datetime) -> bool:
    return await session.scalar(select(model.id).where(*_due(model, now)).limit(1)) is not None


async def _claim_due(
    session: AsyncSession, model: type[Queued], now: datetime, until: datetime, limit: int
) -> list[Queued]:
    """The oldest due rows, marked as held until `until` (PostgreSQL: rows another sender is
    claiming are skipped, not waited for)."""
    statement = (
        select(model)
        .where(*_due(model, now))
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(await session.scalars(statement))
    for row in rows:
        row.claimed_until = until
    await session.flush()
    return rows


class NotificationsRepository(Repository):
    async def add(self, row: Email | Notice) -> None:
        self.session.add(row)
        await self.session.flush()

    async def inbox(
        self, user_id: uuid.UUID, limit: int, before: Cursor | None, unread: bool
    ) -> list[Notice]:
        """Newest first."""
        statement = select(Notice).where(Notice.user_id == user_id)
        if unread:
            statement = statement.where(Notice.read_at.is_(None))
        page = newest_first(statement, Notice.created_at, Notice.id, limit, before)
        return list(await self.session.scalars(page))

    async def unread(self, user_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        )
        return int(count or 0)

    async def notice(self, notice_id: uuid.UUID) -> Notice | None:
        return await self.session.get(Notice, notice_id)

    async def read_all(self, user_id: uuid.UUID, at: datetime) -> int:
        result = await self.session.execute(
            update(Notice)
            .where(Notice.user_id == user_id, Notice.read_at.is_(None))
            .values(read_at=at)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def any_due(self, now: datetime) -> bool:
        return await _any_due(self.session, Email, now)

    async def claim_due(self, now: datetime, until: datetime, limit: int) -> list[Email]:
        """E-mails due now that no sender holds, marked as held until `until`."""
        return await _claim_due(self.session, Email, now, until, limit)

    async def email(self, email_id: uuid.UUID) -> Email | None:
        return await self.session.get(Email, email_id)

    async def emails(self, limit: int, before: Cursor | None, status: str | None) -> list[Email]:
        """Newest first."""
        statement = select(Email)
        if status is not None:
            statement = statement.where(Email.status == status)
        page = newest_first(statement, Email.created_at, Email.id, limit, before)
        return list(await self.session.scalars(page))


class WebhooksRepository(Repository):
    async def add(self, row: Webhook | WebhookDelivery) -> None:
        self.session.add(row)
        await self.session.flush()

    async def webhook(self, webhook_id: uuid.UUID) -> Webhook | None:
        return await self.session.get(Webhook, webhook_id)

    async def owned(self, user_id: uuid.UUID) -> list[Webhook]:
        statement = (
            select(Webhook)
            .where(Webhook.user_id == user_id)
            .order_by(Webhook.created_at, Webhook.id)
        )
        return list(await self.session.scalars(statement))

    async def count_owned(self, user_id: uuid.UUID) -> int:
        statement = select(func.count()).select_from(Webhook).where(Webhook.user_id == user_id)
        return int(await self.session.scalar(statement) or 0)

    async def delete(self, row: Webhook) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def enqueue(self, rows: list[dict[str, Any]]) -> None:
        """New deliveries; an event already queued for an endpoint is not queued again."""
        if not rows:
            return
        await self.session.execute(
            self.insert(WebhookDelivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["webhook_id", "event_id"])
        )

    async def delivery(
        self, webhook_id: uuid.UUID, delivery_id: uuid.UUID
    ) -> WebhookDelivery | None:
        row = await self.session.get(WebhookDelivery, delivery_id)
        return row if row is not None and row.webhook_id == webhook_id else None

    async def deliveries(
        self, webhook_id: uuid.UUID, limit: int, before: Cursor | None, status: str | None
    ) -> list[WebhookDelivery]:
        """Newest first."""
        statement = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        if status is not None:
            statement = statement.where(WebhookDelivery.status == status)
        page = newest_first(
            statement, WebhookDelivery.created_at, WebhookDelivery.id, limit, before
        )
        return list(await self.session.scalars(page))

    async def any_due(self, now: datetime) -> bool:
        return await _any_due(self.session, WebhookDelivery, now)

    async def claim_due(
        self, now: datetime, until: datetime, limit: int
    ) -> list[tuple[WebhookDelivery, Webhook]]:
        """Deliveries due now that no sender holds, with their endpoints, marked as held until
        `until`."""
        return await self._paired(
            await _claim_due(self.session, WebhookDelivery, now, until, limit)
        )

    async def with_hooks(
        self, delivery_ids: list[uuid.UUID]
    ) -> list[tuple[WebhookDelivery, Webhook]]:
        """The deliveries that still exist, with their endpoints: two queries."""
        statement = select(WebhookDelivery).where(WebhookDelivery.id.in_(delivery_ids))
        return await self._paired(list(await self.session.scalars(statement)))

    async def _paired(self, rows: list[WebhookDelivery]) -> list[tuple[WebhookDelivery, Webhook]]:
        ids = {row.webhook_id for row in rows}
        hooks = {
            hook.id: hook
            for hook in await self.session.scalars(select(Webhook).where(Webhook.id.in_(ids)))
        }
        return [(row, hooks[row.webhook_id]) for row in rows if row.webhook_id in hooks]


class PushRepository(Repository):
    async def add(self, row: PushSubscription | PushDelivery) -> None:
        self.session.add(row)
        await self.session.flush()

    async def subscription(self, subscription_id: uuid.UUID) -> PushSubscription | None:
        return await self.session.get(PushSubscription, subscription_id)

    async def by_endpoint(self, endpoint: str) -> PushSubscription | None:
        return await self.session.scalar(
            select(PushSubscription).where(PushSubscription.endpoint == endpoint)
        )

    async def subscriptions_of(self, user_ids: list[uuid.UUID]) -> list[PushSubscription]:
        statement = (
            select(PushSubscription)
            .where(PushSubscription.user_id.in_(user_ids))
            .order_by(PushSubscription.created_at, PushSubscription.id)
        )
        return list(await self.session.scalars(statement))

    async def count_of(self, user_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(PushSubscription)
            .where(PushSubscription.user_id == user_id)
        )
        return int(count or 0)

    async def delete(self, row: PushSubscription) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def any_due(self, now: datetime) -> bool:
        return await _any_due(self.session, PushDelivery, now)

    async def claim_due(
        self, now: datetime, until: datetime, limit: int
    ) -> list[tuple[PushDelivery, PushSubscription]]:
        return await self._paired(await _claim_due(self.session, PushDelivery, now, until, limit))

    async def with_subscriptions(
        self, delivery_ids: list[uuid.UUID]
    ) -> list[tuple[PushDelivery, PushSubscription]]:
        statement = select(PushDelivery).where(PushDelivery.id.in_(delivery_ids))
        return await self._paired(list(await self.session.scalars(statement)))

    async def _paired(
        self, rows: list[PushDelivery]
    ) -> list[tuple[PushDelivery, PushSubscription]]:
        ids = {row.subscription_id for row in rows}
        subs = {
            sub.id: sub
            for sub in await self.session.scalars(
                select(PushSubscription).where(PushSubscription.id.in_(ids))
            )
        }
        return [(row, subs[row.subscription_id]) for row in rows if row.subscription_id in subs]
