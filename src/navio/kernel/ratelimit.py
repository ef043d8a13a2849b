"""Fixed-window rate limits over the cache: shared across processes when the cache is Redis."""

from __future__ import annotations

import math
from dataclasses import dataclass

from navio.kernel.cache import Cache
from navio.kernel.errors import RateLimited


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window_seconds: int


class RateLimiter:
    def __init__(self, cache: Cache, *, enabled: bool = True) -> None:
        self._cache = cache
        self._enabled = enabled

    @staticmethod
    def _key(limit: Limit, subject: str) -> str:
        return f"rl:{limit.name}:{subject}"

    async def check(self, limit: Limit, subject: str) -> None:
        """Raise RateLimited if `subject` already used up `limit`; consumes nothing."""
        if not self._enabled:
            return
        key = self._key(limit, subject)
        raw = await self._cache.get(key)
        if raw is not None and int(raw) >= limit.limit:
            raise RateLimited(math.ceil(await self._cache.ttl(key)) or 1)

    async def hit(self, limit: Limit, subject: str) -> int:
        """Count one attempt; returns attempts left in the window."""
        if not self._enabled:
            return limit.limit
        count, _ = await self._cache.incr_window(self._key(limit, subject), limit.window_seconds)
        return max(0, limit.limit - count)

    async def consume(self, limit: Limit, subject: str) -> None:
        """Count one attempt and raise if it went over the limit."""
        if not self._enabled:
            return
        count, ttl = await self._cache.incr_window(self._key(limit, subject), limit.window_seconds)
        if count > limit.limit:
            raise RateLimited(math.ceil(ttl) or 1)

    async def reset(self, limit: Limit, subject: str) -> None:
        await self._cache.delete(self._key(limit, subject))


@dataclass(frozen=True)
class Quota:
    """One limit over one limiter: what a route takes from, per subject (an IP, a user)."""

    limiter: RateLimiter
    limit: Limit

    async def take(self, subject: str) -> None:
        await self.limiter.consume(self.limit, subject)
