"""What other contexts may know of users: who an email belongs to, and names for display."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from navio.iam.repository import IamRepository
from navio.kernel.db import SessionSource


@dataclass(frozen=True, slots=True)
class UserCard:
    id: uuid.UUID
    email: str
    display_name: str


async def user_by_email(source: SessionSource, email: str) -> UserCard | None:
    # e-mails are stored lower-case
    found = await IamRepository(source).active_user_card(email.strip().lower())
    return None if found is None else UserCard(*found)


async def user_cards(source: SessionSource, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, UserCard]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {row[0]: UserCard(*row) for row in await IamRepository(source).user_cards(wanted)}
