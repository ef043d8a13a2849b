from navio.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "Invalid email or password"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "Invalid or expired token"


class RefreshTokenReused(Unauthorized):
    code = "refresh_token_reused"
    title = "Refresh token reuse detected; all sessions of this login were revoked"
    keeps_changes = True


class InvalidMfaCode(Unauthorized):
    code = "invalid_mfa_code"
    title = "Invalid two-factor code"


class AccountDisabled(Forbidden):
    code = "account_disabled"
    title = "Account disabled"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "Email already registered"


class WeakPassword(InvalidInput):
    code = "weak_password"
    title = "Password does not meet the policy"


class MfaAlreadyEnabled(Conflict):
    code = "mfa_already_enabled"
    title = "Two-factor authentication is already enabled"


class MfaNotEnabled(Conflict):
    code = "mfa_not_enabled"
    title = "Two-factor authentication is not enabled"


class MfaNotPending(Conflict):
    code = "mfa_not_pending"
    title = "Call /auth/2fa/enable first"


class PermissionDenied(Forbidden):
    code = "permission_denied"
    title = "Permission denied"


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "User not found"


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    title = "Organization not found"


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "Member not found"


class AlreadyMember(Conflict):
    code = "already_member"
    title = "User is already a member"


class LastOwner(Conflict):
    code = "last_owner"
    title = "An organization needs at least one owner"


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"
    title = "Email already verified"


__all__ = [
    "AccountDisabled",
    "AlreadyMember",
    "DomainError",
    "EmailAlreadyVerified",
    "EmailTaken",
    "InvalidCredentials",
    "InvalidMfaCode",
    "InvalidToken",
    "LastOwner",
    "MemberNotFound",
    "MfaAlreadyEnabled",
    "MfaNotEnabled",
    "MfaNotPending",
    "OrganizationNotFound",
    "PermissionDenied",
    "RefreshTokenReused",
    "UserNotFound",
    "WeakPassword",
]
