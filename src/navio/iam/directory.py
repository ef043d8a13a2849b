"""What other contexts may know of users: who an email belongs to, and names for display."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from navio.iam.models import User
from navio.kernel.db import SessionSource, resolve_session


@dataclass(frozen=True, slots=True)
class UserCard:
    id: uuid.UUID
    email: str
    display_name: str


async def user_by_email(source: SessionSource, email: str) -> UserCard | None:
    session = resolve_session(source)
    row = (
        await session.execute(
            select(User.id, User.email, User.display_name).where(
                User.email == email.strip().lower(),
                User.is_active.is_(True),  # stored lower-case
            )
        )
    ).first()
    return None if row is None else UserCard(*row)


async def user_cards(source: SessionSource, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, UserCard]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    session = resolve_session(source)
    rows = await session.execute(
        select(User.id, User.email, User.display_name).where(User.id.in_(wanted))
    )
    return {row[0]: UserCard(*row) for row in rows.all()}
