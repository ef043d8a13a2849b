"""Trip live fan-out: how long a trip change takes to reach 200 WebSocket clients.

For each mode, real API servers run as their own processes (`python -m navio serve`, the same
uvicorn settings as in production: one process, access log off):

* `memory`: one server on a fresh SQLite file, no Redis. The outbox relay inside that process
  publishes to its in-process broadcast.
* `redis`: two servers, A and B, each on its own port, sharing a fresh PostgreSQL database
  (`navio_bench_trip_live`, created for the run and dropped afterwards) and Redis. Every edit
  goes through server A and every WebSocket client is connected to server B, so each delivery
  crosses processes through Redis pub/sub. Skipped, with a note, when PostgreSQL or Redis does
  not answer.

Setup, through the API: an owner creates a trip, 200 users register (8 at a time: Argon2id
dominates) and log in, and the owner adds each as a viewer. Then:

1. Warm-up: 4 unmeasured edits.
2. Baseline: the same 100 edits as below with no WebSocket client connected; the HTTP round
   trip of each (send to response) gives `baseline_http_p50_ms` and `baseline_http_p95_ms`.
3. Fan-out: each user opens `WS /api/v1/trips/{id}/live?access_token=...` and waits for
   `{"type": "ready"}`. The owner makes 100 edits one after the other, alternating
   `POST /trips/{id}/items` (a note titled "edit N") and `PUT /trips/{id}/items/{item}`
   (renaming the item just added to "edit N"). Each edit is sent as soon as the previous one
   has answered (or `--interval` seconds after the previous send, whichever is later): this
   "burst" is the headline. `time.perf_counter()` is read just before each request is sent and
   when a client's `recv()` returns a message; both sides share one asyncio loop in this
   process. An event is matched to its edit by the title in its data (`data.title` for
   `trips.item_added`, `data.item.title` for `trips.item_updated`). The latency of a delivery
   is its receive time minus its edit's send time: it includes the edit's own request, the
   commit, the outbox relay, the broadcast, the WebSocket send, and (a small part) this
   process's loop serving 200 clients. The script waits for all 200 x 100 deliveries
   (`--timeout` seconds after the last edit).
4. One at a time: the same 100 edits again ("single N"), each sent only once the previous one
   has reached every client, so no edit waits behind another's fan-out. This separates the
   latency of a single change from the queueing a burst causes (`one_at_a_time`).

Per mode it reports p50, p95 and max over the 20,000 deliveries, `fanout_p95_over_baseline_p95`,
the edits' own HTTP latency while clients are connected, the delivery rate, the median latency
per edit (`per_edit_median_ms`, which shows a queue building up) and the CPU used per wall
second by this process and by each server during each phase. The goal is p95 <= 100 ms in both
modes. Results are printed and written to `var/bench/trip_live.json`; the top-level `p50_ms` and
`p95_ms` are the memory mode's burst. The exit status is non-zero only when something failed (a
server did not start, a request failed, a delivery never arrived, a client was disconnected),
never for a missed goal.

    .venv/bin/python bench/trip_live.py [--modes memory redis] [--clients 200] [--edits 100]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _servers import (
    HOST,
    ROOT,
    BenchError,
    Server,
    child_env,
    free_port,
    navio_serve,
    start_server,
    terminate_on_sigterm,
    wait_ready,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

DEFAULT_OUTPUT = ROOT / "var" / "bench" / "trip_live.json"
API = "/api/v1"
GOAL_P95_MS = 100.0
PASSWORD = "Bench-trip-live-pass-2024!"
PG_ADMIN_DSN = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "navio_bench_trip_live"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
WARMUP_EDITS = 4
TRIP = {
    "title": "Live fan-out bench",
    "start_date": "2027-06-01",
    "end_date": "2027-06-05",
    "timezone": "Europe/Helsinki",
    "currency": "EUR",
}


def log(message: str) -> None:
    print(message, flush=True)


def serve(name: str, env: dict[str, str], logs: Path) -> Server:
    port = free_port()
    return start_server(name, navio_serve(port), env, port, logs)


def migrate(env: dict[str, str]) -> None:
    """`navio migrate` (the server only migrates SQLite by itself)."""
    done = subprocess.run(
        [sys.executable, "-m", "navio", "migrate"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"navio migrate failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def base_env() -> dict[str, str]:
    return {
        "NAVIO_ENV": "development",
        "NAVIO_LOG_LEVEL": "WARNING",
        "NAVIO_RATE_LIMIT__ENABLED": "false",
    }


# --------------------------------------------------------------------------- services


def redis_answers(url: str) -> str | None:
    """None when Redis answers PING at `url`, else why not (a plain socket: no client needed)."""
    match = re.match(r"redis://(?:[^@/]*@)?([^:/]+)(?::(\d+))?", url)
    if match is None:
        return f"cannot parse the Redis URL {url!r}"
    host, port = match.group(1), int(match.group(2) or 6379)
    try:
        with socket.create_connection((host, port), timeout=2.0) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        return f"Redis not reachable at {host}:{port}: {exc!r}"
    if not reply.startswith(b"+PONG"):
        return f"Redis at {host}:{port} answered {reply!r} to PING"
    return None


def _redacted(dsn: str) -> str:
    return re.sub(r":[^:@/]*@", ":***@", dsn)


async def pg_admin(dsn: str, statements: Sequence[str]) -> None:
    import asyncpg

    admin = await asyncpg.connect(dsn, timeout=5)
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


def pg_recreate(runner: asyncio.Runner, dsn: str) -> str | None:
    """None when the bench database was (re)created, else why PostgreSQL cannot be used."""
    import asyncpg

    try:
        runner.run(
            pg_admin(
                dsn,
                [
                    f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)',
                    f'CREATE DATABASE "{PG_DATABASE}"',
                ],
            )
        )
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL not usable at {_redacted(dsn)}: {exc!r}"
    return None


def pg_drop(runner: asyncio.Runner, dsn: str) -> None:
    try:
        runner.run(pg_admin(dsn, [f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)']))
    except Exception as exc:  # reported, but the numbers are already taken
        log(f"  could not drop database {PG_DATABASE}: {exc!r}")


def pg_url(admin_dsn: str) -> str:
    base = admin_dsn.rsplit("/", 1)[0] if admin_dsn.count("/") > 2 else admin_dsn
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{PG_DATABASE}"


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank on the sorted values (as bench/api_overhead.py)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(values_s: Sequence[float], prefix: str) -> dict[str, float | None]:
    keys = ("p50", "p95", "max", "mean")
    if not values_s:
        return {f"{prefix}{k}_ms": None for k in keys}
    ms = [v * 1000 for v in values_s]
    return {
        f"{prefix}p50_ms": round(percentile(ms, 0.50), 2),
        f"{prefix}p95_ms": round(percentile(ms, 0.95), 2),
        f"{prefix}max_ms": round(max(ms), 2),
        f"{prefix}mean_ms": round(statistics.fmean(ms), 2),
    }


class CpuMeter:
    """CPU seconds per wall second of this process and of each server over one phase (Linux)."""

    def __init__(self, servers: Sequence[Server]) -> None:
        self._servers = servers
        self._wall = time.perf_counter()
        self._own = time.process_time()
        self._theirs = {s.name: process_cpu(s.process.pid) for s in servers}

    def read(self) -> dict[str, float | None]:
        wall = time.perf_counter() - self._wall
        shares: dict[str, float | None] = {
            "bench": round((time.process_time() - self._own) / wall, 2)
        }
        for server in self._servers:
            before, now = self._theirs[server.name], process_cpu(server.process.pid)
            shares[server.name] = (
                None if before is None or now is None else round((now - before) / wall, 2)
            )
        return shares


def process_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- HTTP


class Api:
    def __init__(self, port: int) -> None:
        self.port = port
        self.client = httpx.AsyncClient(
            base_url=f"http://{HOST}:{port}{API}",
            timeout=60.0,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self,
        method: str,
        path: str,
        expect: int,
        *,
        body: Any = None,
        token: str | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            response = await self.client.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise BenchError(f"{method} {path} on port {self.port}: {exc!r}") from exc
        if response.status_code != expect:
            raise BenchError(
                f"{method} {path} on port {self.port}: expected HTTP {expect}, got "
                f"{response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    async def user(self, email: str, name: str) -> tuple[str, str]:
        """Register and log in: (user id, access token)."""
        body = {"email": email, "password": PASSWORD, "display_name": name}
        user = await self.call("POST", "/auth/register", 201, body=body)
        login = await self.call(
            "POST", "/auth/login", 200, body={"email": email, "password": PASSWORD}
        )
        token = login.get("access_token")
        if not token:
            raise BenchError(f"login of {email} returned no access_token: {login!r}")
        return str(user["id"]), str(token)


async def bounded(limit: int, jobs: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


@dataclass
class EditTimes:
    sent: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)

    def round_trips(self) -> list[float]:
        return [a - s for s, a in zip(self.sent, self.answered, strict=True)]


async def run_edits(
    api: Api,
    trip_id: str,
    token: str,
    prefix: str,
    count: int,
    interval: float,
    delivered: Callable[[int], Awaitable[None]] | None = None,
) -> EditTimes:
    """Sequential edits: even N adds a note "<prefix> N", odd N renames it to "<prefix> N".

    The next edit is sent when this one has answered, `interval` seconds after this one was
    sent, and (when `delivered` is given) once `delivered(N)` returns, whichever is last."""
    times = EditTimes()
    item_id: str | None = None
    headers = {"Authorization": f"Bearer {token}"}
    items = f"/trips/{trip_id}/items"
    for n in range(count):
        title = f"{prefix} {n}"
        if n % 2 == 0 or item_id is None:
            method, path, expect = "POST", items, 201
            body: dict[str, Any] = {"kind": "note", "title": title, "day": "2027-06-01"}
        else:
            method, path, expect = "PUT", f"{items}/{item_id}", 200
            body = {"title": title}
        sent = time.perf_counter()
        try:
            response = await api.client.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise BenchError(f"edit {title!r}: {method} {path}: {exc!r}") from exc
        answered = time.perf_counter()
        if response.status_code != expect:
            raise BenchError(
                f"edit {title!r}: {method} {path}: expected HTTP {expect}, got "
                f"{response.status_code}: {response.text[:500]}"
            )
        if method == "POST":
            item_id = str(response.json()["id"])
        times.sent.append(sent)
        times.answered.append(answered)
        if delivered is not None:
            await delivered(n)
        if interval > 0:
            await asyncio.sleep(max(0.0, sent + interval - time.perf_counter()))
    return times


# --------------------------------------------------------------------------- WebSocket clients

# Title prefixes of the measured phases; other titles (warmup, baseline) are not counted.
BURST = "edit"
ONE_AT_A_TIME = "single"
EDIT_TITLE = re.compile(rf"({BURST}|{ONE_AT_A_TIME}) (\d+)")


class Deliveries:
    """Receive times per (client, edit) of one phase, filled by the client tasks."""

    def __init__(self, clients: int, edits: int) -> None:
        self.clients = clients
        self.edits = edits
        self.at: list[list[float | None]] = [[None] * edits for _ in range(clients)]
        self.per_edit = [0] * edits
        self.edit_complete = [asyncio.Event() for _ in range(edits)]
        self.count = 0
        self.target = clients * edits
        self.complete = asyncio.Event()
        self.duplicates = 0

    def record(self, client: int, edit: int, at: float) -> str | None:
        """None, or what was wrong with this delivery."""
        if not 0 <= edit < self.edits:
            return f"client {client}: event for unknown edit {edit}"
        if self.at[client][edit] is not None:
            self.duplicates += 1  # at-least-once upstream: clients drop repeats by id
            return None
        self.at[client][edit] = at
        self.count += 1
        self.per_edit[edit] += 1
        if self.per_edit[edit] == self.clients:
            self.edit_complete[edit].set()
        if self.count == self.target:
            self.complete.set()
        return None

    def missing(self) -> str:
        clients = sum(1 for row in self.at if any(t is None for t in row))
        edits = sum(1 for c in self.per_edit if c < self.clients)
        return (
            f"{self.count} of {self.target} deliveries arrived ({clients} clients and {edits} "
            f"edits incomplete; arrivals per edit min {min(self.per_edit)}, max "
            f"{max(self.per_edit)}; first edits: {self.per_edit[:10]})"
        )


class Listener:
    """What the client tasks share: the phases being recorded and anything that went wrong."""

    def __init__(self) -> None:
        self.phases: dict[str, Deliveries] = {}
        self.overflows = 0
        self.other_events: dict[str, int] = {}
        self.problems: list[str] = []
        self.closing = False

    def other(self, name: str) -> None:
        self.other_events[name] = self.other_events.get(name, 0) + 1

    def on_message(self, client: int, raw: str | bytes, at: float) -> None:
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "overflow":
            self.overflows += 1
            self.problems.append(f"client {client}: the server's queue overflowed")
            return
        if kind != "event":
            self.problems.append(f"client {client}: unexpected message {raw!r:.200}")
            return
        name = str(message.get("event"))
        data = message.get("data") or {}
        if name == "trips.item_updated":
            data = data.get("item") or {}
        elif name != "trips.item_added":
            self.other(name)
            return
        title = data.get("title")
        match = EDIT_TITLE.fullmatch(title) if isinstance(title, str) else None
        phase = self.phases.get(match.group(1)) if match else None
        if match is None or phase is None:
            self.other(f"{name} (not measured)")
            return
        problem = phase.record(client, int(match.group(2)), at)
        if problem:
            self.problems.append(problem)


async def client_loop(index: int, ws: ClientConnection, listener: Listener) -> None:
    try:
        async for raw in ws:
            listener.on_message(index, raw, time.perf_counter())
    except ConnectionClosed as exc:
        if not listener.closing:
            listener.problems.append(f"client {index}: connection closed: {exc}")
        return
    if not listener.closing:
        listener.problems.append(f"client {index}: connection closed by the server")


async def open_client(
    ws_port: int, trip_id: str, token: str, compression: str | None
) -> ClientConnection:
    uri = f"ws://{HOST}:{ws_port}{API}/trips/{trip_id}/live?access_token={token}"
    try:
        ws = await connect(uri, compression=compression, open_timeout=30, max_queue=256)
        first = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
    except (OSError, TimeoutError, ConnectionClosed) as exc:
        raise BenchError(f"WebSocket to port {ws_port}: {exc!r}") from exc
    if first.get("type") != "ready" or first.get("role") != "viewer":
        await ws.close()
        raise BenchError(f"first WebSocket message is not ready/viewer: {first!r}")
    return ws


# --------------------------------------------------------------------------- one mode


@dataclass
class ModeSpec:
    name: str
    database: str
    edit_server: Server
    ws_server: Server
    servers: list[Server]

    def check_alive(self) -> None:
        for server in self.servers:
            if not server.alive:
                raise BenchError(
                    f"{server.name} died (exit {server.process.returncode}):\n{server.log_tail()}"
                )

    def state(self) -> str:
        alive = ", ".join(f"{s.name} {'alive' if s.alive else 'DEAD'}" for s in self.servers)
        logs = "\n".join(f"--- {s.name} log tail:\n{s.log_tail(15)}" for s in self.servers)
        return f"servers: {alive}\n{logs}"


async def measure(spec: ModeSpec, args: argparse.Namespace) -> dict[str, Any]:
    edit_api = Api(spec.edit_server.port)
    sockets: list[ClientConnection] = []
    tasks: list[asyncio.Task[None]] = []
    listener = Listener()
    try:
        return await _measure(spec, args, edit_api, listener, sockets, tasks)
    finally:
        listener.closing = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        await edit_api.close()


def latencies(deliveries: Deliveries, edits: EditTimes) -> dict[str, Any]:
    """Per-delivery latency from each edit's send, and the derived figures."""
    from_send: list[float] = []
    from_answer: list[float] = []
    last_client: list[float] = []
    edit_median: list[float] = []
    for n in range(deliveries.edits):
        received = [t for t in (row[n] for row in deliveries.at) if t is not None]
        from_send.extend(t - edits.sent[n] for t in received)
        from_answer.extend(t - edits.answered[n] for t in received)
        last_client.append(max(received) - edits.sent[n])
        edit_median.append(statistics.median(received) - edits.sent[n])
    span = max(t for row in deliveries.at for t in row if t is not None) - edits.sent[0]
    return {
        "deliveries": len(from_send),
        **summary(from_send, ""),
        "duplicates": deliveries.duplicates,
        **summary(edits.round_trips(), "edit_http_"),
        **summary(from_answer, "after_response_"),
        **summary(last_client, "last_client_"),
        "deliveries_per_s": round(len(from_send) / span, 1) if span > 0 else None,
        "edits_per_s": round(len(edits.sent) / (edits.answered[-1] - edits.sent[0]), 1),
        "per_edit_median_ms": [round(v * 1000, 1) for v in edit_median],
    }


async def _measure(
    spec: ModeSpec,
    args: argparse.Namespace,
    api: Api,
    listener: Listener,
    sockets: list[ClientConnection],
    tasks: list[asyncio.Task[None]],
) -> dict[str, Any]:
    seconds: dict[str, float] = {}
    tag = f"{spec.name}-{os.getpid()}"

    started = time.perf_counter()
    _, owner_token = await api.user(f"owner-{tag}@example.com", "Bench Owner")
    trip = await api.call("POST", "/trips", 201, body=TRIP, token=owner_token)
    trip_id = str(trip["id"])
    users: list[tuple[str, str]] = await bounded(
        args.register_concurrency,
        [
            functools.partial(api.user, f"viewer{i:03d}-{tag}@example.com", f"Viewer {i}")
            for i in range(args.clients)
        ],
    )
    seconds["users"] = time.perf_counter() - started
    started = time.perf_counter()
    for user_id, _ in users:  # one at a time: each one locks the trip row
        added = await api.call(
            "POST",
            f"/trips/{trip_id}/collaborators",
            201,
            body={"user_id": user_id, "role": "viewer"},
            token=owner_token,
        )
        if added.get("status") != "added":
            raise BenchError(f"collaborator not added: {added!r}")
    seconds["collaborators"] = time.perf_counter() - started
    log(
        f"  setup: {args.clients} users registered and logged in in {seconds['users']:.1f}s, "
        f"added as viewers in {seconds['collaborators']:.1f}s"
    )

    await run_edits(api, trip_id, owner_token, "warmup", WARMUP_EDITS, args.interval)
    started = time.perf_counter()
    baseline = await run_edits(api, trip_id, owner_token, "baseline", args.edits, args.interval)
    seconds["baseline"] = time.perf_counter() - started
    spec.check_alive()
    await asyncio.sleep(1.0)  # let the relay publish the baseline's events to nobody

    started = time.perf_counter()
    compression = None if args.compression == "none" else args.compression
    opened = await bounded(
        20,
        [
            functools.partial(open_client, spec.ws_server.port, trip_id, token, compression)
            for _, token in users
        ],
    )
    sockets.extend(opened)
    seconds["connect"] = time.perf_counter() - started
    tasks.extend(asyncio.create_task(client_loop(i, ws, listener)) for i, ws in enumerate(sockets))
    log(f"  {len(sockets)} WebSocket clients ready on {spec.ws_server.name}")
    await asyncio.sleep(0.5)

    def check(phase: str) -> None:
        if listener.problems:
            raise BenchError(
                f"{spec.name} {phase}: client problems ({len(listener.problems)}): "
                + "; ".join(listener.problems[:10])
            )
        spec.check_alive()

    # Burst: the next edit as soon as the previous one answered (or --interval).
    burst = listener.phases[BURST] = Deliveries(args.clients, args.edits)
    cpu = CpuMeter(spec.servers)
    started = time.perf_counter()
    burst_edits = await run_edits(api, trip_id, owner_token, BURST, args.edits, args.interval)
    seconds["burst_edits"] = time.perf_counter() - started
    try:
        await asyncio.wait_for(burst.complete.wait(), timeout=args.timeout)
    except TimeoutError:
        raise BenchError(
            f"{spec.name} burst: within {args.timeout:g}s after the last edit, only "
            f"{burst.missing()}; overflows {listener.overflows}; client problems: "
            f"{'; '.join(listener.problems[:10]) or 'none'}; {spec.state()}"
        ) from None
    seconds["burst_deliveries"] = time.perf_counter() - started
    cpu_shares = {"burst": cpu.read()}
    check("burst")

    # One at a time: the next edit once the previous one reached every client.
    single = listener.phases[ONE_AT_A_TIME] = Deliveries(args.clients, args.edits)

    async def delivered(n: int) -> None:
        try:
            await asyncio.wait_for(single.edit_complete[n].wait(), timeout=args.timeout)
        except TimeoutError:
            raise BenchError(
                f"{spec.name} one-at-a-time: edit {n} did not reach every client within "
                f"{args.timeout:g}s: {single.missing()}; overflows {listener.overflows}; "
                f"client problems: {'; '.join(listener.problems[:10]) or 'none'}; {spec.state()}"
            ) from None

    cpu = CpuMeter(spec.servers)
    started = time.perf_counter()
    single_edits = await run_edits(
        api, trip_id, owner_token, ONE_AT_A_TIME, args.edits, args.interval, delivered
    )
    seconds["one_at_a_time"] = time.perf_counter() - started
    cpu_shares["one_at_a_time"] = cpu.read()
    check("one at a time")

    result = latencies(burst, burst_edits)
    baseline_stats = summary(baseline.round_trips(), "baseline_http_")
    p95, base_p95 = result["p95_ms"], baseline_stats["baseline_http_p95_ms"]
    single_result = latencies(single, single_edits)
    single_p95 = single_result["p95_ms"]
    return {
        "database": spec.database,
        "broadcast": "redis" if spec.name == "redis" else "memory",
        "servers": len(spec.servers),
        "edits_via": spec.edit_server.name,
        "websockets_on": spec.ws_server.name,
        **{k: v for k, v in result.items() if k != "per_edit_median_ms"},
        "goal_p95_ms": GOAL_P95_MS,
        "meets_goal": p95 is not None and p95 <= GOAL_P95_MS,
        **baseline_stats,
        "fanout_p95_over_baseline_p95": (
            round(p95 / base_p95, 2) if p95 is not None and base_p95 else None
        ),
        "per_edit_median_ms": result["per_edit_median_ms"],
        "one_at_a_time": {
            **single_result,
            "meets_goal": single_p95 is not None and single_p95 <= GOAL_P95_MS,
            "fanout_p95_over_baseline_p95": (
                round(single_p95 / base_p95, 2) if single_p95 is not None and base_p95 else None
            ),
        },
        "cpu_per_wall_second": cpu_shares,
        "overflows": listener.overflows,
        "other_events": listener.other_events,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }


def run_mode(
    name: str, args: argparse.Namespace, tmpdir: Path, runner: asyncio.Runner
) -> dict[str, Any]:
    """Start the servers of one mode, measure, stop them. Raises BenchError on failure."""
    servers: list[Server] = []
    started = time.perf_counter()
    try:
        if name == "memory":
            env = child_env(
                {**base_env(), "NAVIO_DATABASE_URL": f"sqlite+aiosqlite:///{tmpdir / 'live.db'}"}
            )
            server = serve("memory", env, tmpdir)
            servers.append(server)
            wait_ready(server)
            spec = ModeSpec("memory", "sqlite", server, server, servers)
        else:
            env = child_env(
                {
                    **base_env(),
                    "NAVIO_DATABASE_URL": pg_url(args.postgres_dsn),
                    "NAVIO_REDIS_URL": args.redis_url,
                }
            )
            migrate(env)
            for server_name in ("redis-A", "redis-B"):
                servers.append(serve(server_name, env, tmpdir))
            for server in servers:
                wait_ready(server)
            spec = ModeSpec("redis", "postgresql", servers[0], servers[1], servers)
        log(f"{name}: servers {', '.join(f'{s.name} :{s.port}' for s in servers)}")
        result = runner.run(measure(spec, args))
    finally:
        for server in servers:
            server.stop()
    result["server_log"] = server_logs(servers)
    result["seconds"]["mode_total"] = round(time.perf_counter() - started, 2)
    return result


def server_logs(servers: Sequence[Server]) -> dict[str, Any]:
    """Everything the servers logged (level WARNING and up), counted and sampled."""
    report: dict[str, Any] = {}
    for server in servers:
        lines = server.log_lines()
        report[server.name] = {"lines": len(lines), "first": lines[:5]}
        if lines:
            log(f"  {server.name} logged {len(lines)} line(s) at WARNING or above; first ones:")
            for line in lines[:5]:
                log(f"    {line[:300]}")
    return report


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--modes", nargs="+", choices=("memory", "redis"), default=["memory", "redis"]
    )
    parser.add_argument("--clients", type=int, default=200, help="WebSocket clients")
    parser.add_argument("--edits", type=int, default=100, help="measured edits")
    parser.add_argument(
        "--interval",
        type=float,
        default=0.0,
        help="seconds between the starts of two edits (0: next edit as soon as one answers)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for deliveries after the edits"
    )
    parser.add_argument("--register-concurrency", type=int, default=8)
    parser.add_argument(
        "--compression",
        choices=("deflate", "none"),
        default="deflate",
        help="WebSocket permessage-deflate offered by the clients (browsers offer it)",
    )
    parser.add_argument("--postgres-dsn", default=PG_ADMIN_DSN, help="admin DSN")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.edits < 1 or args.interval < 0 or args.timeout <= 0:
        parser.error("clients and edits must be >= 1, interval >= 0, timeout > 0")
    if args.register_concurrency < 1:
        parser.error("--register-concurrency must be >= 1")
    return args


def new_runner() -> tuple[asyncio.Runner, str]:
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner(), "asyncio"
    return asyncio.Runner(loop_factory=uvloop.new_event_loop), "uvloop"


def print_table(modes: Mapping[str, dict[str, Any] | None]) -> None:
    header = (
        f"{'mode':7s} {'edits':14s} {'deliveries':>10s} {'p50 ms':>8s} {'p95 ms':>8s} "
        f"{'max ms':>8s}  {'goal':6s} {'base p50':>8s} {'base p95':>8s} {'p95/base':>8s}"
    )
    log("\n" + header + "\n" + "-" * len(header))
    for name, result in modes.items():
        if result is None:
            log(f"{name:7s} skipped")
            continue
        if "error" in result:
            log(f"{name:7s} FAILED: {str(result['error']).splitlines()[0][:200]}")
            continue
        for phase, row in (("burst", result), ("one at a time", result["one_at_a_time"])):
            verdict = "ok" if row["meets_goal"] else "MISSED"
            log(
                f"{name:7s} {phase:14s} {row['deliveries']:>10d} {row['p50_ms']:>8.1f} "
                f"{row['p95_ms']:>8.1f} {row['max_ms']:>8.1f}  {verdict:6s} "
                f"{result['baseline_http_p50_ms']:>8.1f} {result['baseline_http_p95_ms']:>8.1f} "
                f"{row['fanout_p95_over_baseline_p95']:>7.2f}x"
            )
    log(
        f"goal: fan-out p95 <= {GOAL_P95_MS:g} ms (the burst row is the headline). base: HTTP "
        "round trip of the same edits with no client connected.\n"
        "burst: each edit sent when the previous one answered; one at a time: each edit sent "
        "when the previous one reached every client."
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench_started = time.perf_counter()
    loadavg_before = os.getloadavg()
    modes: dict[str, dict[str, Any] | None] = {"memory": None, "redis": None}
    notes: dict[str, str] = {}
    failed = False
    runner, client_loop_name = new_runner()
    log(
        f"trip live fan-out: {args.clients} clients x {args.edits} edits, "
        f"interval {args.interval:g}s, client loop {client_loop_name}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="navio-bench-live-") as tmp,
        terminate_on_sigterm(),
        runner,
    ):
        tmpdir = Path(tmp)
        for name in ("memory", "redis"):
            if name not in args.modes:
                notes[name] = "skipped (--modes)"
                continue
            created_pg = False
            if name == "redis":
                reason = redis_answers(args.redis_url) or pg_recreate(runner, args.postgres_dsn)
                if reason:
                    notes[name] = f"skipped: {reason}"
                    log(f"redis: {notes[name]}")
                    continue
                created_pg = True
            try:
                modes[name] = run_mode(name, args, tmpdir, runner)
            except BenchError as exc:
                failed = True
                modes[name] = {"error": str(exc)}
                print(f"{name}: bench failed: {exc}", file=sys.stderr, flush=True)
            finally:
                if created_pg:
                    pg_drop(runner, args.postgres_dsn)

    measured = [m for m in modes.values() if m is not None and "error" not in m]
    memory = modes["memory"] if modes["memory"] and "error" not in modes["memory"] else None
    report: dict[str, Any] = {
        "clients": args.clients,
        "edits": args.edits,
        "p50_ms": memory["p50_ms"] if memory else None,
        "p95_ms": memory["p95_ms"] if memory else None,
        "goal_p95_ms": GOAL_P95_MS,
        "meets_goal": bool(measured) and all(m["meets_goal"] for m in measured),
        "modes": modes,
        "notes": notes,
        "interval_s": args.interval,
        "warmup_edits": WARMUP_EDITS,
        "compression": args.compression,
        "client_loop": client_loop_name,
        "bench_seconds": round(time.perf_counter() - bench_started, 1),
        "loadavg_before": [round(x, 2) for x in loadavg_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print_table(modes)
    for name, note in notes.items():
        log(f"{name}: {note}")
    log(f"bench took {report['bench_seconds']:.0f}s; written: {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
