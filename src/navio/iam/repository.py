"""Every IAM query. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, tuple_, update

from navio.iam.models import (
    ActionToken,
    Membership,
    Organization,
    RecoveryCode,
    RefreshToken,
    Revocation,
    User,
    UserRole,
)
from navio.kernel.db import Repository
from navio.kernel.pagination import Cursor


class IamRepository(Repository):
    # users
    async def user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def active_user_card(self, email: str) -> tuple[uuid.UUID, str, str] | None:
        row = (
            await self.session.execute(
                select(User.id, User.email, User.display_name).where(
                    User.email == email, User.is_active.is_(True)
                )
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def user_cards(self, ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, str, str]]:
        rows = await self.session.execute(
            select(User.id, User.email, User.display_name).where(User.id.in_(list(ids)))
        )
        return [(r[0], r[1], r[2]) for r in rows.all()]

    async def user(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def add(self, obj: object) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def roles(self, user_id: uuid.UUID) -> list[str]:
        rows = await self.session.scalars(
            select(UserRole.role).where(UserRole.user_id == user_id).order_by(UserRole.role)
        )
        return list(rows)

    async def set_roles(self, user_id: uuid.UUID, roles: Sequence[str]) -> None:
        await self.session.execute(delete(UserRole).where(UserRole.user_id == user_id))
        self.session.add_all(UserRole(user_id=user_id, role=r) for r in sorted(set(roles)))
        await self.session.flush()

    async def users_page(self, limit: int, after: Cursor | None) -> list[User]:
        query = select(User).order_by(User.created_at, User.id).limit(limit)
        if after is not None:
            query = query.where(tuple_(User.created_at, User.id) > (after.created_at, after.id))
        return list(await self.session.scalars(query))

    # refresh tokens
    async def refresh_token(self, token_id: uuid.UUID) -> RefreshToken | None:
        return await self.session.get(RefreshToken, token_id, with_for_update=True)

    async def revoke_family(self, family_id: uuid.UUID, at: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def live_families(
        self, user_id: uuid.UUID, now: datetime
    ) -> list[tuple[uuid.UUID, datetime]]:
        rows = await self.session.execute(
            select(RefreshToken.family_id, func.max(RefreshToken.expires_at))
            .where(
                RefreshToken.user_id == user_id,
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .group_by(RefreshToken.family_id)
        )
        return [(fid, exp) for fid, exp in rows.all()]

    async def revoke_user_tokens(self, user_id: uuid.UUID, at: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    # recovery codes
    async def replace_recovery_codes(self, user_id: uuid.UUID, hashes: list[str]) -> None:
        await self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        self.session.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in hashes)
        await self.session.flush()

    async def unused_recovery_code(self, user_id: uuid.UUID, code_hash: str) -> RecoveryCode | None:
        return await self.session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
        )

    # action tokens
    async def action_token(self, token_hash: str, purpose: str) -> ActionToken | None:
        return await self.session.scalar(
            select(ActionToken).where(
                ActionToken.token_hash == token_hash, ActionToken.purpose == purpose
            )
        )

    async def expire_action_tokens(self, user_id: uuid.UUID, purpose: str, at: datetime) -> None:
        await self.session.execute(
            update(ActionToken)
            .where(
                ActionToken.user_id == user_id,
                ActionToken.purpose == purpose,
                ActionToken.used_at.is_(None),
            )
            .values(used_at=at)
        )

    # revocations
    async def upsert_revocation(self, key: str, value: str, expires_at: datetime) -> None:
        row = await self.session.scalar(select(Revocation).where(Revocation.key == key))
        if row is None:
            self.session.add(Revocation(key=key, value=value, expires_at=expires_at))
        else:
            row.value = value
            row.expires_at = max(row.expires_at, expires_at)
        await self.session.flush()

    async def live_revocations(self, now: datetime) -> list[Revocation]:
        return list(
            await self.session.scalars(select(Revocation).where(Revocation.expires_at > now))
        )

    async def purge_revocations(self, now: datetime) -> None:
        await self.session.execute(delete(Revocation).where(Revocation.expires_at <= now))

    # organizations
    async def organization(self, org_id: uuid.UUID) -> Organization | None:
        return await self.session.get(Organization, org_id)

    async def slug_taken(self, slug: str) -> bool:
        return (
            await self.session.scalar(select(Organization.id).where(Organization.slug == slug))
        ) is not None

    async def membership(self, org_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
        return await self.session.get(Membership, (org_id, user_id))

    async def memberships_of(self, user_id: uuid.UUID) -> list[Membership]:
        return list(
            await self.session.scalars(
                select(Membership)
                .where(Membership.user_id == user_id)
                .order_by(Membership.created_at)
            )
        )

    async def organizations_of(self, user_id: uuid.UUID) -> list[tuple[Organization, str]]:
        rows = await self.session.execute(
            select(Organization, Membership.role)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user_id)
            .order_by(Organization.created_at, Organization.id)
        )
        return [(org, role) for org, role in rows.all()]

    async def members(
        self, org_id: uuid.UUID, limit: int, after: Cursor | None
    ) -> list[tuple[Membership, User]]:
        query = (
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org_id)
            .order_by(Membership.created_at, Membership.user_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(
                or_(
                    Membership.created_at > after.created_at,
                    (Membership.created_at == after.created_at) & (Membership.user_id > after.id),
                )
            )
        rows = await self.session.execute(query)
        return [(m, u) for m, u in rows.all()]

    async def owner_count(self, org_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organization_id == org_id, Membership.role == "owner")
        )
        return int(count or 0)

    async def delete(self, obj: object) -> None:
        await self.session.delete(obj)
        await self.session.flush()
