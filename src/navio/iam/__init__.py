"""Identity & access: users, tokens, roles & permissions, organizations, TOTP 2FA.

Other contexts import only from here."""

from navio.iam.deps import ClientIp, CurrentPrincipal, current_principal, require_permission
from navio.iam.domain import Permission, Principal, Role
from navio.iam.errors import PermissionDenied

__all__ = [
    "ClientIp",
    "CurrentPrincipal",
    "Permission",
    "PermissionDenied",
    "Principal",
    "Role",
    "current_principal",
    "require_permission",
]
