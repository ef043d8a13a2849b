"""Token machinery shared by every request: JWT codec, revocation list, limits, hasher."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from navio.iam.domain import Principal, permissions_for
from navio.iam.errors import InvalidToken
from navio.kernel.cache import Cache, SingleFlight
from navio.kernel.ratelimit import Limit, RateLimiter
from navio.kernel.security import JwtCodec, PasswordHasher, SecretBox, TokenClaims, TokenError

ACCESS = "access"
PRINCIPAL_MEMO = 50_000
MFA = "mfa"


class RevocationList:
    """Revoked access-token ids, token families and per-user generations, in the cache.

    The database keeps a durable copy (iam_revocation) that is loaded into the cache at start,
    so an embedded process that restarts, or a Redis that was flushed, forgets nothing."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    @staticmethod
    def jti_key(jti: str) -> str:
        return f"rev:jti:{jti}"

    @staticmethod
    def family_key(family_id: uuid.UUID | str) -> str:
        return f"rev:fam:{family_id}"

    @staticmethod
    def user_key(user_id: uuid.UUID | str) -> str:
        return f"rev:user:{user_id}"

    async def put(self, key: str, value: str, expires_at: datetime) -> None:
        ttl = (expires_at - datetime.now(UTC)).total_seconds()
        if ttl > 0:
            await self._cache.set(key, value.encode(), ttl_seconds=ttl)

    async def is_revoked(self, claims: TokenClaims) -> bool:
        keys = [self.jti_key(claims.jti)]
        family = claims.extra.get("fam")
        if family:
            keys.append(self.family_key(family))
        if await self._cache.exists_any(keys):
            return True
        generation = await self._cache.get(self.user_key(claims.subject))
        return generation is not None and int(claims.extra.get("gen", 0)) < int(generation)


@dataclass
class IamRuntime:
    """Process-wide IAM collaborators, built once in the composition root."""

    codec: JwtCodec
    hasher: PasswordHasher
    cache: Cache
    totp_box: SecretBox
    revocations: RevocationList
    limiter: RateLimiter
    access_ttl: timedelta
    refresh_ttl: timedelta
    mfa_ttl: timedelta
    reset_ttl: timedelta
    verify_ttl: timedelta
    login_account: Limit
    login_ip: Limit
    mfa_account: Limit
    mfa_ip: Limit
    reset_account: Limit
    # Principals of verified tokens by token id (the claims behind a jti never change).
    _principals: OrderedDict[str, Principal] = field(default_factory=OrderedDict)
    # Loads of `/auth/me` in progress, by cache key (one per user however many requests wait).
    me_flights: SingleFlight = field(default_factory=SingleFlight)

    async def authenticate(self, token: str) -> Principal:
        try:
            claims = self.codec.decode(token, ACCESS)
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        if await self.revocations.is_revoked(claims):
            raise InvalidToken("token revoked")
        principal = self._principals.get(claims.jti)
        if principal is None:
            principal = self._principal(claims)
            self._principals[claims.jti] = principal
            if len(self._principals) > PRINCIPAL_MEMO:
                self._principals.popitem(last=False)
        return principal

    @staticmethod
    def _principal(claims: TokenClaims) -> Principal:
        roles = frozenset(str(r) for r in claims.extra.get("roles", []))
        family = claims.extra.get("fam")
        try:
            user_id = uuid.UUID(claims.subject)
            family_id = uuid.UUID(family) if family else None
        except ValueError as exc:
            raise InvalidToken("invalid token") from exc
        return Principal(
            user_id=user_id,
            roles=roles,
            permissions=permissions_for(roles),
            token_id=claims.jti,
            family_id=family_id,
            expires_at=claims.expires_at,
        )
