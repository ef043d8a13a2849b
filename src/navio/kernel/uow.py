"""Unit of work: one transaction per request or job, committed before the response is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel import idempotency
from navio.kernel.db import Database
from navio.kernel.errors import DomainError
from navio.kernel.events import EventRecorder

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

log = structlog.get_logger(__name__)

AfterCommit = Callable[[], Awaitable[None]]


class UnitOfWork:
    """Lazily opens a session; the owner (route wrapper or job runner) commits or rolls back."""

    def __init__(self, db: Database, *, write: bool, on_events: Callable[[], None] | None = None):
        self._db = db
        self._write = write
        self._session: AsyncSession | None = None
        self._events: EventRecorder | None = None
        self._on_events = on_events
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, hook: AfterCommit) -> None:
        """Run `hook` once this unit of work has committed (never if it rolls back).

        For what must not happen before others can read the change, such as dropping a cache
        entry a concurrent reader could otherwise fill again with the data before it. The
        change is durable by then: a hook that fails is logged, not raised."""
        self._after_commit.append(hook)

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._db.session(write=self._write)
        return self._session

    def session_source(self) -> AsyncSession:
        return self.session

    @property
    def events(self) -> EventRecorder:
        if self._events is None:
            self._events = EventRecorder(self.session_source)
        return self._events

    async def commit(self) -> None:
        if self._session is not None:
            try:
                await self._session.commit()
            finally:
                await self._session.close()
                self._session = None
        if self._events is not None and self._events.recorded and self._on_events:
            self._on_events()
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            try:
                await hook()
            except Exception:
                log.exception("after_commit_failed", hook=getattr(hook, "__qualname__", repr(hook)))

    async def rollback(self) -> None:
        self._after_commit = []
        if self._session is None:
            return
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None or (isinstance(exc, DomainError) and exc.keeps_changes):
            await self.commit()
        else:
            await self.rollback()


def uow_factory(request: Request) -> UnitOfWork:
    state = request.app.state
    relay = getattr(state, "relay", None)
    return UnitOfWork(
        state.db,
        write=request.method not in SAFE_METHODS,
        on_events=relay.wake if relay is not None and relay.running else None,
    )


class UnitOfWorkRoute(APIRoute):
    """Wraps every endpoint: the transaction commits after the handler (and its serialisation)
    succeeds and before the response is sent; any error rolls everything back."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            key = request.headers.get(idempotency.HEADER)
            if key is not None and request.method not in SAFE_METHODS:
                return await _idempotent(request, key, original)
            uow = uow_factory(request)
            request.state.uow = uow
            async with uow:
                return await original(request)

        return handler


async def _render(request: Request, exc: Exception) -> Response:
    """The response the app's exception handlers give for `exc`."""
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        if cls in handlers:
            response: Response = await handlers[cls](request, exc)
            return response
    raise exc


async def _idempotent(
    request: Request, key: str, original: Callable[[Request], Coroutine[Any, Any, Response]]
) -> Response:
    state = request.app.state
    scope_of: idempotency.Scope = getattr(state, "idempotency_scope", idempotency.anonymous_scope)
    scope = await scope_of(request)
    if scope is None:  # credentials that do not authenticate: the request will say so
        uow = uow_factory(request)
        request.state.uow = uow
        async with uow:
            return await original(request)
    body = await request.body()
    digest = idempotency.request_digest(request.method, request.url.path, request.url.query, body)
    db: Database = state.db
    replay = await idempotency.claim(
        db, scope, key, digest, request.method, request.url.path, state.clock.now()
    )
    if replay is not None:
        return replay
    uow = uow_factory(request)
    request.state.uow = uow
    try:
        async with uow:
            response = await original(request)
            if response.status_code < 500:
                await idempotency.record(uow.session, scope, key, response)
            return response
    except (DomainError, RequestValidationError) as exc:
        # nothing was written (or, keeps_changes, it was committed): the answer is final
        response = await _render(request, exc)
        await idempotency.record_alone(db, scope, key, response)
        return response
    except BaseException:
        await idempotency.release(db, scope, key)
        raise
