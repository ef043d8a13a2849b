"""Cache with an in-process backend (embedded) and a Redis backend (scaled out)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import redis.asyncio as aioredis

# How long a generation counter outlives its last change. A value is stored only under the
# generation its reader saw before it read, so a counter must outlive any read in flight and
# every value stored under it (the caller's TTL); a day is far beyond both.
GENERATION_SECONDS = 86_400
_GENERATION_COUNTER = "cache:generations"


class Cache(Protocol):
    backend: str

    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def exists_any(self, keys: list[str]) -> bool: ...
    async def incr_window(self, key: str, window_seconds: int) -> tuple[int, float]: ...
    async def ttl(self, key: str) -> float: ...
    async def generation(self, gen_key: str) -> int: ...
    async def set_if_generation(
        self, key: str, value: bytes, ttl_seconds: float, gen_key: str, generation: int
    ) -> bool: ...
    async def invalidate(self, key: str, gen_key: str) -> None: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...


class MemoryCache:
    backend = "memory"

    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: dict[str, tuple[bytes, float | None]] = {}
        self._max = max_entries
        self._lock = asyncio.Lock()
        # Generations come from one counter: a generation key evicted (or expired) and bumped
        # again never returns to a value a reader in flight may have seen.
        self._generations = 0

    def _live(self, key: str) -> tuple[bytes, float | None] | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] is not None and item[1] <= time.monotonic():
            self._data.pop(key, None)
            return None
        return item

    def _evict(self) -> None:
        if len(self._data) < self._max:
            return
        now = time.monotonic()
        for k in [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]:
            del self._data[k]
        while len(self._data) >= self._max:
            self._data.pop(next(iter(self._data)))

    async def get(self, key: str) -> bytes | None:
        item = self._live(key)
        return None if item is None else item[0]

    def _put(self, key: str, value: bytes, ttl_seconds: float | None) -> None:
        self._evict()
        expires = None if ttl_seconds is None else time.monotonic() + ttl_seconds
        self._data[key] = (value, expires)

    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        self._put(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def exists_any(self, keys: list[str]) -> bool:
        return any(self._live(k) is not None for k in keys)

    async def incr_window(self, key: str, window_seconds: int) -> tuple[int, float]:
        async with self._lock:
            item = self._live(key)
            now = time.monotonic()
            if item is None:
                self._evict()
                self._data[key] = (b"1", now + window_seconds)
                return 1, float(window_seconds)
            count = int(item[0]) + 1
            expires = item[1] if item[1] is not None else now + window_seconds
            self._data[key] = (str(count).encode(), expires)
            return count, max(0.0, expires - now)

    async def ttl(self, key: str) -> float:
        item = self._live(key)
        if item is None or item[1] is None:
            return 0.0
        return max(0.0, item[1] - time.monotonic())

    def _generation(self, gen_key: str) -> int:
        item = self._live(gen_key)
        return 0 if item is None else int(item[0])

    async def generation(self, gen_key: str) -> int:
        return self._generation(gen_key)

    async def set_if_generation(
        self, key: str, value: bytes, ttl_seconds: float, gen_key: str, generation: int
    ) -> bool:
        # Check and write without suspending: atomic within the event loop.
        if self._generation(gen_key) != generation:
            return False
        self._put(key, value, ttl_seconds)
        return True

    async def invalidate(self, key: str, gen_key: str) -> None:
        self._generations += 1
        self._put(gen_key, str(self._generations).encode(), GENERATION_SECONDS)
        self._data.pop(key, None)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._data.clear()


_INCR_WINDOW = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""

_SET_IF_GENERATION = """
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""

# Generations come from one counter (KEYS[3], no TTL): a generation key evicted (or expired)
# and bumped again never returns to a value a reader in flight may have seen.
_INVALIDATE = """
local generation = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[2], generation, 'PX', ARGV[1])
redis.call('DEL', KEYS[1])
return 1
"""


class RedisCache:
    backend = "redis"

    def __init__(self, url: str, prefix: str = "navio:") -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._prefix = prefix
        self._incr = self._redis.register_script(_INCR_WINDOW)
        self._set_if_generation = self._redis.register_script(_SET_IF_GENERATION)
        self._invalidate = self._redis.register_script(_INVALIDATE)

    def _k(self, key: str) -> str:
        return self._prefix + key

    @property
    def client(self) -> aioredis.Redis:
        return self._redis

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(self._k(key))
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else bytes(value)

    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        px = None if ttl_seconds is None else max(1, int(ttl_seconds * 1000))
        await self._redis.set(self._k(key), value, px=px)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._k(key))

    async def exists_any(self, keys: list[str]) -> bool:
        if not keys:
            return False
        return int(await self._redis.exists(*[self._k(k) for k in keys])) > 0

    async def incr_window(self, key: str, window_seconds: int) -> tuple[int, float]:
        count, ttl_ms = await self._incr(keys=[self._k(key)], args=[window_seconds * 1000])
        return int(count), int(ttl_ms) / 1000.0

    async def ttl(self, key: str) -> float:
        ms = int(await self._redis.pttl(self._k(key)))
        return max(0.0, ms / 1000.0)

    async def generation(self, gen_key: str) -> int:
        value = await self._redis.get(self._k(gen_key))
        return 0 if value is None else int(value)

    async def set_if_generation(
        self, key: str, value: bytes, ttl_seconds: float, gen_key: str, generation: int
    ) -> bool:
        px = max(1, int(ttl_seconds * 1000))
        stored = await self._set_if_generation(
            keys=[self._k(key), self._k(gen_key)], args=[generation, value, px]
        )
        return int(stored) == 1

    async def invalidate(self, key: str, gen_key: str) -> None:
        await self._invalidate(
            keys=[self._k(key), self._k(gen_key), self._k(_GENERATION_COUNTER)],
            args=[GENERATION_SECONDS * 1000],
        )

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def create_cache(redis_url: str | None, prefix: str = "navio:") -> Cache:
    if redis_url:
        return RedisCache(redis_url, prefix=prefix)
    return MemoryCache()


class SingleFlight:
    """Concurrent misses of one key in this process share one computation ("single flight").

    When a cache entry expires, every request in flight for it would otherwise read the
    database at once. The first caller computes; the others wait for its value. Should the
    first fail or be cancelled, each waiter computes on its own, so an error is always the
    caller's own. `forget` (on a change to what the key shows) lets later callers start a new
    computation instead of joining one that began before the change."""

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[bytes | None]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        flight = self._flights.get(key)
        if flight is not None:
            shared = await asyncio.shield(flight)
            if shared is not None:
                return shared
            return await compute()
        flight = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        value: bytes | None = None
        try:
            value = await compute()
            return value
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]
            flight.set_result(value)

    def forget(self, key: str) -> None:
        self._flights.pop(key, None)
