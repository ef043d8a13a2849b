"""Idempotency keys on every unsafe request, with Stripe's semantics.

A client sends `Idempotency-Key: <unique string>` with a POST, PUT, PATCH or DELETE. The first
request with a key runs; its response, errors included, is kept for 24 hours and replayed (with
`Idempotent-Replayed: true`) for every retry with the same key and the same request (method,
path, query and body). The same key with a different request is refused with 422
`idempotency_key_reused`; a retry while the first is still running gets 409
`idempotency_request_in_progress`. Keys belong to the caller (`scope`: the authenticated user,
else "anonymous"), so one user's key never replays another's response.

Exactly once: the key is claimed in its own short transaction (so concurrent duplicates see it),
and the stored response is written in the same transaction as the request's own changes — a
crash either keeps both or neither. A claim whose request died (its lease of 60 s ran out) is
taken over by the next retry. A 4xx answer changed nothing, so it is stored after the rollback;
a 5xx or a lost race (409 `concurrent_conflict`) is not stored: the key is released and the
client's retry runs again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request, Response
from sqlalchemy import Integer, LargeBinary, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, Database
from navio.kernel.errors import Conflict, InvalidInput

HEADER = "idempotency-key"
TTL = timedelta(hours=24)
LEASE = timedelta(seconds=60)
MAX_KEY = 255
KEPT_HEADERS = ("content-type", "location", "etag", "retry-after", "www-authenticate")


class IdempotencyKey(Base):
    __tablename__ = "kernel_idempotency_key"

    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2000))
    state: Mapped[str] = mapped_column(String(16))  # in_progress | done
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime] = mapped_column()


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    title = "Invalid Idempotency-Key"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was used for a different request"


class IdempotencyInProgress(Conflict):
    code = "idempotency_request_in_progress"
    title = "A request with this Idempotency-Key is still running"


def request_digest(method: str, path: str, query: str, body: bytes) -> str:
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        h.update(part)
        h.update(b"\0")
    h.update(body)
    return h.hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    headers = {k: v for k, v in row.headers.items() if k != "content-type"}
    headers["Idempotent-Replayed"] = "true"
    return Response(
        content=row.body or b"",
        status_code=row.status_code or 200,
        headers=headers,
        media_type=row.headers.get("content-type"),
    )


async def claim(
    db: Database,
    scope: str,
    key: str,
    digest: str,
    method: str,
    path: str,
    now: datetime,
) -> Response | None:
    """None: run the request (the key is now ours). A Response: replay it."""
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise InvalidIdempotencyKey(
            f"a printable string of 1 to {MAX_KEY} characters", field="Idempotency-Key"
        )
    try:
        async with db.transaction() as session:
            row = await session.get(IdempotencyKey, (scope, key), with_for_update=True)
            if row is not None and row.expires_at <= now:
                await session.delete(row)
                await session.flush()
                row = None
            if row is None:
                session.add(
                    IdempotencyKey(
                        scope=scope,
                        key=key,
                        request_hash=digest,
                        method=method,
                        path=path[:2000],
                        state="in_progress",
                        headers={},
                        created_at=now,
                        expires_at=now + TTL,
                        locked_until=now + LEASE,
                    )
                )
                return None
            if row.request_hash != digest:
                raise IdempotencyKeyReused(
                    f"first used for {row.method} {row.path}", field="Idempotency-Key"
                )
            if row.state == "done":
                return _replay(row)
            if row.locked_until > now:
                raise IdempotencyInProgress(headers={"Retry-After": "1"})
            row.locked_until = now + LEASE  # the first attempt died: take over
            return None
    except IntegrityError as exc:  # a concurrent first request inserted it just now
        raise IdempotencyInProgress(headers={"Retry-After": "1"}) from exc


def _response_parts(response: Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
    return response.status_code, bytes(getattr(response, "body", b"")), headers


async def record(session: AsyncSession, scope: str, key: str, response: Response) -> None:
    """Keep the answer, in the caller's transaction."""
    row = await session.get(IdempotencyKey, (scope, key))
    if row is None:  # expired and removed meanwhile: nothing to keep it in
        return
    row.status_code, row.body, row.headers = _response_parts(response)
    row.state = "done"
    await session.flush()


async def record_alone(db: Database, scope: str, key: str, response: Response) -> None:
    async with db.transaction() as session:
        await record(session, scope, key, response)


async def release(db: Database, scope: str, key: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.scope == scope,
                IdempotencyKey.key == key,
                IdempotencyKey.state == "in_progress",
            )
        )


async def purge_in(session: AsyncSession, now: datetime) -> int:
    """Forget keys past their 24 hours (a replay needs none older): the relays' hourly job."""
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_expired(db: Database, now: datetime) -> int:
    async with db.transaction() as session:
        return await purge_in(session, now)


Scope = Callable[[Request], Awaitable[str | None]]


async def anonymous_scope(request: Request) -> str | None:
    return "anonymous"
