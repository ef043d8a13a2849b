"""The e-mail sender, a periodic job of every relay (API process or worker): it claims the due
e-mails in one short transaction, sends them with no transaction open, and records what
became of each in another. A sender that dies between the two leaves its claims to expire, and
another sends them again: delivery is at least once (a `Message-ID` per e-mail lets mail
clients fold a rare duplicate)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from navio.kernel.db import Database
from navio.notifications.domain import retry_after
from navio.notifications.mailer import Mailer, MailRefused, compose
from navio.notifications.repository import NotificationsRepository

log = structlog.get_logger(__name__)

BATCH = 20
# a claim outlives the slowest batch: BATCH e-mails at the SMTP timeout each
CLAIM = timedelta(minutes=10)
NOT_CONFIGURED = "no SMTP server configured (NAVIO_NOTIFICATIONS__SMTP_URL)"


@dataclass(frozen=True)
class Sender:
    mailer: Mailer | None
    mail_from: str
    max_attempts: int

    async def __call__(self, db: Database, now: datetime) -> int:
        # an idle turn is a plain read: no write lock every few seconds for nothing
        async with db.transaction(write=False) as session:
            if not await NotificationsRepository(session).any_due(now):
                return 0
        async with db.transaction() as session:
            claimed = await NotificationsRepository(session).claim_due(now, now + CLAIM, BATCH)
            outgoing = [(e.id, e.recipient, e.subject, e.body) for e in claimed]
        if not outgoing:
            return 0
        outcomes: dict[uuid.UUID, MailRefused | None] = {}
        for email_id, recipient, subject, body in outgoing:
            if self.mailer is None:
                outcomes[email_id] = MailRefused(NOT_CONFIGURED, permanent=True)
                continue
            try:
                await self.mailer.send(
                    compose(self.mail_from, recipient, subject, body, email_id.hex)
                )
                outcomes[email_id] = None
            except MailRefused as exc:
                log.warning("notifications.email_refused", email_id=str(email_id), reason=str(exc))
                outcomes[email_id] = exc
        async with db.transaction() as session:
            repo = NotificationsRepository(session)
            for email_id, refusal in outcomes.items():
                row = await repo.email(email_id)
                if row is None:
                    continue
                row.claimed_until = None
                row.attempts += 1
                if refusal is None:
                    row.status, row.sent_at, row.last_error = "sent", now, None
                elif self.mailer is None:
                    row.status, row.last_error = "skipped", NOT_CONFIGURED
                elif refusal.permanent or row.attempts >= self.max_attempts:
                    row.status, row.last_error = "dead", str(refusal)[:500]
                else:
                    row.status, row.last_error = "failed", str(refusal)[:500]
                    row.next_attempt_at = now + retry_after(row.attempts)
        return len(outcomes)
