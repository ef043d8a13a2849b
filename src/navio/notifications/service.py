"""Notifications: e-mails queued for the sender and notices in each user's inbox; a user reads
and marks only their own notices; operators with `user:read_any` read the e-mail delivery log."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from navio.iam import Principal
from navio.kernel.clock import Clock
from navio.kernel.pagination import Cursor, Page, page_of
from navio.notifications import domain
from navio.notifications.errors import NoticeNotFound
from navio.notifications.models import Email, Notice
from navio.notifications.repository import NotificationsRepository
from navio.notifications.schemas import EmailDeliveryRead, NoticeRead, ReadAll, UnreadCount


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
        now = self.clock.now()
        for user_id in dict.fromkeys(user_ids):
            await self.repo.add(
                Notice(
                    user_id=user_id,
                    kind=notice.kind,
                    title=notice.title[:200],
                    body=notice.body[:1000],
                    data=notice.data,
                    created_at=now,
                )
            )

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
