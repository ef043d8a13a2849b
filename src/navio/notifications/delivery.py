"""The e-mail and webhook senders, periodic jobs of every relay (API process or worker). The
e-mail sender claims the due e-mails in one short transaction, sends them with no transaction
open, and records what became of each in another. A sender that dies between the two leaves its
claims to expire, and another sends them again: delivery is at least once (a `Message-ID` per
e-mail lets mail clients fold a rare duplicate). The webhook sender works the same way."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit, urlunsplit

import httpx
import structlog
from cryptography.hazmat.primitives.asymmetric import ec

from navio.kernel.db import Database
from navio.notifications import push, webhooks
from navio.notifications.domain import retry_after
from navio.notifications.mailer import Mailer, MailRefused, compose
from navio.notifications.models import PushDelivery, PushSubscription, Webhook, WebhookDelivery
from navio.notifications.repository import (
    NotificationsRepository,
    PushRepository,
    WebhooksRepository,
)

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


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the receiver's HTTP status, None when it was not reached
    error: str | None  # None: delivered (2xx)


@dataclass(frozen=True)
class WebhookSender:
    """Sends due webhook deliveries: claimed in one short transaction, POSTed concurrently
    with no transaction open, recorded in another; at least once, each with its
    `webhook-id`. A 2xx is delivered; a 410 Gone switches the endpoint off; anything else
    (another status, a timeout, a refused connection, a redirect: never followed) is tried
    again with the e-mails' backoff, and given up after `max_attempts`. Five deliveries given
    up in a row switch the endpoint off too, saying why."""

    timeout_seconds: float
    max_attempts: int
    allow_local: bool
    # a burst is sent batch after batch for at most this long per turn (the relay's other
    # work waits meanwhile); what is left goes at the next turn
    budget_seconds: float = 2.0

    async def __call__(self, db: Database, now: datetime) -> int:
        async with db.transaction(write=False) as session:
            if not await WebhooksRepository(session).any_due(now):
                return 0
        sent, began = 0, time.monotonic()
        async with httpx.AsyncClient(
            timeout=self.timeout_seconds, follow_redirects=False
        ) as client:
            while True:
                batch = await self._batch(db, now, client)
                sent += batch
                if batch < BATCH or time.monotonic() - began >= self.budget_seconds:
                    return sent

    async def _batch(self, db: Database, now: datetime, client: httpx.AsyncClient) -> int:
        async with db.transaction() as session:
            claimed = await WebhooksRepository(session).claim_due(now, now + CLAIM, BATCH)
            outgoing = [(row.id, hook.url, row.body, _signing(hook, now)) for row, hook in claimed]
        if not outgoing:
            return 0
        results = await asyncio.gather(*(self._post(client, *sending, now) for sending in outgoing))
        outcomes = {sending[0]: outcome for sending, outcome in zip(outgoing, results, strict=True)}
        async with db.transaction() as session:
            # deliveries whose endpoint was deleted meanwhile are gone with it
            for row, hook in await WebhooksRepository(session).with_hooks(list(outcomes)):
                self._record(row, hook, outcomes[row.id], now)
        return len(outcomes)

    async def _post(
        self,
        client: httpx.AsyncClient,
        delivery_id: uuid.UUID,
        url: str,
        body: str,
        signing: list[str],
        now: datetime,
    ) -> Outcome:
        headers = webhooks.headers(str(delivery_id), now, body, signing)
        return await post_checked(
            client, url, body.encode(), headers, self.allow_local, self.timeout_seconds
        )

    def _record(self, row: WebhookDelivery, hook: Webhook, outcome: Outcome, now: datetime) -> None:
        row.claimed_until = None
        row.attempts += 1
        row.response_status = outcome.status
        if outcome.error is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
            hook.dead_in_a_row = 0
            return
        row.last_error = outcome.error[:500]
        if outcome.status == 410:
            row.status = "dead"
            hook.enabled, hook.disabled_reason = False, "the receiver answered 410 Gone"
        elif row.attempts >= self.max_attempts:
            row.status = "dead"
            hook.dead_in_a_row += 1
            if hook.dead_in_a_row >= webhooks.DISABLE_AFTER_DEAD and hook.enabled:
                hook.enabled = False
                hook.disabled_reason = f"{hook.dead_in_a_row} deliveries in a row were given up"
        else:
            row.status = "failed"
            row.next_attempt_at = now + retry_after(row.attempts)
        log.warning(
            "notifications.webhook_failed",
            delivery_id=str(row.id),
            webhook_id=str(hook.id),
            status=outcome.status,
            reason=row.last_error,
        )


@dataclass(frozen=True)
class PushSender:
    """Sends due Web Push deliveries the way `WebhookSender` sends webhooks (claimed, POSTed
    concurrently outside a transaction, recorded): each message sealed for its subscription
    (aes128gcm), signed for the push service with VAPID. 201 delivered; 404 or 410 mean the
    subscription is gone (deleted, with its queue); 429 and the rest are tried again with
    backoff and given up after `max_attempts`."""

    timeout_seconds: float
    max_attempts: int
    allow_local: bool
    key: ec.EllipticCurvePrivateKey
    subject: str

    async def __call__(self, db: Database, now: datetime) -> int:
        async with db.transaction(write=False) as session:
            if not await PushRepository(session).any_due(now):
                return 0
        async with db.transaction() as session:
            claimed = await PushRepository(session).claim_due(now, now + CLAIM, BATCH)
            outgoing = [
                (row.id, sub.endpoint, sub.p256dh, sub.auth, row.body) for row, sub in claimed
            ]
        if not outgoing:
            return 0
        async with httpx.AsyncClient(
            timeout=self.timeout_seconds, follow_redirects=False
        ) as client:
            results = await asyncio.gather(*(self._post(client, *item, now) for item in outgoing))
        outcomes = {item[0]: outcome for item, outcome in zip(outgoing, results, strict=True)}
        async with db.transaction() as session:
            repo = PushRepository(session)
            for row, sub in await repo.with_subscriptions(list(outcomes)):
                await self._record(repo, row, sub, outcomes[row.id], now)
        return len(outcomes)

    async def _post(
        self,
        client: httpx.AsyncClient,
        delivery_id: uuid.UUID,
        endpoint: str,
        p256dh: str,
        auth: str,
        body: str,
        now: datetime,
    ) -> Outcome:
        headers = {
            "Authorization": push.authorization(endpoint, self.key, self.subject, now),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(push.TTL_SECONDS),
            "Urgency": "normal",
        }
        sealed = push.encrypt(body.encode(), p256dh, auth)
        return await post_checked(
            client, endpoint, sealed, headers, self.allow_local, self.timeout_seconds
        )

    async def _record(
        self,
        repo: PushRepository,
        row: PushDelivery,
        sub: PushSubscription,
        outcome: Outcome,
        now: datetime,
    ) -> None:
        row.claimed_until = None
        row.attempts += 1
        row.response_status = outcome.status
        if outcome.error is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
            sub.last_sent_at = now
            return
        row.last_error = outcome.error[:500]
        if outcome.status in (404, 410):
            # the browser unsubscribed or the subscription expired: forget it
            log.info("notifications.push_subscription_gone", subscription_id=str(sub.id))
            await repo.delete(sub)
            return
        if row.attempts >= self.max_attempts:
            row.status = "dead"
        else:
            row.status = "failed"
            row.next_attempt_at = now + retry_after(row.attempts)
        log.warning(
            "notifications.push_failed",
            delivery_id=str(row.id),
            status=outcome.status,
            reason=row.last_error,
        )


async def post_checked(
    client: httpx.AsyncClient,
    url: str,
    content: bytes,
    headers: dict[str, str],
    allow_local: bool,
    timeout_seconds: float,
) -> Outcome:
    """POST to a URL a user gave (a webhook, a push endpoint): unless `allow_local`, only to a
    public address, the one that was checked (`pinned`); 2xx delivered, anything else an
    outcome to record, never an exception."""
    extensions: dict[str, str] = {}
    try:
        if not allow_local:
            address = await asyncio.wait_for(_check_resolved(url), timeout_seconds)
            url, headers["Host"], sni = pinned(url, address)
            if sni:
                extensions["sni_hostname"] = sni
        response = await client.post(url, content=content, headers=headers, extensions=extensions)
    except webhooks.TargetRefused as exc:
        return Outcome(None, str(exc))
    except TimeoutError:
        return Outcome(None, "the receiver's name did not resolve in time")
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, None)
    return Outcome(response.status_code, f"the receiver answered {response.status_code}")


# receivers' names are resolved on threads of their own: a slow resolver (a name that never
# answers) must not take the threads the rest of the process runs blocking work on
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="navio-webhook-dns")


def _signing(hook: Webhook, now: datetime) -> list[str]:
    if hook.previous_secret and hook.previous_until and hook.previous_until > now:
        return [hook.secret, hook.previous_secret]
    return [hook.secret]


async def _check_resolved(url: str) -> str:
    """Every address the host resolves to must be public (checked again at each delivery: a
    name can be pointed elsewhere after the endpoint was saved); the first is returned, and
    the delivery goes to that very address (`pinned`)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().run_in_executor(
            _RESOLVER, partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        )
    except OSError as exc:
        raise webhooks.TargetRefused(f"{host} does not resolve: {exc}") from exc
    if not found or not all(webhooks.public_address(str(info[4][0])) for info in found):
        raise webhooks.TargetRefused(f"{host} resolves to a private address")
    return str(found[0][4][0])


def pinned(url: str, address: str) -> tuple[str, str, str | None]:
    """(the URL with `address` for its host, the Host header, the TLS server name): the
    connection goes to the address that was checked. Letting the client resolve the name again
    would let a name that answers a public address to the check and a private one to the
    connection (DNS rebinding) reach inside; the name still goes in the Host header and the
    TLS handshake, so virtual hosts and certificates work as with the name."""
    parts = urlsplit(url)
    name = parts.hostname or ""
    ip = ipaddress.ip_address(address)
    literal = f"[{ip.compressed}]" if ip.version == 6 else ip.compressed
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host = parts.netloc.rsplit("@", 1)[-1]
    sni = name if parts.scheme == "https" else None
    return urlunsplit(parts._replace(netloc=netloc)), host, sni
