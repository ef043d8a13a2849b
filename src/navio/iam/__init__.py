"""Identity & access: users, tokens, roles & permissions, organizations, TOTP 2FA.

Other contexts import only from here."""

from navio.iam.deps import (
    ClientIp,
    CurrentPrincipal,
    MaybePrincipal,
    current_principal,
    optional_principal,
    require_permission,
    socket_principal,
)
from navio.iam.directory import UserCard, user_by_email, user_cards
from navio.iam.domain import Permission, Principal, Role
from navio.iam.errors import PermissionDenied
from navio.iam.events import (
    EmailVerificationRequested,
    PasswordChanged,
    PasswordResetRequested,
    RefreshTokenReuseDetected,
    TwoFactorDisabled,
    TwoFactorEnabled,
)

__all__ = [
    "ClientIp",
    "CurrentPrincipal",
    "EmailVerificationRequested",
    "MaybePrincipal",
    "PasswordChanged",
    "PasswordResetRequested",
    "Permission",
    "PermissionDenied",
    "Principal",
    "RefreshTokenReuseDetected",
    "Role",
    "TwoFactorDisabled",
    "TwoFactorEnabled",
    "UserCard",
    "current_principal",
    "optional_principal",
    "require_permission",
    "socket_principal",
    "user_by_email",
    "user_cards",
]
