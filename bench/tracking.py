"""Live journeys: what a batch of position fixes costs a real server, against reading the
journey in the same run.

One `navio serve` process on a fresh SQLite file (development settings, rate limits off, the
outbox relay in the process, so each batch's events are also published). An owner creates a
trip; `--travelers` users join it as viewers and each starts a journey. Then, one request at a
time:

1. Baseline: `--requests` reads of a journey (`GET /api/v1/journeys/{id}`, no ETag): p50, p95.
2. Batches: `--requests` batches of `--batch` fixes (`POST /api/v1/journeys/{id}/positions`),
   the travelers taking turns; each fix a few metres on from the last, so distance, pace and
   the estimate are updated and stored, the fixes written, and an event recorded: p50, p95.
3. Concurrent: every traveler sends `--requests / travelers` batches at once from its own
   thread: fixes recorded per second over the wall time.

Reported: `batch_p50_over_read_p50` (our goal: at most 3, a batch of 10 fixes costing no more
than three reads), the latencies, and the fixes per second. Written to `var/bench/tracking.json`.
The exit status is non-zero only when a request fails, never for a missed goal.

    .venv/bin/python bench/tracking.py [--travelers 8] [--requests 400] [--batch 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from _servers import (
    HOST,
    ROOT,
    BenchError,
    child_env,
    free_port,
    latency,
    navio_serve,
    ok,
    sign_up,
    start_server,
    terminate_on_sigterm,
    timed,
    wait_ready,
)

OUTPUT = ROOT / "var" / "bench" / "tracking.json"
API = "/api/v1"
DESTINATION = {"name": "Helsinki Cathedral", "lat": 60.17046, "lon": 24.95211}
START = (60.17103, 24.94142)  # Helsinki Central railway station


class Phone:
    """A traveler's phone: fixes a second apart, walking east a little more than a metre each."""

    def __init__(self, journey_id: str, headers: dict[str, str], started: datetime) -> None:
        self.journey_id = journey_id
        self.headers = headers
        self.at = started
        self.step = 0

    def batch(self, size: int) -> dict[str, Any]:
        fixes = []
        for _ in range(size):
            self.step += 1
            self.at += timedelta(milliseconds=20)
            fixes.append(
                {
                    "lat": START[0],
                    "lon": START[1] + 0.00003 * self.step,
                    "accuracy_m": 5.0,
                    "recorded_at": self.at.isoformat(),
                }
            )
        return {"positions": fixes}


def run(base: str, travelers: int, requests: int, size: int) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=30) as client:
        _, owner = sign_up(client)
        trip = ok(
            client.post(
                f"{API}/trips",
                json={
                    "title": "Bench trip",
                    "destinations": [
                        {"name": "Helsinki", "country_code": "FI", "lat": 60.1699, "lon": 24.9384}
                    ],
                    "start_date": "2027-06-01",
                    "end_date": "2027-06-03",
                    "timezone": "Europe/Helsinki",
                    "currency": "EUR",
                },
                headers=owner,
            ),
            201,
        )
        phones = []
        for _ in range(travelers):
            user_id, headers = sign_up(client)
            ok(
                client.post(
                    f"{API}/trips/{trip['id']}/collaborators",
                    json={"user_id": user_id, "role": "viewer"},
                    headers=owner,
                ),
                201,
            )
            journey = ok(
                client.post(
                    f"{API}/trips/{trip['id']}/journeys",
                    json={"destination": DESTINATION, "arrival_radius_m": 20},
                    headers=headers,
                ),
                201,
            )
            started = datetime.fromisoformat(journey["started_at"]).astimezone(UTC)
            phones.append(Phone(journey["id"], headers, started))

        def read(phone: Phone) -> None:
            ok(client.get(f"{API}/journeys/{phone.journey_id}", headers=phone.headers))

        def send(http: httpx.Client, phone: Phone) -> None:
            result = ok(
                http.post(
                    f"{API}/journeys/{phone.journey_id}/positions",
                    json=phone.batch(size),
                    headers=phone.headers,
                )
            )
            if result["accepted"] != size:
                raise BenchError(f"{result['accepted']} of {size} fixes accepted")

        for phone in phones:  # warm-up
            read(phone)
            send(client, phone)
        reads = [timed(lambda p=phones[i % travelers]: read(p)) for i in range(requests)]
        batches = [timed(lambda p=phones[i % travelers]: send(client, p)) for i in range(requests)]

    per_phone = max(1, requests // travelers)

    def drive(phone: Phone) -> None:
        with httpx.Client(base_url=base, timeout=30) as own:
            for _ in range(per_phone):
                send(own, phone)

    began = time.perf_counter()
    with ThreadPoolExecutor(travelers) as pool:
        list(pool.map(drive, phones))
    wall = time.perf_counter() - began
    read_stats, batch_stats = latency(reads), latency(batches)
    return {
        "travelers": travelers,
        "requests": requests,
        "batch": size,
        "read": read_stats,
        "positions": batch_stats,
        "batch_p50_over_read_p50": round(batch_stats["p50_ms"] / read_stats["p50_ms"], 3),
        "concurrent_fixes_per_second": round(travelers * per_phone * size / wall, 1),
        "goal_batch_p50_over_read_p50": 3.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--travelers", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="navio-bench-tracking-") as tmp, terminate_on_sigterm():
        tmpdir = Path(tmp)
        port = free_port()
        env = child_env(
            {
                "NAVIO_ENV": "development",
                "NAVIO_LOG_LEVEL": "WARNING",
                "NAVIO_RATE_LIMIT__ENABLED": "false",
                "NAVIO_DATABASE_URL": f"sqlite+aiosqlite:///{tmpdir / 'tracking.db'}",
            }
        )
        server = start_server("api", navio_serve(port), env, port, tmpdir)
        try:
            wait_ready(server)
            result = run(f"http://{HOST}:{port}", args.travelers, args.requests, args.batch)
        except BenchError as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            server.stop()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
