"""API overhead: authenticated `GET /api/v1/auth/me` against a bare FastAPI endpoint.

Starts two real servers on loopback, each as its own process with the same uvicorn settings
(1 process, uvicorn's default loop and HTTP implementation, access log off, no proxy headers):

* Navio, as `python -m navio serve`, on a fresh SQLite database in a temporary directory;
* a bare FastAPI app whose single GET endpoint returns the exact JSON body that `/auth/me`
  returned for the bench user.

Both are loaded by the same generator (`wrk` when on PATH, else a multi-process Python
keep-alive client), with the same connections and duration, in alternating rounds; the median
requests per second of each gives `ratio = auth_me_rps / bare_rps` (goal: >= 0.5). Login
latency (sequential `POST /api/v1/auth/login`, dominated by Argon2id) is measured as well.

Results are printed and written to `var/bench/api_overhead.json`. The exit status is non-zero
only when something failed (a server did not start, a request failed), never for a missed goal.

    .venv/bin/python bench/api_overhead.py [--generator python] [--duration 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.client
import json
import multiprocessing as mp
import os
import platform
import queue
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from _servers import (
    HOST,
    ROOT,
    BenchError,
    Server,
    child_env,
    free_port,
    start_server,
    terminate_on_sigterm,
    wait_ready,
)

DEFAULT_OUTPUT = ROOT / "var" / "bench" / "api_overhead.json"
ME_PATH = "/api/v1/auth/me"
GOAL = 0.5
BENCH_EMAIL = "bench.user@example.com"
BENCH_PASSWORD = "Bench-overhead-pass-2024!"
BARE_BODY_ENV = "BENCH_BARE_BODY_FILE"
BARE_PORT_ENV = "BENCH_BARE_PORT"

# The baseline. Same uvicorn.run arguments and FastAPI telemetry setting as `navio serve` (see
# navio/cli.py and navio/main.py), app returning the JSON body it reads at import time. Written
# into the temporary directory rather than into bench/ so that `make bench` (which runs every
# bench/*.py) does not try to run it.
BARE_APP_SOURCE = '''\
"""Bare FastAPI baseline for bench/api_overhead.py."""

import json
import os
from typing import Any, cast

import uvicorn
from fastapi import FastAPI

with open(os.environ["BENCH_BARE_BODY_FILE"], encoding="utf-8") as fh:
    BODY: dict[str, Any] = json.load(fh)

# FastAPI's native OpenTelemetry as `navio serve` has it by default (NAVIO_HTTP__OPENTELEMETRY)
app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})


@app.get("/api/v1/auth/me")
async def me() -> dict[str, Any]:
    return BODY


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["BENCH_BARE_PORT"]),
        workers=1,
        access_log=False,
        log_config=None,
        log_level="warning",
        proxy_headers=False,
    )
'''


# --------------------------------------------------------------------------- plain HTTP


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    token: str | None = None,
    conn: http.client.HTTPConnection | None = None,
    timeout: float = 30.0,
) -> Reply:
    headers = {"Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    own = conn is None
    connection = conn or http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.read())
    finally:
        if own:
            connection.close()


def expect(reply: Reply, status: int, what: str) -> Any:
    if reply.status != status:
        detail = reply.body[:500].decode(errors="replace")
        raise BenchError(f"{what}: expected HTTP {status}, got {reply.status}: {detail}")
    return reply.json() if reply.body else None


# --------------------------------------------------------------------------- load: results


@dataclass
class LoadResult:
    target: str
    round: int
    generator: str
    rps: float
    requests: int
    errors: int
    error_detail: dict[str, int] = field(default_factory=dict)
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_max_ms: float | None = None
    generator_cpu: float | None = None  # busiest generator process: CPU seconds / wall seconds


@dataclass
class LoadSpec:
    port: int
    path: str
    token: str
    connections: int
    warmup_s: float
    duration_s: float
    workers: int


# --------------------------------------------------------------------------- load: wrk

# Counts every response whose status is not exactly 200 (wrk itself only reports non-2xx/3xx).
WRK_SCRIPT = """\
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("non200") end
  io.write(string.format("NON200 %d\\n", n))
end
"""

_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(text: str, label: str) -> float | None:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    return float(match.group(1)) * _WRK_UNITS[match.group(2)] if match else None


def _wrk_max_ms(text: str) -> float | None:
    # "    Latency   avg   stdev   max   +/- Stdev"
    match = re.search(r"^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)\s", text, re.MULTILINE)
    return float(match.group(1)) * _WRK_UNITS[match.group(2)] if match else None


def run_wrk(wrk: str, spec: LoadSpec, target: str, round_no: int, script: Path) -> LoadResult:
    url = f"http://{HOST}:{spec.port}{spec.path}"
    threads = max(1, min(spec.workers, spec.connections))

    def wrk_argv(seconds: float) -> list[str]:
        return [
            wrk,
            f"-t{threads}",
            f"-c{spec.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            "-H",
            f"Authorization: Bearer {spec.token}",
            "-H",
            "Accept: application/json",
            url,
        ]

    if spec.warmup_s > 0:
        subprocess.run(wrk_argv(spec.warmup_s), capture_output=True, check=True, timeout=120)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        wrk_argv(spec.duration_s), capture_output=True, text=True, check=True, timeout=600
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = done.stdout
    total = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if total is None or rps is None:
        raise BenchError(f"cannot parse wrk output:\n{out}\n{done.stderr}")
    detail: dict[str, int] = {}
    non_200 = re.search(r"^NON200 (\d+)$", out, re.MULTILINE)
    if non_200 is None:
        raise BenchError(f"wrk did not run the status-counting script:\n{out}\n{done.stderr}")
    if int(non_200.group(1)):
        detail["non_200"] = int(non_200.group(1))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        for name, value in zip(("connect", "read", "write", "timeout"), sock.groups(), strict=True):
            if int(value):
                detail[f"socket_{name}"] = int(value)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return LoadResult(
        target=target,
        round=round_no,
        generator="wrk",
        rps=float(rps.group(1)),
        requests=int(total.group(1)),
        errors=sum(detail.values()),
        error_detail=detail,
        latency_p50_ms=_wrk_ms(out, "50%"),
        latency_p99_ms=_wrk_ms(out, "99%"),
        latency_max_ms=_wrk_max_ms(out),
        generator_cpu=round(cpu / wall / threads, 3) if wall > 0 else None,
    )


# --------------------------------------------------------------------------- load: Python


class _Window:
    """What one generator process counts inside the measurement window."""

    def __init__(self, measure_from: float, measure_until: float) -> None:
        self.measure_from = measure_from
        self.measure_until = measure_until
        self.ok = 0
        self.errors: dict[str, int] = {}
        self.latencies: list[float] = []

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class _KeepAliveClient(asyncio.Protocol):
    """One HTTP/1.1 keep-alive connection: send, read the whole response, send again."""

    def __init__(self, request: bytes, window: _Window, closed: asyncio.Future[None]) -> None:
        self._request = request
        self._window = window
        self._closed = closed
        self._buffer = b""
        self._sent_at = 0.0
        self._transport: asyncio.Transport | None = None
        self._finished = False
        self._in_flight = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._send()

    def _send(self) -> None:
        assert self._transport is not None
        self._sent_at = time.monotonic()
        self._in_flight = True
        self._transport.write(self._request)

    def _finish(self) -> None:
        self._finished = True
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        window = self._window
        while True:
            buffer = self._buffer
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = buffer[:end].lower()
            marker = head.find(b"\r\ncontent-length:")
            if marker < 0:
                window.error("no_content_length")
                self._finish()
                return
            eol = head.find(b"\r\n", marker + 2)
            length = int(head[marker + 17 : eol if eol >= 0 else len(head)])
            total = end + 4 + length
            if len(buffer) < total:
                return
            self._buffer = buffer[total:]
            self._in_flight = False
            now = time.monotonic()
            if window.measure_from <= now < window.measure_until:
                if head[9:12] == b"200":
                    window.ok += 1
                    window.latencies.append(now - self._sent_at)
                else:
                    window.error(f"http_{head[9:12].decode(errors='replace')}")
            if now >= window.measure_until:
                self._finish()
                return
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        # A close between responses only costs a reconnect; one mid-request loses the request.
        if self._in_flight and not self._finished:
            now = time.monotonic()
            if self._window.measure_from <= now < self._window.measure_until:
                self._window.error("connection_lost")
        if not self._closed.done():
            self._closed.set_result(None)


async def _drive(port: int, request: bytes, connections: int, window: _Window) -> None:
    loop = asyncio.get_running_loop()

    async def one_connection() -> None:
        while time.monotonic() < window.measure_until:
            closed: asyncio.Future[None] = loop.create_future()
            try:
                await loop.create_connection(
                    functools.partial(_KeepAliveClient, request, window, closed), HOST, port
                )
            except OSError:
                window.error("connect")
                await asyncio.sleep(0.05)
                continue
            try:  # a connection that neither answers nor closes must not hang the run
                await asyncio.wait_for(closed, window.measure_until - time.monotonic() + 10)
            except TimeoutError:
                window.error("stalled")
                return

    await asyncio.gather(*(one_connection() for _ in range(connections)))


def _python_worker(
    port: int,
    request: bytes,
    connections: int,
    warmup_s: float,
    duration_s: float,
    barrier: Any,
    results: Any,
) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # the plain asyncio loop is slower but still correct
        pass
    barrier.wait()
    start = time.monotonic()
    window = _Window(start + warmup_s, start + warmup_s + duration_s)
    cpu_before = time.process_time()
    try:
        asyncio.run(_drive(port, request, connections, window))
    except Exception as exc:  # reported as an error, never a silent partial count
        window.error(f"generator_{type(exc).__name__}")
    cpu = time.process_time() - cpu_before
    wall = time.monotonic() - start
    results.put((window.ok, window.errors, window.latencies, cpu / wall if wall else 0.0))


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_python(spec: LoadSpec, target: str, round_no: int) -> LoadResult:
    request = (
        f"GET {spec.path} HTTP/1.1\r\nHost: {HOST}:{spec.port}\r\n"
        f"Authorization: Bearer {spec.token}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    workers = max(1, min(spec.workers, spec.connections))
    shares = [
        spec.connections // workers + (i < spec.connections % workers) for i in range(workers)
    ]
    ctx = mp.get_context("spawn") if sys.platform == "darwin" else mp.get_context("fork")
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_python_worker,
            args=(spec.port, request, share, spec.warmup_s, spec.duration_s, barrier, results),
            daemon=True,
        )
        for share in shares
    ]
    for proc in procs:
        proc.start()
    outcomes: list[tuple[int, dict[str, int], list[float], float]] = []
    try:
        barrier.wait(timeout=60)
        deadline = time.monotonic() + spec.warmup_s + spec.duration_s + 60
        while len(outcomes) < workers:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BenchError("Python load generator did not finish in time")
            try:
                outcomes.append(results.get(timeout=remaining))
            except queue.Empty as exc:
                raise BenchError("Python load generator did not report in time") from exc
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
    ok = sum(o[0] for o in outcomes)
    detail: dict[str, int] = {}
    for _, errors, _, _ in outcomes:
        for kind, count in errors.items():
            detail[kind] = detail.get(kind, 0) + count
    latencies = [lat for o in outcomes for lat in o[2]]
    p50 = _percentile(latencies, 0.50)
    p99 = _percentile(latencies, 0.99)
    return LoadResult(
        target=target,
        round=round_no,
        generator="python",
        rps=ok / spec.duration_s,
        requests=ok + sum(detail.values()),
        errors=sum(detail.values()),
        error_detail=detail,
        latency_p50_ms=None if p50 is None else p50 * 1000,
        latency_p99_ms=None if p99 is None else p99 * 1000,
        latency_max_ms=max(latencies) * 1000 if latencies else None,
        generator_cpu=round(max(o[3] for o in outcomes), 3),
    )


# --------------------------------------------------------------------------- login cost


def measure_login(port: int, samples: int) -> dict[str, float]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    timings: list[float] = []
    try:
        for _ in range(samples):
            started = time.perf_counter()
            reply = request(
                port,
                "POST",
                "/api/v1/auth/login",
                body={"email": BENCH_EMAIL, "password": BENCH_PASSWORD},
                conn=conn,
            )
            timings.append((time.perf_counter() - started) * 1000)
            expect(reply, 200, "login")
    finally:
        conn.close()
    p95 = _percentile(timings, 0.95)
    return {
        "login_p50_ms": round(statistics.median(timings), 2),
        "login_p95_ms": round(p95 if p95 is not None else 0.0, 2),
        "login_mean_ms": round(statistics.fmean(timings), 2),
        "login_samples": samples,
    }


def measure_argon2(samples: int) -> float | None:
    """Argon2id verify alone, in this process, with Navio's default parameters."""
    try:
        from navio.kernel.security import PasswordHasher
    except ImportError:
        return None
    hasher = PasswordHasher()
    stored = hasher.hash(BENCH_PASSWORD)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        hasher.verify(stored, BENCH_PASSWORD)
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 2)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cpus = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per target")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(1, min(4, cpus // 2)),
        help="generator processes (Python) or threads (wrk); default: half the cores",
    )
    parser.add_argument("--login-samples", type=int, default=30)
    parser.add_argument(
        "--cold-users",
        type=int,
        default=5,
        help="fresh users whose first seconds of load (cold /auth/me cache) are measured",
    )
    parser.add_argument("--cold-duration", type=float, default=2.0, help="seconds per cold run")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.connections < 1 or args.duration <= 0 or args.warmup < 0 or args.rounds < 1:
        parser.error("connections and rounds must be >= 1, duration > 0, warmup >= 0")
    if args.cold_users < 0 or args.cold_duration <= 0:
        parser.error("cold users must be >= 0 and cold duration > 0")
    return args


def impl_names() -> dict[str, str]:
    """What uvicorn's `auto` loop/http pick in the servers (same venv, same choice)."""
    names = {}
    for key, module, fallback in (("loop", "uvloop", "asyncio"), ("http", "httptools", "h11")):
        try:
            __import__(module)
            names[key] = module
        except ImportError:
            names[key] = fallback
    return names


def account(port: int, email: str, display_name: str) -> str:
    """Register `email` and log in: its access token."""
    registered = request(
        port,
        "POST",
        "/api/v1/auth/register",
        body={"email": email, "password": BENCH_PASSWORD, "display_name": display_name},
    )
    expect(registered, 201, f"register {email}")
    login = request(
        port, "POST", "/api/v1/auth/login", body={"email": email, "password": BENCH_PASSWORD}
    )
    token = expect(login, 200, f"login {email}").get("access_token")
    if not token:
        raise BenchError(f"login returned no access_token: {login.body[:200]!r}")
    return str(token)


def load(
    generator: str, wrk: str | None, spec: LoadSpec, target: str, round_no: int, script: Path
) -> LoadResult:
    if generator == "wrk":
        assert wrk is not None
        return run_wrk(wrk, spec, target, round_no, script)
    return run_python(spec, target, round_no)


def cold_start(
    args: argparse.Namespace, generator: str, wrk: str | None, navio: Server, script: Path
) -> tuple[dict[str, Any], list[LoadResult]]:
    """The first seconds of load on a user whose `/auth/me` is not cached yet, against the next
    seconds of the same load on the same user (cached by then): what a client opening many
    requests at once meets, and what the cache entry's expiry under load costs."""
    results: list[LoadResult] = []
    for n in range(args.cold_users):
        token = account(navio.port, f"bench.cold.{n}@example.com", f"Cold {n}")
        spec = LoadSpec(
            navio.port, ME_PATH, token, args.connections, 0.0, args.cold_duration, args.workers
        )
        for target in ("cold", "warm"):
            result = load(generator, wrk, spec, target, n, script)
            if not navio.alive:
                raise BenchError(f"navio died under load:\n{navio.log_tail()}")
            results.append(result)
            print(
                f"  user {n + 1} {target}  {result.rps:9.1f} req/s  "
                f"p99 {result.latency_p99_ms or 0:7.2f} ms  "
                f"max {result.latency_max_ms or 0:7.2f} ms",
                flush=True,
            )

    def median_of(target: str, key: str) -> float | None:
        values = [getattr(r, key) for r in results if r.target == target]
        present = [v for v in values if v is not None]
        return round(statistics.median(present), 2) if present else None

    cold_p99, warm_p99 = median_of("cold", "latency_p99_ms"), median_of("warm", "latency_p99_ms")
    summary = {
        "users": args.cold_users,
        "duration_s": args.cold_duration,
        "cold_p99_ms": cold_p99,
        "warm_p99_ms": warm_p99,
        "cold_max_ms": median_of("cold", "latency_max_ms"),
        "warm_max_ms": median_of("warm", "latency_max_ms"),
        "p99_ratio": round(cold_p99 / warm_p99, 2) if cold_p99 and warm_p99 else None,
    }
    return summary, results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if args.generator == "wrk" and wrk is None:
        print("wrk is not on PATH", file=sys.stderr)
        return 2
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and wrk is not None)
    generator = "wrk" if use_wrk else "python"

    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="navio-bench-") as tmp, terminate_on_sigterm():
        tmpdir = Path(tmp)
        try:
            return run(args, generator, wrk, tmpdir, servers)
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        finally:
            for server in servers:
                server.stop()


def run(
    args: argparse.Namespace, generator: str, wrk: str | None, tmpdir: Path, servers: list[Server]
) -> int:
    python = sys.executable
    navio_port, bare_port = free_port(), free_port()
    while bare_port == navio_port:
        bare_port = free_port()

    navio = start_server(
        "navio",
        [python, "-m", "navio", "serve", "--host", HOST, "--port", str(navio_port)],
        child_env(
            {
                "NAVIO_ENV": "development",
                "NAVIO_LOG_LEVEL": "WARNING",
                "NAVIO_DATABASE_URL": f"sqlite+aiosqlite:///{tmpdir / 'bench.db'}",
                "NAVIO_RATE_LIMIT__ENABLED": "false",
            }
        ),
        navio_port,
        tmpdir,
    )
    servers.append(navio)
    wait_ready(navio, "/health/live")

    token = account(navio_port, BENCH_EMAIL, "Bench User")
    me_body = expect(request(navio_port, "GET", ME_PATH, token=token), 200, "GET /auth/me")

    body_file = tmpdir / "me.json"
    body_file.write_text(json.dumps(me_body), encoding="utf-8")
    bare_source = tmpdir / "bench_bare_app.py"
    bare_source.write_text(BARE_APP_SOURCE, encoding="utf-8")
    bare = start_server(
        "bare",
        [python, str(bare_source)],
        child_env({BARE_BODY_ENV: str(body_file), BARE_PORT_ENV: str(bare_port)}),
        bare_port,
        tmpdir,
    )
    servers.append(bare)
    wait_ready(bare, "/health/live")
    bare_body = expect(request(bare_port, "GET", ME_PATH, token=token), 200, "bare GET")
    if bare_body != me_body:
        raise BenchError(f"bare body differs from /auth/me: {bare_body!r} != {me_body!r}")

    print(f"login: {args.login_samples} sequential POST /api/v1/auth/login ...", flush=True)
    login_stats = measure_login(navio_port, args.login_samples)
    argon2_ms = measure_argon2(10)

    wrk_script = tmpdir / "count_non200.lua"
    wrk_script.write_text(WRK_SCRIPT, encoding="utf-8")
    targets = {"auth_me": navio, "bare": bare}
    results: list[LoadResult] = []
    print(
        f"load: {generator}, {args.connections} connections, {args.workers} worker(s), "
        f"{args.warmup:g}s warmup + {args.duration:g}s x {args.rounds} round(s) per target",
        flush=True,
    )
    for round_no in range(args.rounds):
        order = ["auth_me", "bare"] if round_no % 2 == 0 else ["bare", "auth_me"]
        for name in order:
            server = targets[name]
            spec = LoadSpec(
                server.port,
                ME_PATH,
                token,
                args.connections,
                args.warmup,
                args.duration,
                args.workers,
            )
            result = load(generator, wrk, spec, name, round_no, wrk_script)
            if not server.alive:
                raise BenchError(f"{server.name} died under load:\n{server.log_tail()}")
            results.append(result)
            note = f"  ERRORS {result.error_detail}" if result.errors else ""
            print(
                f"  round {round_no + 1} {name:8s} {result.rps:9.1f} req/s  "
                f"p50 {result.latency_p50_ms or 0:6.2f} ms  "
                f"p99 {result.latency_p99_ms or 0:6.2f} ms"
                f"  gen cpu {result.generator_cpu}{note}",
                flush=True,
            )
    # Still authenticated at the end (the access token must not have expired mid-run).
    expect(request(navio_port, "GET", ME_PATH, token=token), 200, "GET /auth/me after load")

    cold: dict[str, Any] = {"users": 0}
    if args.cold_users:
        print(
            f"cold start: {args.cold_users} fresh user(s), {args.cold_duration:g}s from the first "
            "request (cold), then the same again (warm)",
            flush=True,
        )
        cold, cold_results = cold_start(args, generator, wrk, navio, wrk_script)
        results.extend(cold_results)

    auth_rps = statistics.median(r.rps for r in results if r.target == "auth_me")
    bare_rps = statistics.median(r.rps for r in results if r.target == "bare")
    ratio = auth_rps / bare_rps if bare_rps else 0.0
    errors = sum(r.errors for r in results)
    report: dict[str, Any] = {
        "auth_me_rps": round(auth_rps, 1),
        "bare_rps": round(bare_rps, 1),
        "ratio": round(ratio, 3),
        "goal_ratio": GOAL,
        "meets_goal": ratio >= GOAL,
        **login_stats,
        "argon2_verify_p50_ms": argon2_ms,
        "generator": generator,
        "connections": args.connections,
        "generator_workers": args.workers,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "errors": errors,
        "cold_start": cold,
        "runs": [asdict(r) for r in results],
        "response_bytes": len(json.dumps(me_body)),
        "server": {"processes": 1, "access_log": False, **impl_names()},
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    verdict = "meets" if ratio >= GOAL else "BELOW"
    print(
        f"\nGET {ME_PATH} (authenticated): {auth_rps:.1f} req/s (median of {args.rounds})\n"
        f"bare FastAPI, same JSON:       {bare_rps:.1f} req/s\n"
        f"ratio: {ratio:.3f} ({verdict} goal {GOAL})\n"
        f"login: p50 {login_stats['login_p50_ms']} ms, p95 {login_stats['login_p95_ms']} ms"
        f" (Argon2id verify alone: {argon2_ms} ms)\n"
        + (
            f"cold start (median of {cold['users']} users): p99 {cold['cold_p99_ms']} ms "
            f"against {cold['warm_p99_ms']} ms warm (x{cold['p99_ratio']}), "
            f"max {cold['cold_max_ms']} against {cold['warm_max_ms']} ms\n"
            if cold["users"]
            else ""
        )
        + f"written: {args.output}"
    )
    if errors:
        print(f"FAILED: {errors} request(s) failed under load (see runs[].error_detail)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
