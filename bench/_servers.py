"""What the benchmarks that run real servers share: starting `navio serve` (or another ASGI
server) as its own process, waiting for it, stopping it, and turning SIGTERM into a clean exit;
checking answers and timing requests one at a time. Not a benchmark itself (`make bench` skips
files starting with an underscore)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


class BenchError(RuntimeError):
    """A real failure: the bench cannot produce trustworthy numbers."""


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The JSON body of an answer with the expected status, else BenchError."""
    if response.status_code != status:
        raise BenchError(f"{response.request.method} {response.request.url}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


PASSWORD = "correct horse battery staple"


async def _grant(database_url: str, user_id: str, roles: list[str]) -> None:
    from navio.iam.repository import IamRepository
    from navio.kernel.db import Database, create_engine

    db = Database(create_engine(database_url))
    try:
        async with db.transaction() as session:
            await IamRepository(session).set_roles(uuid.UUID(user_id), roles)
    finally:
        await db.dispose()


def sign_up(
    client: httpx.Client, database_url: str | None = None, roles: list[str] | None = None
) -> tuple[str, dict[str, str]]:
    """A new user of the served Navio (given `roles` in its database first, as `navio users
    create-admin` does), signed in: their id and headers."""
    email = f"bench-{uuid.uuid4().hex[:10]}@example.org"
    user = ok(
        client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Bench"},
        ),
        201,
    )
    if roles and database_url:
        asyncio.run(_grant(database_url, str(user["id"]), roles))
    tokens = ok(client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}))
    return str(user["id"]), {"Authorization": f"Bearer {tokens['access_token']}"}


def timed(send: Callable[[], object]) -> float:
    """Seconds one call takes."""
    began = time.perf_counter()
    send()
    return time.perf_counter() - began


def latency(seconds: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(seconds)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The inherited environment without any NAVIO_ variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("NAVIO_")}
    env.update(extra)
    return env


def navio_serve(port: int) -> list[str]:
    return [sys.executable, "-m", "navio", "serve", "--host", HOST, "--port", str(port)]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_lines(self) -> list[str]:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if line.strip()]

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_lines()[-lines:]) or "(empty log)"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # uvicorn: graceful shutdown, lifespan end
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_server(name: str, argv: list[str], env: dict[str, str], port: int, logs: Path) -> Server:
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C reaches us; we stop the servers
        )
    return Server(name, port, process, log_path)


def wait_ready(server: Server, path: str = "/health/ready", timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last = "no attempt"
    while time.monotonic() < deadline:
        if not server.alive:
            raise BenchError(
                f"{server.name} exited with {server.process.returncode} before it was ready:\n"
                + server.log_tail()
            )
        conn = http.client.HTTPConnection(HOST, server.port, timeout=2.0)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            if response.status == 200:
                return
            last = f"HTTP {response.status}: {body[:200]!r}"
        except OSError as exc:
            last = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
        time.sleep(0.1)
    raise BenchError(f"{server.name} not ready after {timeout:.0f}s ({last}):\n{server.log_tail()}")


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so `finally` blocks stop the servers."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(143)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def bench_one_server(
    name: str,
    database_url: str | None,
    work: Callable[[str, str], dict[str, Any]],
    output: Path,
    extra_env: Mapping[str, str] | None = None,
) -> int:
    """Run `work(base_url, database_url)` against one `navio serve` (development settings,
    rate limits off) on `database_url`, migrated first, or on a fresh SQLite file; write its
    result to `output` and print it. The exit status: 1 when the bench failed."""
    with tempfile.TemporaryDirectory(prefix=f"navio-bench-{name}-") as tmp, terminate_on_sigterm():
        tmpdir = Path(tmp)
        url = database_url or f"sqlite+aiosqlite:///{tmpdir / f'{name}.db'}"
        from navio.migrate import upgrade

        upgrade(url)  # `navio migrate`, as a deployment runs it before serving
        port = free_port()
        env = child_env(
            {
                "NAVIO_ENV": "development",
                "NAVIO_LOG_LEVEL": "WARNING",
                "NAVIO_RATE_LIMIT__ENABLED": "false",
                "NAVIO_DATABASE_URL": url,
                **(extra_env or {}),
            }
        )
        server = start_server("api", navio_serve(port), env, port, tmpdir)
        try:
            wait_ready(server)
            result = work(f"http://{HOST}:{port}", url)
        except BenchError as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            server.stop()
    result["database"] = "sqlite" if database_url is None else "given"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0
