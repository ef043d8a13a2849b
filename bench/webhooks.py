"""Webhooks: how fast Navio's sender empties a burst of deliveries into a receiver, against the
same POSTs sent by a bare HTTP client with the same concurrency (no database, no signing); and
how long an event waits before its receiver has it.

One `navio serve` (SQLite, or `--database-url`; webhooks to this machine allowed), an operator
with one endpoint on a local receiver (a threaded HTTP server answering 200).

- Burst: the relay's webhook turn every `--interval` (10) seconds; `--burst` (1,000) pings
  are queued, and the turns send them batch after batch of 20 concurrent POSTs, each turn for
  at most its budget (2 s). Throughput = deliveries received in the busiest turn / the span of
  their arrival. Baseline: `httpx.AsyncClient` POSTing the same bodies, 20 at a time, to the
  same receiver.
- Latency (another server, default settings): a rider reports a fault at the operator's
  station, `--events` (100) times one after the other; the time from the report's answer to
  the receiver having the event (the relay hands it to the handlers, which queue the delivery,
  and the sender runs right after them).

Written to `var/bench/webhooks.json`.

    .venv/bin/python bench/webhooks.py [--burst 1000] [--events 100] [--database-url ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx
from _servers import ROOT, BenchError, bench_one_server, latency, ok, sign_up

sys.path.insert(0, str(ROOT))
from tests.factories.stations import station_body
from tests.factories.webhooks import Receiver, receiver

OUTPUT = ROOT / "var" / "bench" / "webhooks.json"
API = "/api/v1"
CONCURRENCY = 20


def _endpoint(client: httpx.Client, database_url: str, url: str) -> tuple[str, dict[str, str]]:
    _, owner = sign_up(client, database_url, roles=["operator", "traveler"])
    made = ok(
        client.post(
            f"{API}/notifications/webhooks",
            json={"url": url, "events": ["stations.fault_reported"]},
            headers=owner,
        ),
        201,
    )
    return str(made["id"]), owner


def _wait(inbox: Receiver, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(inbox.received) < count:
        if time.monotonic() > deadline:
            raise BenchError(f"{len(inbox.received)} of {count} deliveries arrived")
        time.sleep(0.01)


def _bare(url: str, bodies: list[bytes]) -> None:
    """The same POSTs from a bare client, CONCURRENCY at a time, in a process of its own as
    Navio's sender is (the receiver's threads are this one's)."""
    with ProcessPoolExecutor(1) as pool:
        pool.submit(_bare_posts, url, bodies).result()


def _bare_posts(url: str, bodies: list[bytes]) -> None:
    async def run() -> None:
        async with httpx.AsyncClient() as client:
            for start in range(0, len(bodies), CONCURRENCY):
                answers = await asyncio.gather(
                    *(
                        client.post(url, content=body)
                        for body in bodies[start : start + CONCURRENCY]
                    )
                )
                if any(answer.status_code != 200 for answer in answers):
                    raise BenchError("the receiver refused the bare client")

    asyncio.run(run())


def burst(base: str, database_url: str, count: int, interval: float) -> dict[str, Any]:
    with receiver() as inbox, httpx.Client(base_url=base, timeout=60) as client:
        hook, owner = _endpoint(client, database_url, f"{inbox.url}/burst")
        for _ in range(count):
            ok(client.post(f"{API}/notifications/webhooks/{hook}/ping", headers=owner), 202)
        _wait(inbox, count, 10 * interval + 60)
        # the turns: arrivals more than a second apart belong to different turns
        turns: list[list[float]] = [[]]
        for got in inbox.received:
            if turns[-1] and got.at - turns[-1][-1] > 1.0:
                turns.append([])
            turns[-1].append(got.at)
        busiest = max(turns, key=len)
        navio = (len(busiest) - 1) / (busiest[-1] - busiest[0])
        bodies = [got.body for got in inbox.received]
        _bare(f"{inbox.url}/bare", bodies[: len(busiest)])
        # measured the same way: arrivals at the receiver
        arrived = [got.at for got in inbox.received if got.path == "/bare"]
        bare = (len(arrived) - 1) / (arrived[-1] - arrived[0])
    return {
        "queued": count,
        "turns": [len(turn) for turn in turns],
        "navio_per_second": round(navio, 1),
        "bare_httpx_per_second": round(bare, 1),
        "navio_over_bare": round(navio / bare, 3),
    }


def event_latency(base: str, database_url: str, count: int) -> dict[str, Any]:
    """From a platform event's request answered to its receiver having it: a rider reports a
    fault at the operator's station, one report at a time."""
    with receiver() as inbox, httpx.Client(base_url=base, timeout=60) as client:
        _, owner = _endpoint(client, database_url, f"{inbox.url}/events")
        made = ok(client.post(f"{API}/stations", json=station_body(), headers=owner), 201)
        _, rider = sign_up(client)
        fault = {"category": "bay", "description": "The door sticks"}
        waits = []
        for index in range(count):
            ok(client.post(f"{API}/stations/{made['id']}/faults", json=fault, headers=rider), 201)
            asked = time.monotonic()
            _wait(inbox, index + 1, 30)
            waits.append(inbox.received[index].at - asked)
    figures = latency(waits)
    figures["mean_ms"] = round(statistics.fmean(waits) * 1000, 1)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    local = {"NAVIO_NOTIFICATIONS__WEBHOOK_ALLOW_LOCAL": "true"}
    result: dict[str, Any] = {}

    def run_burst(base: str, database_url: str) -> dict[str, Any]:
        result["burst"] = burst(base, database_url, args.burst, args.interval)
        return result

    interval = {"NAVIO_NOTIFICATIONS__SEND_INTERVAL_SECONDS": str(args.interval)}
    status = bench_one_server("webhooks", args.database_url, run_burst, OUTPUT, local | interval)

    def run_events(base: str, database_url: str) -> dict[str, Any]:
        result["event_to_receiver"] = event_latency(base, database_url, args.events)
        return result

    status |= bench_one_server("webhooks", args.database_url, run_events, OUTPUT, local)
    return status


if __name__ == "__main__":
    sys.exit(main())
