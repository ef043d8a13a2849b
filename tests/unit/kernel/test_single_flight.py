"""Single flight: concurrent misses of one key share one computation, failures stay their own."""

from __future__ import annotations

import asyncio

import pytest

from navio.kernel.cache import SingleFlight


class Source:
    """A slow computation that counts its calls and can be made to fail once."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        self.fail_next = False

    async def __call__(self) -> bytes:
        self.calls += 1
        call = self.calls
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise LookupError("source down")
        return f"value {call}".encode()


async def started(
    flights: SingleFlight, key: str, n: int, source: Source
) -> list[asyncio.Task[bytes]]:
    tasks = [asyncio.create_task(flights.run(key, source)) for _ in range(n)]
    await asyncio.sleep(0)  # every task reaches its wait
    return tasks


async def test_concurrent_misses_share_one_computation() -> None:
    flights, source = SingleFlight(), Source()
    tasks = await started(flights, "k", 20, source)
    source.gate.set()
    assert await asyncio.gather(*tasks) == [b"value 1"] * 20
    assert source.calls == 1
    assert len(flights) == 0
    # a later miss computes again (the flight is not a cache)
    assert await flights.run("k", source) == b"value 2"


async def test_keys_fly_separately() -> None:
    flights, source = SingleFlight(), Source()
    a = await started(flights, "a", 3, source)
    b = await started(flights, "b", 3, source)
    source.gate.set()
    assert await asyncio.gather(*a) == [b"value 1"] * 3
    assert await asyncio.gather(*b) == [b"value 2"] * 3


async def test_a_failed_leader_leaves_each_waiter_to_compute() -> None:
    flights, source = SingleFlight(), Source()
    source.fail_next = True
    tasks = await started(flights, "k", 4, source)
    source.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[0], LookupError)
    assert sorted(r for r in results[1:] if isinstance(r, bytes)) == [
        b"value 2",
        b"value 3",
        b"value 4",
    ]
    assert len(flights) == 0


async def test_a_cancelled_leader_does_not_cancel_its_waiters() -> None:
    flights, source = SingleFlight(), Source()
    leader, *waiters = await started(flights, "k", 3, source)
    leader.cancel()
    await asyncio.sleep(0)
    source.gate.set()
    assert await asyncio.gather(*waiters) == [b"value 2", b"value 3"]
    with pytest.raises(asyncio.CancelledError):
        await leader


async def test_a_cancelled_waiter_does_not_cancel_the_flight() -> None:
    flights, source = SingleFlight(), Source()
    leader, waiter, other = await started(flights, "k", 3, source)
    waiter.cancel()
    await asyncio.sleep(0)
    source.gate.set()
    assert await leader == b"value 1"
    assert await other == b"value 1"
    assert source.calls == 1


async def test_forget_starts_a_new_flight_for_later_callers() -> None:
    flights, source = SingleFlight(), Source()
    before = await started(flights, "k", 2, source)
    flights.forget("k")  # what the key shows changed: later callers must not get the old read
    after = await started(flights, "k", 2, source)
    source.gate.set()
    assert await asyncio.gather(*before) == [b"value 1"] * 2
    assert await asyncio.gather(*after) == [b"value 2"] * 2
    assert len(flights) == 0
