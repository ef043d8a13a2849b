"""The in-process cache and the Redis cache behave the same; the rate limiter works over both."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from navio.kernel.cache import Cache, MemoryCache, RedisCache, create_cache
from navio.kernel.errors import RateLimited
from navio.kernel.ratelimit import Limit, RateLimiter

SHORT = 0.2  # seconds: a TTL that expires within the test
WAIT = 0.35  # seconds: long enough for SHORT to have passed on both backends


@pytest.fixture(params=["memory", "redis"])
def cache_redis_url(request: pytest.FixtureRequest) -> str | None:
    """None for the in-process cache, else the Redis URL (resolved outside the event loop)."""
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def cache(cache_redis_url: str | None) -> AsyncIterator[Cache]:
    if cache_redis_url is None:
        memory = MemoryCache()
        yield memory
        await memory.close()
        return
    prefix = f"test:{uuid.uuid4().hex}:"
    backend = RedisCache(cache_redis_url, prefix=prefix)
    try:
        yield backend
    finally:
        raw = aioredis.Redis.from_url(cache_redis_url)
        try:
            keys = [k async for k in raw.scan_iter(match=prefix + "*")]
            if keys:
                await raw.delete(*keys)
        finally:
            await raw.aclose()
        await backend.close()


# ---------------------------------------------------------------- get / set / ttl


async def test_missing_key(cache: Cache) -> None:
    assert await cache.get("missing") is None
    assert await cache.ttl("missing") == 0.0
    await cache.delete("missing")  # deleting nothing is fine


async def test_set_get_roundtrip_bytes(cache: Cache) -> None:
    await cache.set("k", b"\x00value\xff")
    assert await cache.get("k") == b"\x00value\xff"
    await cache.set("k", b"other")
    assert await cache.get("k") == b"other"


async def test_key_without_ttl_reports_zero_ttl(cache: Cache) -> None:
    await cache.set("forever", b"1")
    assert await cache.ttl("forever") == 0.0
    assert await cache.get("forever") == b"1"


async def test_ttl_counts_down_and_key_expires(cache: Cache) -> None:
    await cache.set("short", b"v", ttl_seconds=SHORT)
    await cache.set("long", b"v", ttl_seconds=60)
    remaining = await cache.ttl("short")
    assert 0 < remaining <= SHORT
    assert 50 < await cache.ttl("long") <= 60
    assert await cache.get("short") == b"v"
    await asyncio.sleep(WAIT)
    assert await cache.get("short") is None
    assert await cache.ttl("short") == 0.0
    assert await cache.get("long") == b"v"


async def test_set_without_ttl_clears_a_previous_ttl(cache: Cache) -> None:
    await cache.set("k", b"1", ttl_seconds=SHORT)
    await cache.set("k", b"2")
    await asyncio.sleep(WAIT)
    assert await cache.get("k") == b"2"


async def test_delete(cache: Cache) -> None:
    await cache.set("k", b"1", ttl_seconds=60)
    await cache.delete("k")
    assert await cache.get("k") is None
    assert await cache.exists_any(["k"]) is False


async def test_exists_any(cache: Cache) -> None:
    assert await cache.exists_any([]) is False
    assert await cache.exists_any(["a", "b"]) is False
    await cache.set("b", b"1")
    assert await cache.exists_any(["a", "b"]) is True
    assert await cache.exists_any(["b"]) is True
    assert await cache.exists_any(["a"]) is False


async def test_exists_any_ignores_expired_keys(cache: Cache) -> None:
    await cache.set("gone", b"1", ttl_seconds=SHORT)
    assert await cache.exists_any(["gone"]) is True
    await asyncio.sleep(WAIT)
    assert await cache.exists_any(["gone", "never"]) is False


async def test_ping(cache: Cache) -> None:
    await cache.ping()


# ---------------------------------------------------------------- generations


async def test_a_value_is_stored_only_under_the_generation_its_reader_saw(cache: Cache) -> None:
    assert await cache.generation("gen") == 0
    assert await cache.set_if_generation("k", b"v0", 60, "gen", 0) is True
    assert await cache.get("k") == b"v0"
    assert 50 < await cache.ttl("k") <= 60

    await cache.invalidate("k", "gen")
    assert await cache.get("k") is None
    assert await cache.generation("gen") == 1
    # a reader that saw generation 0 read before the change: what it read is not stored
    assert await cache.set_if_generation("k", b"stale", 60, "gen", 0) is False
    assert await cache.get("k") is None
    assert await cache.set_if_generation("k", b"v1", 60, "gen", 1) is True
    assert await cache.get("k") == b"v1"

    await cache.invalidate("k", "gen")
    await cache.invalidate("k", "gen")
    assert await cache.generation("gen") == 3
    assert await cache.set_if_generation("k", b"v2", 60, "gen", 2) is False
    assert await cache.get("k") is None


async def test_a_generation_outlives_the_values_stored_under_it(cache: Cache) -> None:
    await cache.invalidate("k", "gen")
    assert await cache.ttl("gen") > 3_600
    assert await cache.set_if_generation("k", b"v", SHORT, "gen", 1) is True
    await asyncio.sleep(WAIT)
    assert await cache.get("k") is None
    assert await cache.generation("gen") == 1


async def test_a_lost_generation_never_comes_back_to_a_value_seen_before(cache: Cache) -> None:
    await cache.invalidate("k", "gen")
    seen = await cache.generation("gen")  # a reader starts here
    await cache.delete("gen")  # the counter is evicted (memory full, Redis maxmemory)
    await cache.invalidate("k", "gen")  # a change
    assert await cache.generation("gen") != seen
    assert await cache.set_if_generation("k", b"stale", 60, "gen", seen) is False


async def test_generations_are_per_key(cache: Cache) -> None:
    await cache.invalidate("a", "gen-a")
    assert await cache.generation("gen-a") == 1
    assert await cache.generation("gen-b") == 0
    assert await cache.set_if_generation("b", b"v", 60, "gen-b", 0) is True


# ---------------------------------------------------------------- incr_window


async def test_incr_window_counts_within_a_window(cache: Cache) -> None:
    counts = []
    for _ in range(4):
        count, ttl = await cache.incr_window("w", 60)
        counts.append(count)
        assert 50 < ttl <= 60
    assert counts == [1, 2, 3, 4]
    assert await cache.get("w") == b"4"
    # Keys are separate windows.
    assert (await cache.incr_window("w2", 60))[0] == 1


async def test_incr_window_keeps_the_first_expiry(cache: Cache) -> None:
    _, first = await cache.incr_window("w", 60)
    await asyncio.sleep(0.1)
    _, second = await cache.incr_window("w", 60)
    assert second < first
    assert 50 < second <= 60


async def test_incr_window_starts_a_new_window_after_expiry(cache: Cache) -> None:
    # A window about to close: the count carries on until it expires, then restarts at 1.
    await cache.set("w", b"5", ttl_seconds=SHORT)
    count, ttl = await cache.incr_window("w", 60)
    assert count == 6
    assert 0 < ttl <= SHORT
    await asyncio.sleep(WAIT)
    count, ttl = await cache.incr_window("w", 60)
    assert count == 1
    assert 50 < ttl <= 60


async def test_incr_window_gives_a_counter_without_ttl_a_window(cache: Cache) -> None:
    await cache.set("w", b"2")
    count, ttl = await cache.incr_window("w", 30)
    assert count == 3
    assert 20 < ttl <= 30
    assert 20 < await cache.ttl("w") <= 30


async def test_incr_window_is_atomic_under_concurrency(cache: Cache) -> None:
    results = await asyncio.gather(*(cache.incr_window("c", 60) for _ in range(25)))
    assert sorted(count for count, _ in results) == list(range(1, 26))


async def test_redis_cache_uses_its_prefix(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    backend = create_cache(redis_url, prefix=prefix)
    assert isinstance(backend, RedisCache)
    raw = aioredis.Redis.from_url(redis_url)
    try:
        await backend.set("k", b"v", ttl_seconds=5)
        assert await raw.get(prefix + "k") == b"v"
        assert await raw.get("k") is None
    finally:
        await raw.delete(prefix + "k")
        await raw.aclose()
        await backend.close()


def test_create_cache_without_url_is_in_memory() -> None:
    assert create_cache(None).backend == "memory"
    assert create_cache("").backend == "memory"


async def test_memory_cache_evicts_when_full() -> None:
    memory = MemoryCache(max_entries=3)
    for i in range(5):
        await memory.set(f"k{i}", b"x")
    present = [k for k in (f"k{i}" for i in range(5)) if await memory.get(k) is not None]
    assert len(present) <= 3
    assert "k4" in present  # the newest survives


# ---------------------------------------------------------------- RateLimiter


LIMIT = Limit("test", limit=3, window_seconds=60)


def assert_rate_limited(exc: RateLimited, *, at_most: int) -> int:
    problem = exc.to_problem()
    assert problem["code"] == "rate_limited"
    assert problem["status"] == 429
    retry_after = int(exc.headers["Retry-After"])
    assert 1 <= retry_after <= at_most
    assert problem["retry_after"] == retry_after
    return retry_after


async def test_hit_counts_down_and_check_raises_when_used_up(cache: Cache) -> None:
    limiter = RateLimiter(cache)
    await limiter.check(LIMIT, "alice")
    assert [await limiter.hit(LIMIT, "alice") for _ in range(4)] == [2, 1, 0, 0]
    with pytest.raises(RateLimited) as caught:
        await limiter.check(LIMIT, "alice")
    assert assert_rate_limited(caught.value, at_most=60) >= 59


async def test_check_consumes_nothing(cache: Cache) -> None:
    limiter = RateLimiter(cache)
    for _ in range(10):
        await limiter.check(LIMIT, "alice")
    assert await limiter.hit(LIMIT, "alice") == 2


async def test_consume_raises_once_over_the_limit(cache: Cache) -> None:
    limiter = RateLimiter(cache)
    for _ in range(3):
        await limiter.consume(LIMIT, "bob")
    with pytest.raises(RateLimited) as caught:
        await limiter.consume(LIMIT, "bob")
    assert_rate_limited(caught.value, at_most=60)
    with pytest.raises(RateLimited):
        await limiter.check(LIMIT, "bob")


async def test_subjects_and_limits_are_independent(cache: Cache) -> None:
    limiter = RateLimiter(cache)
    other = Limit("other", limit=3, window_seconds=60)
    for _ in range(3):
        await limiter.consume(LIMIT, "carol")
    await limiter.consume(LIMIT, "dave")
    await limiter.consume(other, "carol")
    with pytest.raises(RateLimited):
        await limiter.consume(LIMIT, "carol")


async def test_reset_clears_the_count(cache: Cache) -> None:
    limiter = RateLimiter(cache)
    for _ in range(3):
        await limiter.hit(LIMIT, "erin")
    with pytest.raises(RateLimited):
        await limiter.check(LIMIT, "erin")
    await limiter.reset(LIMIT, "erin")
    await limiter.check(LIMIT, "erin")
    assert await limiter.hit(LIMIT, "erin") == 2


async def test_retry_after_is_at_least_one_second(cache: Cache) -> None:
    limiter = RateLimiter(cache)
    tiny = Limit("tiny", limit=1, window_seconds=1)
    await limiter.consume(tiny, "frank")
    with pytest.raises(RateLimited) as caught:
        await limiter.consume(tiny, "frank")
    assert assert_rate_limited(caught.value, at_most=1) == 1


async def test_limit_resets_when_the_window_ends(cache: Cache) -> None:
    limiter = RateLimiter(cache)
    await limiter.hit(LIMIT, "gina")
    # Put the window near its end without waiting a whole second.
    await cache.set("rl:test:gina", b"3", ttl_seconds=SHORT)
    with pytest.raises(RateLimited) as caught:
        await limiter.check(LIMIT, "gina")
    assert assert_rate_limited(caught.value, at_most=1) == 1
    await asyncio.sleep(WAIT)
    await limiter.check(LIMIT, "gina")
    await limiter.consume(LIMIT, "gina")


async def test_disabled_limiter_never_limits(cache: Cache) -> None:
    limiter = RateLimiter(cache, enabled=False)
    for _ in range(10):
        await limiter.consume(LIMIT, "hank")
        assert await limiter.hit(LIMIT, "hank") == 3
        await limiter.check(LIMIT, "hank")
    assert await cache.get("rl:test:hank") is None
