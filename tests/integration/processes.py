"""Real `navio` processes for integration tests: free ports, the environment they run with,
starting and stopping them, waiting until they answer, and a user signed in through them."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from navio.iam.repository import IamRepository
from navio.kernel.db import Database, create_engine
from tests.conftest import TEST_SECRET
from tests.factories.iam import PASSWORD, unique_email

ROOT = Path(__file__).resolve().parents[2]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: every socket stays bound until all are picked (picked one
    at a time, the kernel may hand out the same port twice, and the second server then fails
    to bind while the first answers for both: seen once in CI as an exit code 3)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


def navio_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAVIO_")}
    env.update(
        NAVIO_ENV="test",
        NAVIO_SECRET_KEY=TEST_SECRET,
        NAVIO_LOG_LEVEL="WARNING",
        NAVIO_OUTBOX__POLL_INTERVAL_SECONDS="0.2",
    )
    env.update(values)
    return env


@contextmanager
def processes(
    *commands: tuple[list[str], dict[str, str]], cwd: Path = ROOT
) -> Iterator[list[subprocess.Popen[bytes]]]:
    started = [
        subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for cmd, env in commands
    ]
    try:
        yield started
    finally:
        for proc in started:
            proc.terminate()
        for proc in started:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def serve(port: int) -> list[str]:
    return [sys.executable, "-m", "navio", "serve", "--host", "127.0.0.1", "--port", str(port)]


def wait_ready(base: str, procs: list[subprocess.Popen[bytes]], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"process exited early ({proc.returncode}): {err[-2000:]}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{base} not ready in {timeout}s")


def eventually(check: object, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail("condition not reached in time")


def register_and_login(base: str, login_base: str) -> tuple[str, dict[str, str]]:
    email = unique_email("scale")
    created = httpx.post(
        f"{base}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Scaled Traveller"},
    )
    assert created.status_code == 201, created.text
    tokens = httpx.post(
        f"{login_base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert tokens.status_code == 200, tokens.text
    return created.json()["id"], {"Authorization": f"Bearer {tokens.json()['access_token']}"}


async def grant_roles(database_url: str, user_id: str, roles: list[str]) -> None:
    """Roles given in the served database, as `navio users create-admin` gives them: tokens
    issued after this carry them."""
    db = Database(create_engine(database_url))
    try:
        async with db.transaction() as session:
            await IamRepository(session).set_roles(uuid.UUID(user_id), roles)
    finally:
        await db.dispose()


def promoted_user(base: str, database_url: str, roles: list[str]) -> tuple[str, dict[str, str]]:
    """A user of a served Navio given `roles` before signing in (call it from a thread with no
    event loop running): their id and headers."""
    email = unique_email("promoted")
    created = httpx.post(
        f"{base}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Promoted User"},
    )
    assert created.status_code == 201, created.text
    user_id: str = created.json()["id"]
    asyncio.run(grant_roles(database_url, user_id, roles))
    tokens = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    return user_id, {"Authorization": f"Bearer {tokens.json()['access_token']}"}
