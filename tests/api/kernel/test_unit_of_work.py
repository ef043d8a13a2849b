"""What a unit of work runs once it has committed, and what it never runs."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from structlog.testing import capture_logs

from navio.iam.events import EmailVerified
from navio.kernel.db import Database
from navio.kernel.events import OutboxEvent
from navio.kernel.uow import UnitOfWork


async def _stored(db: Database, event_id: uuid.UUID) -> int:
    """Rows with that id, as another connection sees them (committed data only)."""
    async with db.transaction(write=False) as session:
        count = await session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.id == event_id)
        )
        return int(count or 0)


async def test_hooks_run_in_order_once_the_change_is_visible_to_others(app: FastAPI) -> None:
    db: Database = app.state.db
    seen: list[tuple[str, int]] = []
    async with UnitOfWork(db, write=True) as uow:
        event_id = uow.events.record(EmailVerified(user_id=uuid.uuid4()))

        async def first() -> None:
            seen.append(("first", await _stored(db, event_id)))

        async def second() -> None:
            seen.append(("second", await _stored(db, event_id)))

        uow.after_commit(first)
        uow.after_commit(second)
        await uow.session.flush()
        assert seen == []
    assert seen == [("first", 1), ("second", 1)]


async def test_hooks_never_run_when_the_work_rolls_back(app: FastAPI) -> None:
    db: Database = app.state.db
    ran: list[str] = []

    async def hook() -> None:
        ran.append("hook")

    event_id = uuid.uuid4()

    async def handler_that_fails() -> None:
        nonlocal event_id
        async with UnitOfWork(db, write=True) as uow:
            event_id = uow.events.record(EmailVerified(user_id=uuid.uuid4()))
            uow.after_commit(hook)
            await uow.session.flush()
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError, match="the handler failed"):
        await handler_that_fails()
    assert ran == []
    assert await _stored(db, event_id) == 0


async def test_a_failing_hook_is_logged_and_the_others_still_run(app: FastAPI) -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise ConnectionError("cache unreachable")

    async def after() -> None:
        ran.append("after")

    with capture_logs() as logs:
        async with UnitOfWork(app.state.db, write=True) as uow:
            uow.after_commit(broken)
            uow.after_commit(after)
    assert ran == ["after"]
    failed = [e for e in logs if e["event"] == "after_commit_failed"]
    assert len(failed) == 1 and failed[0]["log_level"] == "error"
    assert failed[0]["hook"].endswith("broken")


async def test_hooks_run_once_even_without_a_session(app: FastAPI) -> None:
    ran: list[str] = []

    async def hook() -> None:
        ran.append("hook")

    uow = UnitOfWork(app.state.db, write=False)
    uow.after_commit(hook)
    await uow.commit()
    await uow.commit()
    assert ran == ["hook"]
