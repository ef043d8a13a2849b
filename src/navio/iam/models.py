from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "iam_user"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(255), default=None)
    totp_pending_sealed: Mapped[str | None] = mapped_column(String(255), default=None)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Bumped when every access token issued so far must stop working (password, roles).
    token_generation: Mapped[int] = mapped_column(Integer, default=0)


class UserRole(Base):
    __tablename__ = "iam_user_role"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("iam_user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class RefreshToken(IdMixin, Base):
    __tablename__ = "iam_refresh_token"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("iam_user.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_iam_refresh_token_user_id", "user_id"),)


class RecoveryCode(IdMixin, Base):
    __tablename__ = "iam_recovery_code"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("iam_user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class ActionToken(IdMixin, Base):
    """Single-use tokens mailed to the user: password reset, email verification."""

    __tablename__ = "iam_action_token"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("iam_user.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]


class Revocation(IdMixin, Base):
    """Durable copy of the revocation list (access-token ids, token families, user cut-offs)."""

    __tablename__ = "iam_revocation"

    key: Mapped[str] = mapped_column(String(120), unique=True)
    value: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "iam_organization"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)


class Membership(TimestampMixin, Base):
    __tablename__ = "iam_membership"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("iam_organization.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("iam_user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32))

    __table_args__ = (Index("ix_iam_membership_user_id", "user_id"),)
