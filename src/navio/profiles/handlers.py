"""Idempotent subscribers to other contexts' events (delivered through the outbox)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.clock import Clock
from navio.kernel.events import Envelope, EventRecorder, HandlerRegistry
from navio.profiles.repository import ProfilesRepository
from navio.profiles.service import ProfilesService


async def on_user_registered(session: AsyncSession, envelope: Envelope) -> None:
    service = ProfilesService(ProfilesRepository(session), EventRecorder(session), Clock())
    await service.ensure_profile(
        uuid.UUID(envelope.payload["user_id"]), str(envelope.payload["display_name"])
    )


def register(registry: HandlerRegistry) -> None:
    registry.subscribe("iam.user_registered", "profiles.seed_profile", on_user_registered)
