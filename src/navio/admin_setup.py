"""Account bootstrap used by the CLI (`navio users create-admin`, `navio demo`)."""

from __future__ import annotations

import uuid

from navio.iam.domain import Role
from navio.iam.repository import IamRepository
from navio.iam.schemas import RegisterRequest
from navio.iam.service import IamService
from navio.kernel.cache import MemoryCache
from navio.kernel.clock import Clock
from navio.kernel.db import Database, create_engine
from navio.kernel.uow import UnitOfWork
from navio.main import build_iam_runtime
from navio.settings import Settings


async def create_user(
    settings: Settings, email: str, password: str, display_name: str, roles: list[Role]
) -> uuid.UUID | None:
    """Create the account unless the email exists; returns the new id or None."""
    # The same validation as the HTTP API (raises pydantic.ValidationError).
    RegisterRequest(email=email, password=password, display_name=display_name)
    db = Database(create_engine(settings.database_url))
    try:
        async with UnitOfWork(db, write=True) as uow:
            repo = IamRepository(uow.session)
            if await repo.user_by_email(email.strip().lower()) is not None:
                return None
            runtime = build_iam_runtime(settings, MemoryCache())
            service = IamService(repo, uow.events, runtime, Clock(), uow.after_commit)
            user = await service.register(email, password, display_name, roles=roles)
            return user.id
    finally:
        await db.dispose()


async def create_admin_user(
    settings: Settings, email: str, password: str, display_name: str
) -> uuid.UUID:
    user_id = await create_user(
        settings, email, password, display_name, [Role.ADMIN, Role.TRAVELER]
    )
    if user_id is None:
        raise ValueError(f"{email} is already registered")
    return user_id
