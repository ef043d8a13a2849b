"""Pure IAM rules: roles, permissions, password policy. No I/O."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    TRAVELER = "traveler"
    OPERATOR = "operator"
    STAFF = "staff"
    ADMIN = "admin"


class OrgRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class Permission(StrEnum):
    PROFILE_READ = "profile:read"
    PROFILE_WRITE = "profile:write"
    TRIP_CREATE = "trip:create"
    BOOKING_CREATE = "booking:create"
    ORG_CREATE = "org:create"
    LISTING_MANAGE = "listing:manage"
    STATION_MANAGE = "station:manage"
    STATION_OPERATE = "station:operate"
    SEARCH_INDEX = "search:index"
    USER_READ_ANY = "user:read_any"
    USER_MANAGE = "user:manage"
    ROLE_ASSIGN = "role:assign"
    ORG_READ_ANY = "org:read_any"
    BUDGET_DEFAULTS = "budget:defaults"
    EXPERIMENT_MANAGE = "experiment:manage"
    WEBHOOK_MANAGE = "webhook:manage"


class OrgPermission(StrEnum):
    READ = "org:read"
    MANAGE_MEMBERS = "org:manage_members"
    MANAGE = "org:manage"
    TRANSFER = "org:transfer"


_TRAVELER = frozenset(
    {
        Permission.PROFILE_READ,
        Permission.PROFILE_WRITE,
        Permission.TRIP_CREATE,
        Permission.BOOKING_CREATE,
        Permission.ORG_CREATE,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TRAVELER: _TRAVELER,
    Role.OPERATOR: _TRAVELER
    | {
        Permission.LISTING_MANAGE,
        Permission.STATION_MANAGE,
        Permission.SEARCH_INDEX,
        Permission.WEBHOOK_MANAGE,
    },
    Role.STAFF: _TRAVELER | {Permission.STATION_OPERATE},
    Role.ADMIN: frozenset(Permission),
}

ORG_ROLE_PERMISSIONS: dict[OrgRole, frozenset[OrgPermission]] = {
    OrgRole.MEMBER: frozenset({OrgPermission.READ}),
    OrgRole.ADMIN: frozenset({OrgPermission.READ, OrgPermission.MANAGE_MEMBERS}),
    OrgRole.OWNER: frozenset(OrgPermission),
}


def permissions_for(roles: set[str] | frozenset[str]) -> frozenset[str]:
    granted: set[str] = set()
    for name in roles:
        try:
            granted |= {p.value for p in ROLE_PERMISSIONS[Role(name)]}
        except ValueError:
            continue
    return frozenset(granted)


def org_permissions_for(role: str) -> frozenset[str]:
    try:
        return frozenset(p.value for p in ORG_ROLE_PERMISSIONS[OrgRole(role)])
    except ValueError:
        return frozenset()


MIN_PASSWORD = 10
MAX_PASSWORD = 128


def password_problems(password: str, email: str) -> list[str]:
    """NIST SP 800-63B style: length over composition rules; refuse the obvious."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        problems.append(f"must be at most {MAX_PASSWORD} characters")
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in password.lower():
        problems.append("must not contain your email name")
    if len(set(password)) < 4:
        problems.append("must use at least 4 different characters")
    return problems


_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    slug = _SLUG.sub("-", name.lower()).strip("-")
    return slug[:60] or "org"


TOTP_ISSUER = "Navio"
RECOVERY_CODES = 10


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, built from a verified access token."""

    user_id: uuid.UUID
    roles: frozenset[str]
    permissions: frozenset[str]
    token_id: str
    family_id: uuid.UUID | None
    expires_at: datetime

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN.value in self.roles
