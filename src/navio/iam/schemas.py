from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from navio.iam.domain import MAX_PASSWORD, OrgRole, Role

Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD)]
TotpCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
RecoveryCodeStr = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9]{5}-?[A-Za-z0-9]{5}$")
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
OpaqueToken = Annotated[str, StringConstraints(min_length=16, max_length=512)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(StrictModel):
    email: EmailStr
    password: Password
    display_name: DisplayName


class LoginRequest(StrictModel):
    email: EmailStr
    password: Password


class MfaLoginRequest(StrictModel):
    mfa_token: OpaqueToken
    code: TotpCode | None = None
    recovery_code: RecoveryCodeStr | None = None


class RefreshRequest(StrictModel):
    refresh_token: OpaqueToken


class LogoutRequest(StrictModel):
    refresh_token: OpaqueToken | None = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class MfaChallenge(BaseModel):
    mfa_required: Literal[True] = True
    mfa_token: str
    methods: list[str] = ["totp", "recovery_code"]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str
    email_verified: bool
    mfa_enabled: bool
    roles: list[str]
    created_at: datetime


class OrgMembershipRead(BaseModel):
    organization_id: uuid.UUID
    role: str
    permissions: list[str]


class PermissionsRead(BaseModel):
    roles: list[str]
    permissions: list[str]
    organizations: list[OrgMembershipRead]


class PasswordChangeRequest(StrictModel):
    current_password: Password
    new_password: Password


class PasswordResetRequest(StrictModel):
    email: EmailStr


class PasswordResetConfirm(StrictModel):
    token: OpaqueToken
    new_password: Password


class EmailVerifyConfirm(StrictModel):
    token: OpaqueToken


class TotpSetup(BaseModel):
    secret: str
    otpauth_uri: str


class TotpVerifyRequest(StrictModel):
    code: TotpCode


class TotpDisableRequest(StrictModel):
    password: Password
    code: TotpCode | None = None
    recovery_code: RecoveryCodeStr | None = None


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


class RolesUpdate(StrictModel):
    roles: list[Role] = Field(min_length=1, max_length=4)


class OrganizationCreate(StrictModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    slug: (
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")] | None
    ) = None


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    created_at: datetime
    my_role: str | None = None


class MemberAdd(StrictModel):
    email: EmailStr
    role: OrgRole = OrgRole.MEMBER


class MemberUpdate(StrictModel):
    role: OrgRole


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    display_name: str
    role: str
    created_at: datetime
