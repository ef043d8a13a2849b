"""Every profiles query. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text, tuple_, update

from navio.kernel.db import Repository
from navio.kernel.pagination import Cursor
from navio.profiles.models import PaymentMethod, Preferences, Profile, SavedPlace


class ProfilesRepository(Repository):
    async def lock_user(self, user_id: uuid.UUID) -> None:
        """Serialise one user's writes that check-then-act (default card, caps).

        PostgreSQL: a transaction-scoped advisory lock. SQLite: writers already hold the
        database write lock from BEGIN IMMEDIATE."""
        if self.session.get_bind().dialect.name == "postgresql":
            key = int.from_bytes(user_id.bytes[:8], "big", signed=True)
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    async def profile(self, user_id: uuid.UUID) -> Profile | None:
        return await self.session.get(Profile, user_id)

    async def preferences(self, user_id: uuid.UUID) -> Preferences | None:
        return await self.session.get(Preferences, user_id)

    async def add(self, obj: object) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def delete(self, obj: object) -> None:
        await self.session.delete(obj)
        await self.session.flush()

    async def saved_place(self, user_id: uuid.UUID, place_id: uuid.UUID) -> SavedPlace | None:
        return await self.session.scalar(
            select(SavedPlace).where(SavedPlace.id == place_id, SavedPlace.user_id == user_id)
        )

    async def saved_places(
        self, user_id: uuid.UUID, limit: int, after: Cursor | None
    ) -> list[SavedPlace]:
        query = (
            select(SavedPlace)
            .where(SavedPlace.user_id == user_id)
            .order_by(SavedPlace.created_at, SavedPlace.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(
                tuple_(SavedPlace.created_at, SavedPlace.id) > (after.created_at, after.id)
            )
        return list(await self.session.scalars(query))

    async def saved_place_count(self, user_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(SavedPlace).where(SavedPlace.user_id == user_id)
        )
        return int(count or 0)

    async def payment_method(self, user_id: uuid.UUID, pm_id: uuid.UUID) -> PaymentMethod | None:
        return await self.session.scalar(
            select(PaymentMethod).where(PaymentMethod.id == pm_id, PaymentMethod.user_id == user_id)
        )

    async def payment_method_by_token(self, provider: str, token: str) -> PaymentMethod | None:
        return await self.session.scalar(
            select(PaymentMethod).where(
                PaymentMethod.provider == provider, PaymentMethod.provider_token == token
            )
        )

    async def payment_methods(self, user_id: uuid.UUID) -> list[PaymentMethod]:
        return list(
            await self.session.scalars(
                select(PaymentMethod)
                .where(PaymentMethod.user_id == user_id)
                .order_by(PaymentMethod.created_at, PaymentMethod.id)
            )
        )

    async def clear_default(self, user_id: uuid.UUID) -> None:
        await self.session.execute(
            update(PaymentMethod)
            .where(PaymentMethod.user_id == user_id, PaymentMethod.is_default.is_(True))
            .values(is_default=False)
        )
