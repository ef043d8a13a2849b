from __future__ import annotations

import uuid
from datetime import datetime

from navio.kernel.events import Event


class UserRegistered(Event):
    name = "iam.user_registered"
    user_id: uuid.UUID
    email: str
    display_name: str


class EmailVerificationRequested(Event):
    # Carries the one-time token: the notifications context mails it. Never logged.
    name = "iam.email_verification_requested"
    user_id: uuid.UUID
    email: str
    token: str
    expires_at: datetime


class EmailVerified(Event):
    name = "iam.email_verified"
    user_id: uuid.UUID


class PasswordResetRequested(Event):
    name = "iam.password_reset_requested"
    user_id: uuid.UUID
    email: str
    token: str
    expires_at: datetime


class PasswordChanged(Event):
    name = "iam.password_changed"
    user_id: uuid.UUID
    via_reset: bool


class TwoFactorEnabled(Event):
    name = "iam.two_factor_enabled"
    user_id: uuid.UUID


class TwoFactorDisabled(Event):
    name = "iam.two_factor_disabled"
    user_id: uuid.UUID


class RefreshTokenReuseDetected(Event):
    name = "iam.refresh_token_reuse_detected"
    user_id: uuid.UUID
    family_id: uuid.UUID


class RolesChanged(Event):
    name = "iam.roles_changed"
    user_id: uuid.UUID
    roles: list[str]
    changed_by: uuid.UUID


class OrganizationCreated(Event):
    name = "iam.organization_created"
    organization_id: uuid.UUID
    owner_id: uuid.UUID


class MembershipChanged(Event):
    name = "iam.membership_changed"
    organization_id: uuid.UUID
    user_id: uuid.UUID
    role: str | None
